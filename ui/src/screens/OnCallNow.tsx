// Who is on call right now, grouped by escalation policy and level: a provider's from its
// snapshot, the local workspace's own policies from rendering its rotations.
import { useQuery } from "@tanstack/react-query";

import { api } from "../api";
import type { OnCall } from "../bindings/OnCall";
import { Empty, ErrorBox } from "../components";
import { groupLocalOnCall, groupOnCall, type LocalPolicyNow } from "../filters";
import { formatRelative, formatTime, plain } from "../format";
import { useNow } from "../hooks";
import { Schedules } from "./Schedules";

export function OnCallNow() {
  const oncall = useQuery({ queryKey: ["oncall"], queryFn: api.oncallNow });
  // Rendered from the local rotations, so it is asked again each minute to follow handoffs.
  const rendered = useQuery({
    queryKey: ["oncall-ahead", 0],
    queryFn: () => api.oncallAhead(0),
    refetchInterval: 60_000,
  });
  const accounts = useQuery({ queryKey: ["accounts"], queryFn: api.listAccounts });

  if (oncall.isPending) return <p className="hint">Loading…</p>;
  if (oncall.isError) return <ErrorBox error={oncall.error} title="Could not read on-call" />;

  const policies = groupOnCall(oncall.data);
  const local = groupLocalOnCall(rendered.data ?? [], accounts.data ?? []);
  return (
    <div className="page" data-testid="oncall">
      <h1>On call now</h1>
      {policies.length === 0 && local.length === 0 && (
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
      {local.map((policy) => (
        <LocalPolicy key={policy.key} policy={policy} />
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

/**
 * A local escalation policy: who each level pages now, from the local rotations.
 * TODO(local-oncall-now): say until when, as a provider's rows do; `OnCallAt` has no end.
 */
function LocalPolicy({ policy }: { policy: LocalPolicyNow }) {
  return (
    <section className="card" data-testid="oncall-local-policy">
      <h2>
        {plain(policy.policyName)} <span className="muted">· local</span>
      </h2>
      <ol className="levels">
        {policy.levels.map((level) => (
          <li key={level.level}>
            <span className="level">Level {level.level}</span>
            <ul className="people">
              {level.rows.map((row, i) => (
                <li key={i} className="person">
                  <span className="person-name">
                    {row.user ? plain(row.user.name || row.user.id) : "nobody"}
                  </span>
                  <span className="muted">
                    {row.schedule_name ? plain(row.schedule_name) : "directly on the policy"}
                    {row.note && ` · ${plain(row.note)}`}
                  </span>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </section>
  );
}
