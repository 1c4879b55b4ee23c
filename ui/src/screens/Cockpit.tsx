// The incident commander's cockpit for one incident: severity and targets, roles with explicit
// handovers, the checklist, timers, the decision log, stakeholder updates and the export.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { cockpitApi, type Id, toCommandError } from "../api";
import type { Cockpit } from "../bindings/Cockpit";
import type { CockpitItem } from "../bindings/CockpitItem";
import type { Incident } from "../bindings/Incident";
import type { NoteKind } from "../bindings/NoteKind";
import type { Role } from "../bindings/Role";
import type { Severity } from "../bindings/Severity";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import type { TimelineFormat } from "../bindings/TimelineFormat";
import type { Timer } from "../bindings/Timer";
import { copyToClipboard, Empty, ErrorBox } from "../components";
import { formatTime, plain } from "../format";
import { useActor, useNow } from "../hooks";
import {
  formatCountdown,
  formatMinutes,
  isOverdue,
  parseMinutes,
  ROLES,
  timerProblem,
} from "../respond";

/** The cockpit tab: a start form until the incident is commanded, then the cockpit. */
export function CockpitView({
  incident,
  timeline,
}: {
  incident: Incident;
  timeline: TimelineEntry[];
}) {
  const cockpit = useQuery({
    queryKey: ["cockpit", incident.id],
    queryFn: () => cockpitApi.cockpit(incident.id),
  });
  if (cockpit.isPending) return <p className="hint">Loading…</p>;
  if (cockpit.isError) {
    if (toCommandError(cockpit.error).code === "not_found")
      return <StartCommand incident={incident} />;
    return <ErrorBox error={cockpit.error} title="Could not read the cockpit" />;
  }
  return <CockpitPanel cockpit={cockpit.data} cockpitEntries={cockpitEntries(timeline)} />;
}

/** How many of the timeline's entries the cockpit wrote, for a hint under the export. */
function cockpitEntries(timeline: TimelineEntry[]): number {
  return timeline.filter((e) => e.kind.startsWith("cockpit_")).length;
}

/** A cockpit call by the window's person; every screen refetches after it. */
function useCockpitCall<A>(call: (args: A, by: string) => Promise<unknown>) {
  const queryClient = useQueryClient();
  const [actor] = useActor();
  return useMutation({
    mutationFn: (args: A) => call(args, actor),
    onSettled: () => void queryClient.invalidateQueries(),
  });
}

function useSeverities() {
  return useQuery({ queryKey: ["severities"], queryFn: cockpitApi.severities });
}

function StartCommand({ incident }: { incident: Incident }) {
  const severities = useSeverities();
  const [level, setLevel] = useState(incident.severity ?? 2);
  const start = useCockpitCall((l: number, by) => cockpitApi.start(incident.id, l, by));
  const chosen = severities.data?.find((s) => s.level === level);
  return (
    <section className="card cockpit-start" data-testid="cockpit-start-form">
      <h3>Command this incident</h3>
      <p className="hint">
        Starting copies the severity&apos;s checklist here, schedules the first stakeholder update
        and writes every step to the incident&apos;s timeline. Nothing is sent to the provider.
      </p>
      <label>
        Severity
        <select
          value={level}
          onChange={(e) => setLevel(Number(e.target.value))}
          data-testid="cockpit-start-severity"
        >
          {[1, 2, 3, 4].map((l) => (
            <option key={l} value={l}>
              SEV-{l}
            </option>
          ))}
        </select>
      </label>
      {chosen && <SeverityFacts severity={chosen} />}
      <div className="form-actions">
        <button
          type="button"
          className="primary"
          disabled={start.isPending}
          onClick={() => start.mutate(level)}
          data-testid="cockpit-start"
        >
          Start command
        </button>
      </div>
      {start.isError && <ErrorBox error={start.error} title="Could not start command" />}
    </section>
  );
}

