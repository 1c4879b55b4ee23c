// One incident: its facts, the provider link as copyable text, and the timeline.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, type Id } from "../api";
import type { Action } from "../bindings/Action";
import type { Incident } from "../bindings/Incident";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import { ErrorBox, IncidentBadges } from "../components";
import { formatRelative, formatTime, plain } from "../format";
import { CommunicateSection } from "./Communicate";
import { useNow } from "../hooks";

export function IncidentDetailView({ id, onClose }: { id: Id; onClose: () => void }) {
  const detail = useQuery({ queryKey: ["incident", id], queryFn: () => api.getIncident(id) });

  if (detail.isPending) return <p className="hint">Loading…</p>;
  if (detail.isError) return <ErrorBox error={detail.error} title="Could not read incident" />;

  const { incident, timeline } = detail.data;
  return (
    <article className="incident-detail" data-testid="incident-detail">
      <header className="detail-header">
        <button type="button" className="close" onClick={onClose} aria-label="Close incident">
          ×
        </button>
        <h2 data-testid="detail-title">{plain(incident.title)}</h2>
        <IncidentBadges incident={incident} />
      </header>
      {incident.provider === "local" && <Actions incident={incident} />}
      <Facts incident={incident} />
      <CommunicateSection incident={incident} />
      <Timeline entries={timeline} />
    </article>
  );
}

/**
 * Acknowledge, resolve and note, for the local workspace. Provider incidents get these with
 * write-back through the outbox; until then they are acted on at the provider.
 */
function Actions({ incident }: { incident: Incident }) {
  const [note, setNote] = useState("");
  const queryClient = useQueryClient();
  const act = useMutation({
    mutationFn: (action: Action) => api.act(incident.id, action),
    onSuccess: (_detail, action) => {
      if (action.kind === "note") setNote("");
    },
    onSettled: () => void queryClient.invalidateQueries(),
  });
  const open = incident.status !== "resolved";
  const unacknowledged = incident.status === "triggered" || incident.status === "unknown";
  const addNote = (event: FormEvent) => {
    event.preventDefault();
    if (note.trim() !== "") act.mutate({ kind: "note", text: note });
  };

  return (
    <div className="actions" data-testid="incident-actions">
      {unacknowledged && (
        <button
          type="button"
          disabled={act.isPending}
          onClick={() => act.mutate({ kind: "acknowledge" })}
          data-testid="action-acknowledge"
        >
          Acknowledge
        </button>
      )}
      {open && (
        <button
          type="button"
          disabled={act.isPending}
          onClick={() => act.mutate({ kind: "resolve" })}
          data-testid="action-resolve"
        >
          Resolve
        </button>
      )}
      <form className="note-form" onSubmit={addNote}>
        <input
          type="text"
          placeholder="Add a note to the timeline"
          value={note}
          maxLength={10000}
          onChange={(event) => setNote(event.target.value)}
          data-testid="note-input"
        />
        <button type="submit" disabled={act.isPending || note.trim() === ""}>
          Add note
        </button>
      </form>
      {act.isError && <ErrorBox error={act.error} title="Could not do that" />}
    </div>
  );
}

function Facts({ incident }: { incident: Incident }) {
  const now = useNow();
  const when = (at: string | null) =>
    at === null ? "—" : `${formatTime(at)} (${formatRelative(at, now)})`;
  const assignees = plain(incident.assignees.map((p) => p.name).join(", ")) || "nobody";
  return (
    <dl className="facts">
      <dt>Number</dt>
      <dd>{incident.number === null ? "—" : `#${incident.number}`}</dd>
      <dt>Service</dt>
      <dd>{incident.service_name === null ? "—" : plain(incident.service_name)}</dd>
      <dt>Account</dt>
      <dd>{plain(incident.account_name)}</dd>
      <dt>Assigned to</dt>
      <dd data-testid="detail-assignees">{assignees}</dd>
      <dt>Priority</dt>
      <dd>{incident.priority ?? "—"}</dd>
      <dt>Created</dt>
      <dd>{when(incident.created_at)}</dd>
      <dt>Acknowledged</dt>
      <dd>{when(incident.acknowledged_at)}</dd>
      <dt>Resolved</dt>
      <dd>{when(incident.resolved_at)}</dd>
      <dt>At the provider</dt>
      <dd>{incident.html_url ? <CopyText text={incident.html_url} /> : "—"}</dd>
    </dl>
  );
}

/**
 * The provider link as plain text with a copy button. It is not a link: the window loads only
 * its own assets, and a responder pastes it into their browser.
 */
function CopyText({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    setCopied(await copyToClipboard(text));
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <span className="copy-text">
      <code data-testid="detail-url">{text}</code>
      <button type="button" onClick={() => void copy()} data-testid="copy-url">
        {copied ? "Copied" : "Copy"}
      </button>
    </span>
  );
}

/** Copies through the async clipboard API, falling back to a selected textarea. */
async function copyToClipboard(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

function Timeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) return <p className="hint">No timeline entries yet.</p>;
  return (
    <section aria-label="Timeline">
      <h3>Timeline</h3>
      <ol className="timeline" data-testid="timeline">
        {entries.map((entry) => (
          <li
            key={entry.id}
            className={`timeline-entry kind-${entry.kind}`}
            data-testid="timeline-entry"
          >
            <div className="timeline-head">
              <time dateTime={entry.at}>{formatTime(entry.at)}</time>
              <span className="timeline-kind">{entry.kind}</span>
              {entry.agent && <span className="timeline-agent">{entry.agent}</span>}
            </div>
            <div className="timeline-summary">{plain(entry.summary)}</div>
          </li>
        ))}
      </ol>
    </section>
  );
}
