// Pure logic for acting on incidents and commanding them: countdowns, outbox wording, which
// refusals to announce, and form checks. Kept apart from React so it is unit-tested.
import type { Id } from "./api";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { OutboxState } from "./bindings/OutboxState";
import type { ProviderKind } from "./bindings/ProviderKind";
import type { Role } from "./bindings/Role";

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Seconds as a clock: "4:05", "1:02:03". */
function clock(seconds: number): string {
  const s = Math.floor(Math.abs(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = `${pad(s % 60)}`;
  return h > 0 ? `${h}:${pad(m)}:${rest}` : `${m}:${rest}`;
}

/**
 * A live countdown to `dueIso`: "4:05 left", then "overdue by 0:12" once it has passed, so a
 * missed deadline reads as missed rather than as zero.
 */
export function formatCountdown(dueIso: string, now: Date): string {
  const due = Date.parse(dueIso);
  if (Number.isNaN(due)) return dueIso;
  const seconds = (due - now.getTime()) / 1000;
  return seconds >= 0 ? `${clock(seconds)} left` : `overdue by ${clock(seconds)}`;
}

/** Whether the countdown to `dueIso` has run out. */
export function isOverdue(dueIso: string, now: Date): boolean {
  return Date.parse(dueIso) < now.getTime();
}

/**
 * What a timeline entry made in Tocsin says about its way to the provider: "sending…" while
 * it waits, "not sent: <reason>" when the provider refused it, nothing once it arrived.
 */
export function outboxLabel(state: OutboxState | null, error: string | null): string | null {
  switch (state) {
    case null:
    case "done":
      return null;
    case "pending":
    case "sending":
      return "sending…";
    case "conflict":
      return `not sent: ${error ?? "the incident changed at the provider"}`;
    case "failed":
      return `not sent: ${error ?? "the provider refused it"}`;
  }
}

export function isRefused(state: OutboxState): boolean {
  return state === "conflict" || state === "failed";
}

/**
 * The refused writes of `accountId` to announce: finished at or after `since` (the window's
 * start, so old refusals are not announced again) and not announced yet.
 */
export function newRefusals(
  entries: OutboxEntry[],
  accountId: Id,
  announced: ReadonlySet<Id>,
  since: Date,
): OutboxEntry[] {
  return entries.filter(
    (e) =>
      e.account_id === accountId &&
      isRefused(e.state) &&
      !announced.has(e.id) &&
      e.finished_at !== null &&
      Date.parse(e.finished_at) >= since.getTime(),
  );
}

/** What the outbox entry asked for, in the person's words. */
export function writeLabel(entry: OutboxEntry): string {
  const write = entry.write;
  if (write.type === "declare") return `declare "${write.declaration.title}"`;
  if (write.type === "statuspage") return `publish "${write.draft.name}" to a status page`;
  const action = write.action;
  switch (action.kind) {
    case "acknowledge":
      return "acknowledge";
    case "resolve":
      return "resolve";
    case "note":
      return "add a note";
    case "escalate":
      return `escalate to level ${action.level}`;
    case "reassign":
      return "reassign";
    case "snooze":
      return `snooze for ${action.minutes} min`;
    case "set_urgency":
      return `set urgency to ${action.urgency}`;
    case "set_priority":
      return "change the priority";
  }
}

/** The declare form as typed. */
export interface DeclareDraft {
  title: string;
  severity: number;
  /** The chosen account's provider. */
  provider: ProviderKind;
  serviceId: string;
  details: string;
}

/** The longest title the core accepts, in characters. */
export const MAX_TITLE_CHARS = 1024;

/** The first problem with a declaration, in the person's words, or null when it can go. */
export function declareProblem(draft: DeclareDraft): string | null {
  const title = draft.title.trim();
  if (title === "") return "Say what is happening: the incident needs a title.";
  if ([...title].length > MAX_TITLE_CHARS) return "The title is longer than 1,024 characters.";
  if (![1, 2, 3, 4].includes(draft.severity)) return "Choose a severity, SEV-1 to SEV-4.";
  if (draft.provider === "alertmanager") {
    return "Alertmanager cannot open incidents; choose another account.";
  }
  if (draft.provider === "pagerduty" && draft.serviceId === "") {
    return "PagerDuty opens incidents on a service: choose one.";
  }
  return null;
}

/** Whole minutes from a form field, or null when it is not a positive whole number. */
export function parseMinutes(text: string, max = 7 * 24 * 60): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const minutes = Number(text.trim());
  return minutes >= 1 && minutes <= max ? minutes : null;
}

/** The first problem with a new task timer, or null when it can be started. */
export function timerProblem(label: string, owner: string, minutes: string): string | null {
  if (label.trim() === "") return "Say what the task is.";
  if (owner.trim() === "") return "Say who owns the task.";
  if (parseMinutes(minutes) === null) return "Give the time limit in whole minutes, 1 to 10080.";
  return null;
}

/** The roles in the order the cockpit shows them, with the names responders use. */
export const ROLES: { role: Role; title: string }[] = [
  { role: "commander", title: "Incident commander" },
  { role: "deputy", title: "Deputy" },
  { role: "scribe", title: "Scribe" },
  { role: "communications", title: "Communications liaison" },
  { role: "expert", title: "Subject-matter experts" },
];

/** "1 h 30 min", "45 min": a response target. */
export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}