/** A severity's meaning and its response targets. */
function SeverityFacts({ severity }: { severity: Severity }) {
  return (
    <div className="severity-facts" data-testid="severity-facts">
      <p>{plain(severity.meaning)}</p>
      <dl className="targets">
        <dt>Acknowledge within</dt>
        <dd>{formatMinutes(severity.ack_minutes)}</dd>
        <dt>First update within</dt>
        <dd>{formatMinutes(severity.first_update_minutes)}</dd>
        <dt>Then update every</dt>
        <dd>{formatMinutes(severity.update_every_minutes)}</dd>
      </dl>
    </div>
  );
}

function CockpitPanel({ cockpit, cockpitEntries }: { cockpit: Cockpit; cockpitEntries: number }) {
  return (
    <div className="cockpit" data-testid="cockpit">
      <SeveritySection cockpit={cockpit} />
      <TimersSection cockpit={cockpit} />
      <RolesSection cockpit={cockpit} />
      <ChecklistSection cockpit={cockpit} />
      <UpdateSection incidentId={cockpit.incident_id} />
      <LogSection cockpit={cockpit} />
      <ExportSection incidentId={cockpit.incident_id} entries={cockpitEntries} />
    </div>
  );
}

function SeveritySection({ cockpit }: { cockpit: Cockpit }) {
  const change = useCockpitCall((level: number, by) =>
    cockpitApi.setSeverityLevel(cockpit.incident_id, level, by),
  );
  return (
    <section className="card" data-testid="cockpit-severity">
      <h3>
        <span
          className={`badge sev-${cockpit.severity.level}`}
          data-testid="cockpit-severity-level"
        >
          SEV-{cockpit.severity.level}
        </span>{" "}
        {plain(cockpit.checklist_title)}
      </h3>
      <SeverityFacts severity={cockpit.severity} />
      <p className="muted">
        Command started {formatTime(cockpit.started_at)} by {plain(cockpit.started_by)}.
      </p>
      <label className="inline-field">
        Change severity
        <select
          value={cockpit.severity.level}
          disabled={change.isPending}
          onChange={(e) => change.mutate(Number(e.target.value))}
          data-testid="cockpit-change-severity"
        >
          {[1, 2, 3, 4].map((l) => (
            <option key={l} value={l}>
              SEV-{l}
            </option>
          ))}
        </select>
      </label>
      {change.isError && <ErrorBox error={change.error} title="Could not change the severity" />}
    </section>
  );
}

function RolesSection({ cockpit }: { cockpit: Cockpit }) {
  return (
    <section className="card" data-testid="cockpit-roles">
      <h3>Roles</h3>
      <ul className="roles">
        {ROLES.map(({ role, title }) => (
          <RoleRow key={role} cockpit={cockpit} role={role} title={title} />
        ))}
      </ul>
    </section>
  );
}

/**
 * One role: who holds it, and either "assign" (nobody holds it, or another expert) or "hand
 * over" — a held role changes hands only explicitly, so the timeline records who took over.
 */
