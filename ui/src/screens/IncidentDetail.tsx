// One incident: acting on it, its facts, the provider link as copyable text, the timeline,
// and the commander's cockpit beside them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, type Id } from "../api";
import type { Action } from "../bindings/Action";
import type { ActionKind } from "../bindings/ActionKind";
import type { Incident } from "../bindings/Incident";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import type { Urgency } from "../bindings/Urgency";
import { copyToClipboard, ErrorBox, IncidentBadges } from "../components";
import { nextStepText, targetsText } from "../escalation";
import { formatRelative, formatTime, plain, timelineKindLabel } from "../format";
import { CommunicateSection } from "./Communicate";
import { useNow } from "../hooks";
import { isRefused, outboxLabel, parseMinutes } from "../respond";
import { CockpitView } from "./Cockpit";

type Tab = "respond" | "command";

export function IncidentDetailView({
  id,
  onClose,
  onOpenPostmortem,
}: {
  id: Id;
  onClose: () => void;
  onOpenPostmortem?: (id: Id) => void;
}) {
  const detail = useQuery({ queryKey: ["incident", id], queryFn: () => api.getIncident(id) });
  const [tab, setTab] = useState<Tab>("respond");

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
      <div className="tabs" role="tablist" aria-label="Incident views">
        {(["respond", "command"] as const).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? "tab active" : "tab"}
            onClick={() => setTab(t)}
            data-testid={`tab-${t}`}
          >
            {t === "respond" ? "Respond" : "Command"}
          </button>
        ))}
      </div>
      {tab === "respond" ? (
        <>
          <Actions incident={incident} />
          <Facts incident={incident} />
          <Escalation incident={incident} />
          {onOpenPostmortem && <StartPostmortem incident={incident} onOpen={onOpenPostmortem} />}
          <CommunicateSection incident={incident} />
          <Timeline entries={timeline} />
        </>
      ) : (
        <CockpitView incident={incident} timeline={timeline} />
      )}
    </article>
  );
}

/** An action on the incident, refetching everything once the core has it. */
function useAct(incident: Incident, onDone?: (action: Action) => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (action: Action) => api.act(incident.id, action),
    onSuccess: (_detail, action) => onDone?.(action),
    onSettled: () => void queryClient.invalidateQueries(),
  });
}

/**
 * Acknowledge, resolve and note, and the provider's other actions behind "More": only what
 * the incident's provider takes now (the core says which). Provider writes go through the
 * outbox; the timeline shows each one's way there.
 */
function Actions({ incident }: { incident: Incident }) {
  const [note, setNote] = useState("");
  const offered = useQuery({
    queryKey: ["incident-actions", incident.id, incident.status],
    queryFn: () => api.incidentActions(incident.id),
  });
  const act = useAct(incident, (action) => {
    if (action.kind === "note") setNote("");
  });
  const can = (kind: ActionKind) => offered.data?.includes(kind) ?? false;
  const unacknowledged = incident.status === "triggered" || incident.status === "unknown";
  const addNote = (event: FormEvent) => {
    event.preventDefault();
    if (note.trim() !== "") act.mutate({ kind: "note", text: note });
  };
  const more = MORE_KINDS.filter(can);

  return (
    <div className="actions" data-testid="incident-actions">
      {can("acknowledge") && unacknowledged && (
        <button
          type="button"
          disabled={act.isPending}
          onClick={() => act.mutate({ kind: "acknowledge" })}
          data-testid="action-acknowledge"
        >
          Acknowledge
        </button>
      )}
      {can("resolve") && (
        <button
          type="button"
          disabled={act.isPending}
          onClick={() => act.mutate({ kind: "resolve" })}
          data-testid="action-resolve"
        >
          Resolve
        </button>
      )}
      {more.length > 0 && <MoreActions incident={incident} kinds={more} act={act.mutate} />}
      {can("note") && (
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
      )}
      {offered.isError && (
        <ErrorBox error={offered.error} title="Could not tell what is possible" />
      )}
      {act.isError && <ErrorBox error={act.error} title="Could not do that" />}
    </div>
  );
}

const MORE_KINDS: ActionKind[] = ["escalate", "reassign", "snooze", "set_urgency", "set_priority"];

/** The less frequent actions, folded away in one compact menu. */
function MoreActions({
  incident,
  kinds,
  act,
}: {
  incident: Incident;
  kinds: ActionKind[];
  act: (action: Action) => void;
}) {
  return (
    <details className="more-actions" data-testid="more-actions">
      <summary>More…</summary>
      <div className="more-menu">
        {kinds.includes("escalate") && (
          <NumberAction
            label="Escalate to level"
            initial="2"
            testId="action-escalate"
            onSubmit={(level) => act({ kind: "escalate", level })}
          />
        )}
        {kinds.includes("reassign") && <Reassign incident={incident} act={act} />}
        {kinds.includes("snooze") && (
          <NumberAction
            label="Snooze for (minutes)"
            initial="60"
            testId="action-snooze"
            onSubmit={(minutes) => act({ kind: "snooze", minutes })}
          />
        )}
        {kinds.includes("set_urgency") && (
          <label className="inline-field">
            Urgency
            <select
              value={incident.urgency}
              onChange={(e) => act({ kind: "set_urgency", urgency: e.target.value as Urgency })}
              data-testid="action-urgency"
            >
              <option value="high">high</option>
              <option value="low">low</option>
            </select>
          </label>
        )}
        {kinds.includes("set_priority") && <PriorityPick incident={incident} act={act} />}
      </div>
    </details>
  );
}

