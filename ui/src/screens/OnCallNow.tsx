// Who is on call right now, grouped by escalation policy and level: a provider's rows as last
// synced, and the local workspace's, which the app renders from its rotations.
import { useQuery } from "@tanstack/react-query";

import { api } from "../api";
import type { OnCall } from "../bindings/OnCall";
import { Empty, ErrorBox } from "../components";
import { groupOnCall } from "../filters";
import { formatRelative, formatTime } from "../format";
import { useNow } from "../hooks";
import { Schedules } from "./Schedules";

export function OnCallNow() {
  // Local rotations hand over without a sync to announce it: ask again each minute.
  const oncall = useQuery({
    queryKey: ["oncall"],
    queryFn: api.oncallNow,
    refetchInterval: 60_000,
  });

  if (oncall.isPending) return <p className="hint">Loading…</p>;
  if (oncall.isError) return <ErrorBox error={oncall.error} title="Could not read on-call" />;

  const policies = groupOnCall(oncall.data);
  return (
    <div className="page" data-testid="oncall">
      <h1>On call now</h1>
      {policies.length === 0 && (
        <Empty>
          No on-call data yet. It appears after a PagerDuty account syncs, or once a local
          escalation policy pages a rotation made under Local rotations.
        </Empty>
      )}
      {policies.map((policy) => (
        <section key={policy.key} className="card" data-testid="oncall-policy">
          <h2>
            {policy.policyName} <span className="muted">· {policy.accountName}</span>
          </h2>
          <ol className="levels">
            {policy.levels.map((level) => (
              <li key={level.level}>
                <span className="level">Level {level.level}</span>
                <ul className="people">
                  {level.people.map((row) => (
                    <Shift key={`${row.user.provider_id}/${row.schedule_name}`} row={row} />
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        </section>
      ))}
      <Schedules />
    </div>
  );
}

function Shift({ row }: { row: OnCall }) {
  const now = useNow(30_000);
  const until = row.end === null ? "always" : `until ${formatTime(row.end)}`;
  return (
    <li className={row.is_me ? "person me" : "person"}>
      <span className="person-name">{row.user.name}</span>
      {row.is_me && <span className="badge me-badge">you</span>}
      <span className="muted">
        {row.schedule_name ?? "directly on the policy"} · {until}
        {row.end !== null && ` (${formatRelative(row.end, now)})`}
      </span>
    </li>
  );
}
