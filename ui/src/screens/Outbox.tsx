// The outbox: writes on their way to providers, and what became of the last day's.
import { useQuery } from "@tanstack/react-query";

import { api, type Id } from "../api";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { OutboxState } from "../bindings/OutboxState";
import { Empty, ErrorBox } from "../components";
import { formatRelative, formatTime, plain } from "../format";
import { useNow } from "../hooks";
import { writeLabel } from "../respond";

const STATE_LABELS: Record<OutboxState, string> = {
  pending: "waiting to be sent",
  sending: "sending…",
  done: "sent",
  conflict: "not sent: changed at the provider",
  failed: "not sent: refused",
};

export function Outbox({ onBack, onOpen }: { onBack: () => void; onOpen: (id: Id) => void }) {
  const outbox = useQuery({ queryKey: ["outbox"], queryFn: api.listOutbox });
  return (
    <div className="page" data-testid="outbox">
      <header className="pane-header">
        <h1>Outbox</h1>
        <button type="button" onClick={onBack}>
          Back to account health
        </button>
      </header>
      <p className="hint">
        What you did in Tocsin on PagerDuty and Alertmanager incidents, on its way to them. Unsent
        writes and those of the last day are listed.
      </p>
      {outbox.isError && <ErrorBox error={outbox.error} title="Could not read the outbox" />}
      {outbox.data?.length === 0 && <Empty>Nothing waiting, nothing sent in the last day.</Empty>}
      <ul className="outbox-list">
        {(outbox.data ?? []).map((entry) => (
          <OutboxRow key={entry.id} entry={entry} onOpen={onOpen} />
        ))}
      </ul>
    </div>
  );
}

function OutboxRow({ entry, onOpen }: { entry: OutboxEntry; onOpen: (id: Id) => void }) {
  const now = useNow();
  const refused = entry.state === "conflict" || entry.state === "failed";
  return (
    <li className={`card outbox-entry outbox-${entry.state}`} data-testid="outbox-entry">
      <div>
        <strong>{writeLabel(entry)}</strong>{" "}
        <span className="muted">
          · {plain(entry.account_name)} · queued {formatTime(entry.queued_at)}
        </span>
      </div>
      {entry.incident_id !== null && (
        <button type="button" className="link" onClick={() => onOpen(entry.incident_id!)}>
          {plain(entry.incident_title ?? `incident ${entry.incident_id}`)}
        </button>
      )}
      <div className={refused ? "error-text" : undefined}>
        {STATE_LABELS[entry.state]}
        {entry.attempts > 1 && ` · ${entry.attempts} attempts`}
        {entry.state === "pending" &&
          entry.next_attempt_at !== null &&
          ` · next try ${formatRelative(entry.next_attempt_at, now)}`}
      </div>
      {entry.last_error !== null && (
        <div className={refused ? "error-text" : "muted"}>
          {plain(entry.last_error)}
          {entry.last_error_code && <code> {entry.last_error_code}</code>}
        </div>
      )}
    </li>
  );
}