function RoleRow({ cockpit, role, title }: { cockpit: Cockpit; role: Role; title: string }) {
  const holders = cockpit.roles.filter((r) => r.role === role);
  const [person, setPerson] = useState("");
  const [from, setFrom] = useState("");
  const id = cockpit.incident_id;
  const assign = useCockpitCall((p: string, by) => cockpitApi.assignRole(id, role, p, by));
  const handOver = useCockpitCall(({ to, from }: { to: string; from: string | null }, by) =>
    cockpitApi.handOver(id, role, to, from, by),
  );
  const single = role !== "expert";
  const held = holders.length > 0;
  const call = single && held ? handOver : assign;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const to = person.trim();
    if (to === "") return;
    const done = { onSuccess: () => setPerson("") };
    if (single && held) handOver.mutate({ to, from: null }, done);
    else assign.mutate(to, done);
  };
  const handOverExpert = () => {
    if (person.trim() !== "" && from !== "") {
      handOver.mutate({ to: person.trim(), from }, { onSuccess: () => setPerson("") });
    }
  };

  return (
    <li className="role" data-testid={`role-${role}`}>
      <span className="role-title">{title}</span>
      <span className="role-holders" data-testid={`role-holder-${role}`}>
        {held ? holders.map((h) => plain(h.person)).join(", ") : "nobody yet"}
      </span>
      <form className="inline-field" onSubmit={submit}>
        <input
          value={person}
          placeholder={single && held ? "Hand over to…" : "Name"}
          maxLength={200}
          onChange={(e) => setPerson(e.target.value)}
          aria-label={single && held ? `Hand ${title} over to` : `Assign ${title}`}
          data-testid={`role-person-${role}`}
        />
        <button
          type="submit"
          disabled={call.isPending || person.trim() === ""}
          data-testid={single && held ? `role-handover-${role}` : `role-assign-${role}`}
        >
          {single && held ? "Hand over" : "Assign"}
        </button>
        {!single && held && (
          <>
            <select
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              aria-label="Expert handing over"
            >
              <option value="">from…</option>
              {holders.map((h) => (
                <option key={h.person} value={h.person}>
                  {plain(h.person)}
                </option>
              ))}
            </select>
            <button type="button" disabled={from === ""} onClick={handOverExpert}>
              Hand over
            </button>
          </>
        )}
      </form>
      {call.isError && <ErrorBox error={call.error} title={`Could not change the ${title}`} />}
    </li>
  );
}

function ChecklistSection({ cockpit }: { cockpit: Cockpit }) {
  const now = useNow(1_000);
  const id = cockpit.incident_id;
  const toggle = useCockpitCall(({ item, done }: { item: CockpitItem; done: boolean }, by) =>
    done ? cockpitApi.tick(id, item.position, by) : cockpitApi.untick(id, item.position, by),
  );
  const done = cockpit.items.filter((i) => i.done_at !== null).length;
  return (
    <section className="card" data-testid="cockpit-checklist">
      <h3>
        Checklist{" "}
        <span className="muted">
          {done} of {cockpit.items.length} done
        </span>
      </h3>
      {cockpit.items.length === 0 && <Empty>This severity&apos;s checklist is empty.</Empty>}
      <ol className="checklist">
        {cockpit.items.map((item) => (
          <li
            key={item.position}
            className={item.done_at ? "checklist-item done" : "checklist-item"}
            data-testid="checklist-item"
          >
            <label>
              <input
                type="checkbox"
                checked={item.done_at !== null}
                disabled={toggle.isPending}
                onChange={(e) => toggle.mutate({ item, done: e.target.checked })}
                data-testid={`checklist-tick-${item.position}`}
              />
              <span>{plain(item.text)}</span>
            </label>
            <span className="muted checklist-meta">
              {item.role && `${ROLES.find((r) => r.role === item.role)?.title ?? item.role} · `}
              {item.done_at !== null
                ? `done ${formatTime(item.done_at)} by ${plain(item.done_by ?? "someone")}`
                : item.due_at !== null && (
                    <span className={isOverdue(item.due_at, now) ? "overdue" : undefined}>
                      {formatCountdown(item.due_at, now)}
                    </span>
                  )}
            </span>
          </li>
        ))}
      </ol>
      {toggle.isError && <ErrorBox error={toggle.error} title="Could not change the checklist" />}
    </section>
  );
}

function TimersSection({ cockpit }: { cockpit: Cockpit }) {
  const now = useNow(1_000);
  const cancel = useCockpitCall((timerId: Id, by) => cockpitApi.cancelTimer(timerId, by));
  return (
    <section className="card" data-testid="cockpit-timers">
      <h3>Timers</h3>
      {cockpit.timers.length === 0 && <p className="hint">No timers running.</p>}
      <ul className="timers">
        {cockpit.timers.map((timer) => (
          <TimerRow
            key={timer.id}
            timer={timer}
            now={now}
            pending={cancel.isPending}
            onCancel={() => cancel.mutate(timer.id)}
          />
        ))}
      </ul>
      {cancel.isError && <ErrorBox error={cancel.error} title="Could not cancel the timer" />}
      <AddTimer incidentId={cockpit.incident_id} />
    </section>
  );
}

