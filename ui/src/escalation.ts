// Wording for an incident's escalation outlook: who has it now, and who gets it next if
// nobody acknowledges in time.
import type { EscalationOutlook } from "./bindings/EscalationOutlook";
import type { ResolvedTarget } from "./bindings/ResolvedTarget";
import { formatTime, plain } from "./format";

/** "Primary: Ada, Grace; Lin", with schedules that have nobody known said so. */
export function targetsText(targets: ResolvedTarget[]): string {
  if (targets.length === 0) return "no targets";
  return targets
    .map((t) => {
      const name = plain(t.name);
      if (t.kind !== "schedule") return name;
      if (t.people.length === 0) return `${name} (nobody known on call)`;
      return `${name}: ${plain(t.people.join(", "))}`;
    })
    .join("; ");
}

/** Minutes from `now` until `iso`, never negative. */
export function minutesUntil(iso: string, now: Date): number {
  return Math.max(0, Math.ceil((Date.parse(iso) - now.getTime()) / 60_000));
}

/** The sentence under the facts: what happens next if nobody acts. */
export function nextStepText(outlook: EscalationOutlook, now: Date): string {
  const next = outlook.next;
  if (!next) return outlook.note ?? "";

  const minutes = minutesUntil(next.at, now);
  const when = minutes === 0 ? "now" : `in ${minutes} min, at ${formatTime(next.at)}`;
  const again = next.is_loop ? " (the policy starts over)" : "";
  return `If nobody acknowledges ${when}, this goes to level ${next.level}${again}: ${targetsText(next.targets)}.`;
}
