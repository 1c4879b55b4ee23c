// The paging-policy form's logic, apart from React: policy to fields and back, with the same
// checks the core makes, so a typo is caught before saving.
import type { PagingPolicy } from "./bindings/PagingPolicy";

export interface PagingFields {
  notifyLow: boolean;
  onlyOnCall: boolean;
  /** Comma-separated service names or ids; blank means every service. */
  services: string;
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
  /** Monday = 1 … Sunday = 7; none ticked means every day. */
  quietDays: number[];
  quietZone: string;
  soundHigh: string;
  soundLow: string;
  repeat: boolean;
  repeatMinutes: string;
  repeatMax: string;
  onEscalation: boolean;
  onReassignment: boolean;
  selfAlarmMinutes: string;
}

export const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** The zone the window runs in, for a new quiet-hours window. */
function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function toFields(p: PagingPolicy): PagingFields {
  return {
    notifyLow: p.notify_low,
    onlyOnCall: p.only_on_call,
    services: (p.services ?? []).join(", "),
    quiet: p.quiet_hours !== null,
    quietStart: p.quiet_hours?.start ?? "22:00",
    quietEnd: p.quiet_hours?.end ?? "07:00",
    quietDays: p.quiet_hours?.days ?? [],
    quietZone: p.quiet_hours?.time_zone ?? localZone(),
    soundHigh: p.sound_high ?? "",
    soundLow: p.sound_low ?? "",
    repeat: p.repeat.enabled,
    repeatMinutes: String(Math.max(1, Math.round(p.repeat.every_secs / 60))),
    repeatMax: p.repeat.max === null ? "" : String(p.repeat.max),
    onEscalation: p.notify_on_escalation,
    onReassignment: p.notify_on_reassignment,
    selfAlarmMinutes: String(Math.round(p.self_alarm_after_secs / 60)),
  };
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const SOUND = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The policy the fields describe, or the problems that stop it being saved. */
export function toPolicy(f: PagingFields): { policy: PagingPolicy | null; problems: string[] } {
  const problems: string[] = [];
  const whole = (text: string, what: string, min: number, max: number): number => {
    const n = Number(text.trim());
    if (text.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
      problems.push(`${what} is a whole number from ${min} to ${max}.`);
      return min;
    }
    return n;
  };

  if (f.quiet && !TIME.test(f.quietStart)) problems.push("Quiet hours start like 22:00.");
  if (f.quiet && !TIME.test(f.quietEnd)) problems.push("Quiet hours end like 07:00.");
  if (f.quiet && f.quietZone.trim() === "") problems.push("Quiet hours need a time zone.");
  for (const sound of [f.soundHigh, f.soundLow]) {
    if (sound.trim() !== "" && !SOUND.test(sound.trim())) {
      problems.push(`“${sound}” is not a sound name like alarm-clock-elapsed.`);
    }
  }
  const every = whole(f.repeatMinutes, "Repeat every (minutes)", 1, 1440);
  const max = f.repeatMax.trim() === "" ? null : whole(f.repeatMax, "Repeat at most", 1, 1000);
  const alarm = whole(f.selfAlarmMinutes, "Self-alarm after (minutes)", 0, 7 * 24 * 60);
  const services = f.services
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

  if (problems.length > 0) return { policy: null, problems };
  const policy: PagingPolicy = {
    notify_low: f.notifyLow,
    services: services.length === 0 ? null : services,
    only_on_call: f.onlyOnCall,
    quiet_hours: f.quiet
      ? {
          start: f.quietStart,
          end: f.quietEnd,
          days: [...f.quietDays].sort((a, b) => a - b),
          time_zone: f.quietZone.trim(),
        }
      : null,
    sound_high: f.soundHigh.trim() || null,
    sound_low: f.soundLow.trim() || null,
    repeat: { enabled: f.repeat, every_secs: every * 60, max },
    notify_on_escalation: f.onEscalation,
    notify_on_reassignment: f.onReassignment,
    self_alarm_after_secs: alarm * 60,
  };
  return { policy, problems };
}