function TimerRow({
  timer,
  now,
  pending,
  onCancel,
}: {
  timer: Timer;
  now: Date;
  pending: boolean;
  onCancel: () => void;
}) {
  const overdue = isOverdue(timer.due_at, now);
  const what =
    timer.kind === "update"
      ? "Next stakeholder update"
      : `${plain(timer.label)}${timer.owner ? ` · ${plain(timer.owner)}` : ""}`;
  return (
    <li className={overdue ? "timer overdue" : "timer"} data-testid={`timer-${timer.kind}`}>
      <span className="timer-what">{what}</span>
      <span className="timer-countdown" data-testid="timer-countdown">
        {formatCountdown(timer.due_at, now)}
      </span>
      <button type="button" disabled={pending} onClick={onCancel}>
        Cancel
      </button>
    </li>
  );
}

function AddTimer({ incidentId }: { incidentId: Id }) {
  const [label, setLabel] = useState("");
  const [owner, setOwner] = useState("");
  const [minutes, setMinutes] = useState("15");
  const [problem, setProblem] = useState<string | null>(null);
  const add = useCockpitCall((t: { label: string; owner: string; minutes: number }, by) =>
    cockpitApi.addTimer(incidentId, t.label, t.owner, t.minutes, by),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const why = timerProblem(label, owner, minutes);
    setProblem(why);
    const parsed = parseMinutes(minutes);
    if (why !== null || parsed === null) return;
    const reset = () => {
      setLabel("");
      setOwner("");
    };
    add.mutate({ label: label.trim(), owner: owner.trim(), minutes: parsed }, { onSuccess: reset });
  };
  return (
    <form className="timer-form" onSubmit={submit} data-testid="timer-form">
      <input
        value={label}
        placeholder="Task, e.g. check the replicas"
        maxLength={500}
        onChange={(e) => setLabel(e.target.value)}
        aria-label="Task"
        data-testid="timer-label"
      />
      <input
        value={owner}
        placeholder="Owner"
        maxLength={200}
        onChange={(e) => setOwner(e.target.value)}
        aria-label="Owner"
        data-testid="timer-owner"
      />
      <input
        value={minutes}
        inputMode="numeric"
        className="minutes"
        onChange={(e) => setMinutes(e.target.value)}
        aria-label="Minutes"
        data-testid="timer-minutes"
      />
      <span className="muted">min</span>
      <button type="submit" disabled={add.isPending} data-testid="timer-add">
        Start timer
      </button>
      {problem && <p className="error-text">{problem}</p>}
      {add.isError && <ErrorBox error={add.error} title="Could not start the timer" />}
    </form>
  );
}

function UpdateSection({ incidentId }: { incidentId: Id }) {
  const [text, setText] = useState("");
  const record = useCockpitCall((t: string, by) => cockpitApi.recordUpdate(incidentId, t, by));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() !== "") record.mutate(text.trim(), { onSuccess: () => setText("") });
  };
  return (
    <section className="card" data-testid="cockpit-update">
      <h3>Stakeholder update</h3>
      <form onSubmit={submit}>
        <textarea
          value={text}
          rows={2}
          maxLength={10000}
          placeholder="What you told stakeholders; recording it schedules the next reminder"
          onChange={(e) => setText(e.target.value)}
          data-testid="update-text"
        />
        <div className="form-actions">
          <button type="submit" disabled={record.isPending || text.trim() === ""}>
            Record stakeholder update
          </button>
        </div>
      </form>
      {record.isError && <ErrorBox error={record.error} title="Could not record the update" />}
    </section>
  );
}

const NOTE_LABELS: Record<NoteKind, string> = {
  decision: "Decision",
  note: "Note",
  update: "Stakeholder update",
};