/** A whole number and a button, for escalation levels and snooze minutes. */
function NumberAction({
  label,
  initial,
  testId,
  onSubmit,
}: {
  label: string;
  initial: string;
  testId: string;
  onSubmit: (value: number) => void;
}) {
  const [value, setValue] = useState(initial);
  const parsed = parseMinutes(value);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (parsed !== null) onSubmit(parsed);
  };
  return (
    <form className="inline-field" onSubmit={submit}>
      <label>
        {label}
        <input
          type="number"
          min={1}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          data-testid={`${testId}-input`}
        />
      </label>
      <button type="submit" disabled={parsed === null} data-testid={testId}>
        Go
      </button>
    </form>
  );
}

/** Reassign to one of the account's cached people. */
function Reassign({ incident, act }: { incident: Incident; act: (action: Action) => void }) {
  const users = useQuery({
    queryKey: ["users", incident.account_id],
    queryFn: () => api.listUsers(incident.account_id),
  });
  const [userId, setUserId] = useState("");
  const people = users.data ?? [];
  if (users.isSuccess && people.length === 0) {
    return <p className="hint">No people cached for this account yet, so no reassigning.</p>;
  }
  return (
    <form
      className="inline-field"
      onSubmit={(e) => {
        e.preventDefault();
        if (userId !== "") act({ kind: "reassign", user_id: userId });
      }}
    >
      <label>
        Reassign to
        <select
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
          data-testid="action-reassign-user"
        >
          <option value="">Choose a person…</option>
          {people.map((p) => (
            <option key={p.provider_id} value={p.provider_id}>
              {plain(p.email ? `${p.name} (${p.email})` : p.name)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={userId === ""} data-testid="action-reassign">
        Reassign
      </button>
    </form>
  );
}

/** Change the priority to one of the account's cached priorities. */
function PriorityPick({ incident, act }: { incident: Incident; act: (action: Action) => void }) {
  const priorities = useQuery({
    queryKey: ["priorities", incident.account_id],
    queryFn: () => api.listPriorities(incident.account_id),
  });
  const list = priorities.data ?? [];
  if (priorities.isSuccess && list.length === 0) {
    return <p className="hint">This account has no priorities cached.</p>;
  }
  const current = list.find((p) => p.name === incident.priority)?.provider_id ?? "";
  return (
    <label className="inline-field">
      Priority
      <select
        value={current}
        onChange={(e) => {
          if (e.target.value !== "") act({ kind: "set_priority", priority_id: e.target.value });
        }}
        data-testid="action-priority"
      >
        <option value="">{incident.priority ?? "none"}</option>
        {list.map((p) => (
          <option key={p.provider_id} value={p.provider_id}>
            {plain(p.name)}
          </option>
        ))}
      </select>
    </label>
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
      <dd>{incident.priority === null ? "—" : plain(incident.priority)}</dd>
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

/** Starts a postmortem prefilled from this incident, and opens it. */
function StartPostmortem({ incident, onOpen }: { incident: Incident; onOpen: (id: Id) => void }) {
  const queryClient = useQueryClient();
  const start = useMutation({
    mutationFn: () => api.startPostmortem([incident.id], null),
    onSuccess: (pm) => {
      void queryClient.invalidateQueries({ queryKey: ["postmortems"] });
      onOpen(pm.id);
    },
  });
  return (
    <div className="actions">
      <button
        type="button"
        onClick={() => start.mutate()}
        disabled={start.isPending}
        data-testid="start-postmortem"
      >
        Start postmortem
      </button>
      {start.isError && <ErrorBox error={start.error} title="Could not start the postmortem" />}
    </div>
  );
}

/** Who has the incident in its escalation policy now, and who gets it if nobody acts. */
function Escalation({ incident }: { incident: Incident }) {
  const now = useNow();
  const outlook = useQuery({
    queryKey: ["escalation", incident.id, incident.status, incident.updated_at],
    queryFn: () => api.incidentEscalation(incident.id),
    // The walk through the levels moves with the clock, not only with sync.
    refetchInterval: 60_000,
  });
  if (!outlook.data) return null;

  const o = outlook.data;
  return (
    <section className="escalation" aria-label="Escalation" data-testid="escalation">
      <p>
        <strong>{plain(o.policy_name)}</strong>, level {o.level} of {o.levels}:{" "}
        {targetsText(o.current)}
      </p>
      <p data-testid="escalation-next">{nextStepText(o, now)}</p>
    </section>
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
      <code data-testid="detail-url">{plain(text)}</code>
      <button type="button" onClick={() => void copy()} data-testid="copy-url">
        {copied ? "Copied" : "Copy"}
      </button>
    </span>
  );
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
              <span className="timeline-kind">{timelineKindLabel(entry.kind)}</span>
              {entry.agent && <span className="timeline-agent">{plain(entry.agent)}</span>}
              <OutboxMark entry={entry} />
            </div>
            <div className="timeline-summary">{plain(entry.summary)}</div>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Where a write made in Tocsin is on its way to the provider; a refusal reads plainly. */
function OutboxMark({ entry }: { entry: TimelineEntry }) {
  const label = outboxLabel(entry.outbox_state, entry.outbox_error);
  if (label === null || entry.outbox_state === null) return null;
  return (
    <span
      className={`outbox-mark outbox-${entry.outbox_state}`}
      data-testid="outbox-state"
      role={isRefused(entry.outbox_state) ? "status" : undefined}
    >
      {plain(label)}
    </span>
  );
}
