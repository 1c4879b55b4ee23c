// Wording for the schedule views: why someone is on call, now and next per policy level, the
// cross-check against the provider, stretches for the timeline, and what an on-call file
// import changed.
import type { CachedSchedule } from "./bindings/CachedSchedule";
import type { CrossCheck } from "./bindings/CrossCheck";
import type { Disagreement } from "./bindings/Disagreement";
import type { Explanation } from "./bindings/Explanation";
import type { ImportSummary } from "./bindings/ImportSummary";
import type { Rendering } from "./bindings/Rendering";
import type { ScheduleEntry } from "./bindings/ScheduleEntry";
import type { ScheduleUser } from "./bindings/ScheduleUser";
import type { TargetOutlook } from "./bindings/TargetOutlook";
import type { Stretch } from "./charts";
import { formatTime, plain } from "./format";

const DAY_MS = 86_400_000;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** One sentence: who is on call and why (override, layer and turn, or nobody). */
export function explainText(e: Explanation): string {
  const reason = e.reason;
  switch (reason.kind) {
    case "nobody":
      return "Nobody is on call now: no layer or override covers this moment.";
    case "override": {
      const who = plain(e.on_call?.name ?? "someone");
      const instead = reason.replaced ? ` instead of ${plain(reason.replaced.user.name)}` : "";
      return `${who} by an override until ${formatTime(reason.end)}${instead}.`;
    }
    case "layer": {
      const s = reason.shift;
      const restricted = s.restriction ? " (inside its restriction window)" : "";
      return (
        `${plain(s.user.name)}: layer ${s.layer_position} “${plain(s.layer_name)}”, ` +
        `turn ${s.turn} until ${formatTime(s.turn_end)}${restricted}.`
      );
    }
  }
}

function stretches(entries: ScheduleEntry[]): Stretch[] {
  return entries.map((e) => ({
    start: Date.parse(e.start),
    end: Date.parse(e.end),
    label: plain(e.user.name || e.user.id),
  }));
}

/** The timeline's rows: the final schedule first, then overrides, then each layer, top first. */
export function timelineRows(r: Rendering): { name: string; stretches: Stretch[] }[] {
  const layers = [...r.layers]
    .sort((a, b) => b.position - a.position)
    .map((l) => ({
      name: `Layer ${l.position}: ${plain(l.name)}`,
      stretches: stretches(l.entries),
    }));
  const rows = [{ name: "Final schedule", stretches: stretches(r.final_entries) }];
  if (r.overrides.length > 0) rows.push({ name: "Overrides", stretches: stretches(r.overrides) });
  return [...rows, ...layers];
}

function who(user: ScheduleUser | null): string {
  return user ? plain(user.name || user.id) : "nobody";
}

/**
 * A handoff in the responder's own zone: "Mon 09:00" when it is less than six days away (so
 * the weekday cannot be next week's), else "Mon 2 Nov 09:00".
 */
export function formatHandoff(iso: string, now: Date): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const clock = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  const day = WEEKDAYS[d.getDay()];
  if (d.getTime() - now.getTime() < 6 * DAY_MS) return `${day} ${clock}`;
  return `${day} ${d.getDate()} ${MONTHS[d.getMonth()]} ${clock}`;
}

/** One line for a level's target: "Grace until Mon 09:00, then Alan". */
export function outlookText(t: TargetOutlook, days: number, now: Date): string {
  if (t.schedule_id === null) return `${who(t.now)}, always (directly on the policy)`;
  if (t.note !== null) return `Not known here: ${plain(t.note)}`;
  const current = t.now ? who(t.now) : "Nobody";
  if (t.next === null) return `${current}, no change in the next ${days} days`;
  return `${current} until ${formatHandoff(t.next.at, now)}, then ${who(t.next.to)}`;
}

export type OutlookLevel = { level: number; delayMinutes: number; targets: TargetOutlook[] };
export type OutlookPolicy = { key: string; name: string; levels: OutlookLevel[] };

/** The outlook's rows grouped by policy and level, in the order the core sorted them. */
export function groupOutlook(targets: TargetOutlook[]): OutlookPolicy[] {
  const policies: OutlookPolicy[] = [];
  for (const t of targets) {
    const key = `${t.account_id}/${t.escalation_policy_id}`;
    let policy = policies.find((p) => p.key === key);
    if (!policy) {
      policy = { key, name: t.escalation_policy_name, levels: [] };
      policies.push(policy);
    }
    let level = policy.levels.find((l) => l.level === t.level);
    if (!level) {
      level = { level: t.level, delayMinutes: t.delay_minutes, targets: [] };
      policy.levels.push(level);
    }
    level.targets.push(t);
  }
  return policies;
}

/**
 * Whether a provider rendered this schedule for a window Tocsin can compare with. A local
 * rotation is stored with an empty window: nothing but Tocsin renders it.
 */
export function hasProviderRendering(s: CachedSchedule): boolean {
  return s.window !== null && Date.parse(s.window[0]) < Date.parse(s.window[1]);
}

/** Whether the local rendering agrees with the provider's, over which window. */
export function checkSummary(c: CrossCheck): string {
  const [since, until] = [formatTime(c.since), formatTime(c.until)];
  if (c.render_error !== null) {
    return `Not compared with PagerDuty: this schedule does not render here (${plain(c.render_error)}).`;
  }
  const n = c.disagreements.length;
  if (n === 0) return `Agrees with PagerDuty's own rendering from ${since} to ${until}.`;
  const stretches = n === 1 ? "1 stretch" : `${n} stretches`;
  return `Disagrees with PagerDuty's own rendering in ${stretches} between ${since} and ${until}:`;
}

/** What the layer order says about a disagreement; nothing when they agree. */
export function layerOrderText(c: CrossCheck): string | null {
  if (c.render_error !== null || c.disagreements.length === 0) return null;
  if (c.layer_order === "reversed") {
    return (
      "These layers in reverse order reproduce PagerDuty's answer: PagerDuty may have listed " +
      "them backwards. Both answers are shown; neither is preferred."
    );
  }
  return "Neither the layer order as listed nor its reverse reproduces PagerDuty's answer.";
}

/** One disagreement: the span, who Tocsin renders and who PagerDuty says. */
export function disagreementText(d: Disagreement): string {
  return (
    `${formatTime(d.start)} → ${formatTime(d.end)}: ` +
    `Tocsin renders ${who(d.local)}, PagerDuty says ${who(d.provider)}`
  );
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One sentence on what an import changed; removals only when there were some. */
export function importText(s: ImportSummary): string {
  const saved =
    `Imported ${count(s.schedules, "rotation", "rotations")} and ` +
    `${count(s.policies, "escalation policy", "escalation policies")}`;
  if (s.removed_schedules === 0 && s.removed_policies === 0) return `${saved}.`;
  return (
    `${saved}; removed ${count(s.removed_schedules, "rotation", "rotations")} and ` +
    `${count(s.removed_policies, "escalation policy", "escalation policies")}.`
  );
}