function LogSection({ cockpit }: { cockpit: Cockpit }) {
  const id = cockpit.incident_id;
  const [text, setText] = useState("");
  const [kind, setKind] = useState<"decision" | "note">("decision");
  const followups = useQuery({
    queryKey: ["followups", id],
    queryFn: () => cockpitApi.followups(id),
  });
  const add = useCockpitCall((t: { kind: "decision" | "note"; text: string }, by) =>
    t.kind === "decision" ? cockpitApi.decide(id, t.text, by) : cockpitApi.note(id, t.text, by),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() !== "")
      add.mutate({ kind, text: text.trim() }, { onSuccess: () => setText("") });
  };

  return (
    <section className="card" data-testid="cockpit-log">
      <h3>Decisions and notes</h3>
      <ol className="notes">
        {cockpit.notes.map((note) => (
          <li key={note.id} className={`note note-${note.kind}`} data-testid="cockpit-note">
            <span className="muted">
              {NOTE_LABELS[note.kind]} · {formatTime(note.at)} · {plain(note.by)}
            </span>
            <p className="note-text">{plain(note.text)}</p>
          </li>
        ))}
      </ol>
      <form onSubmit={submit}>
        <textarea
          value={text}
          rows={2}
          maxLength={10000}
          placeholder="Lines starting with TODO become follow-ups"
          onChange={(e) => setText(e.target.value)}
          data-testid="log-text"
        />
        <div className="form-actions">
          <select
            value={kind}
            onChange={(e) => setKind(e.target.value as "decision" | "note")}
            aria-label="Kind"
          >
            <option value="decision">Decision</option>
            <option value="note">Note</option>
          </select>
          <button type="submit" disabled={add.isPending || text.trim() === ""}>
            Add to the log
          </button>
        </div>
      </form>
      {add.isError && <ErrorBox error={add.error} title="Could not add that" />}
      <h4>Follow-ups</h4>
      {followups.isError && <ErrorBox error={followups.error} title="Could not read follow-ups" />}
      {followups.data?.length === 0 && <p className="hint">No TODO lines yet.</p>}
      <ul className="followups" data-testid="followups">
        {(followups.data ?? []).map((f) => (
          <li key={`${f.note_id}/${f.text}`}>
            {plain(f.text)} <span className="muted">· {plain(f.by)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The timeline as Markdown or JSON in a box to copy: no file is written anywhere. */
function ExportSection({ incidentId, entries }: { incidentId: Id; entries: number }) {
  const [format, setFormat] = useState<TimelineFormat | null>(null);
  const [copied, setCopied] = useState(false);
  const exported = useQuery({
    queryKey: ["timeline-export", incidentId, format],
    queryFn: () => cockpitApi.exportTimeline(incidentId, format ?? "markdown"),
    enabled: format !== null,
  });
  const copy = async () => {
    if (exported.data === undefined) return;
    setCopied(await copyToClipboard(exported.data));
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <section className="card" data-testid="cockpit-export">
      <h3>Timeline export</h3>
      <p className="hint">
        The whole timeline, provider entries and the cockpit&apos;s {entries} in one ordered stream,
        for the postmortem.
      </p>
      <div className="form-actions left">
        <button type="button" onClick={() => setFormat("markdown")} data-testid="export-markdown">
          Markdown
        </button>
        <button type="button" onClick={() => setFormat("json")} data-testid="export-json">
          JSON
        </button>
        {exported.data !== undefined && (
          <button type="button" onClick={() => void copy()} data-testid="export-copy">
            {copied ? "Copied" : "Copy"}
          </button>
        )}
      </div>
      {exported.isError && <ErrorBox error={exported.error} title="Could not export" />}
      {exported.data !== undefined && (
        <textarea
          className="export-box"
          readOnly
          rows={12}
          value={exported.data}
          data-testid="export-text"
        />
      )}
    </section>
  );
}
