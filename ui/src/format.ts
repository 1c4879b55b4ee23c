// Pure text formatting for times, ages and labels, kept apart from React so it is unit-tested.
import type { HealthState } from "./bindings/HealthState";
import type { IncidentStatus } from "./bindings/IncidentStatus";

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A span of seconds in the largest unit that keeps it readable: "45 s", "3 min", "2 h". */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < MINUTE) return `${s} s`;
  if (s < HOUR) return `${Math.floor(s / MINUTE)} min`;
  if (s < 2 * DAY) return `${Math.floor(s / HOUR)} h`;
  return `${Math.floor(s / DAY)} d`;
}

/**
 * How far a timestamp is from now, in words: "3 min ago", "in 20 s", "just now".
 * `null` means the thing never happened, which a responder must be able to tell from "long ago".
 */
export function formatRelative(iso: string | null, now: Date, never = "never"): string {
  if (iso === null) return never;
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = (now.getTime() - then) / 1000;
  if (Math.abs(seconds) < 5) return "just now";
  return seconds > 0 ? `${formatSpan(seconds)} ago` : `in ${formatSpan(-seconds)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** A timestamp in the responder's own time zone, to the minute: "2024-05-01 14:03". */
export function formatTime(iso: string | null): string {
  if (iso === null) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "SEV-2" for 2; nothing when the severity is unknown. */
export function severityLabel(severity: number | null): string | null {
  return severity === null ? null : `SEV-${severity}`;
}

/** The status as a responder says it, keeping a provider's unknown status visible. */
export function statusLabel(status: IncidentStatus, raw: string | null): string {
  if (status === "unknown") return raw ? `unknown (${raw})` : "unknown";
  return status;
}

/** Words for an account's sync health; failing states read as such at a glance. */
export function healthLabel(state: HealthState): string {
  switch (state) {
    case "pending":
      return "not synced yet";
    case "ok":
      return "ok";
    case "failing":
      return "failing";
    case "offline":
      return "offline";
    case "revoked":
      return "token rejected";
  }
}

/**
 * The age of the cached data as a whole: the oldest last success among accounts, since the
 * stalest account is the one that could hide a page. `null` when no account has synced yet.
 */
export function oldestSuccess(lastSuccesses: (string | null)[]): string | null {
  let oldest: string | null = null;
  for (const at of lastSuccesses) {
    if (at === null) return null;
    if (oldest === null || Date.parse(at) < Date.parse(oldest)) oldest = at;
  }
  return oldest;
}

/** Characters that reorder the text around them (LRM/RLM, embeddings, overrides, isolates). */
const BIDI_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Provider text made safe to show: bidirectional controls (which could make a title read
 * differently from what it is, e.g. "gnp.exe" shown as "exe.png") become U+FFFD. React
 * already renders it as text, so markup needs nothing here.
 */
export function plain(text: string): string {
  return text.replace(BIDI_CONTROLS, "\ufffd");
}

/** The cockpit's own timeline kinds, in the words of an incident's timeline. */
const COCKPIT_KINDS: Record<string, string> = {
  cockpit_start: "command started",
  cockpit_severity: "severity",
  cockpit_role: "role",
  cockpit_handover: "handover",
  cockpit_check: "checklist",
  cockpit_uncheck: "checklist",
  cockpit_timer: "timer",
  cockpit_decision: "decision",
  cockpit_note: "note",
  cockpit_update: "stakeholder update",
};

/**
 * A timeline entry's kind as a responder reads it: "handover" for `cockpit_handover`,
 * "status update" for a provider's `status_update`. Unknown kinds stay visible, spaced out.
 */
export function timelineKindLabel(kind: string): string {
  return COCKPIT_KINDS[kind] ?? kind.replace(/_/g, " ");
}
