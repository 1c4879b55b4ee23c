// Wording for the schedule views: why someone is on call, stretches for the timeline, and
// what an on-call file import changed.
import type { Explanation } from "./bindings/Explanation";
import type { ImportSummary } from "./bindings/ImportSummary";
import type { Rendering } from "./bindings/Rendering";
import type { ScheduleEntry } from "./bindings/ScheduleEntry";
import type { Stretch } from "./charts";
import { formatTime, plain } from "./format";

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
