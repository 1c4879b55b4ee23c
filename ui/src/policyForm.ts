// The local escalation-policy editor's logic, apart from React: a PolicyDef to form fields
// and back, the targets a level can page, and the checks the core also makes.
import type { PolicyDef } from "./bindings/PolicyDef";
import type { ScheduleDef } from "./bindings/ScheduleDef";
import type { ScheduleUser } from "./bindings/ScheduleUser";
import type { TargetDef } from "./bindings/TargetDef";

/** The core's bounds (src/schedule/file.rs). */
export const MAX_LOOPS = 9;
export const MAX_DELAY_MINUTES = 7 * 24 * 60;
export const MAX_LEVELS = 20;

export interface LevelFields {
  delay: string;
  targets: TargetDef[];
}

export interface PolicyFields {
  id: string;
  name: string;
  loops: string;
  levels: LevelFields[];
}

export function newLevel(): LevelFields {
  return { delay: "30", targets: [] };
}

export function newPolicy(): PolicyFields {
  return { id: "", name: "", loops: "0", levels: [newLevel()] };
}

export function toFields(p: PolicyDef): PolicyFields {
  return {
    id: p.id,
    name: p.name,
    loops: String(p.num_loops),
    levels: p.levels.map((l) => ({
      delay: String(l.delay_minutes),
      targets: l.targets.map((t) => ({ ...t })),
    })),
  };
}

/** A target as one option value of a select: `schedule:web-primary`, `user:ada`. */
export function targetKey(t: Pick<TargetDef, "kind" | "id">): string {
  return `${t.kind}:${t.id}`;
}

/** What a level may page: every local rotation, then every person, each with a label. */
export function targetChoices(
  schedules: ScheduleDef[],
  people: ScheduleUser[],
): { key: string; label: string; target: TargetDef }[] {
  const rotations = schedules.map((s) => ({
    key: targetKey({ kind: "schedule", id: s.id }),
    label: `Rotation: ${s.name || s.id}`,
    target: { kind: "schedule" as const, id: s.id },
  }));
  const persons = people.map((p) => ({
    key: targetKey({ kind: "user", id: p.id }),
    label: `Person: ${p.name || p.id}`,
    target: { kind: "user" as const, id: p.id, name: p.name },
  }));
  return [...rotations, ...persons];
}

/** How a target reads in the form: a rotation's or a person's name, else its id. */
export function targetLabel(t: TargetDef, schedules: ScheduleDef[]): string {
  if (t.kind === "schedule") {
    const s = schedules.find((s) => s.id === t.id);
    return `Rotation: ${s?.name || t.id}`;
  }
  return `Person: ${t.name || t.id}`;
}

function whole(text: string, min: number, max: number): number | null {
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/** The policy the fields describe, or the problems that stop it being saved. */
export function toPolicy(f: PolicyFields): { policy: PolicyDef | null; problems: string[] } {
  const problems: string[] = [];
  if (f.name.trim() === "") problems.push("Give the policy a name.");
  const loops = whole(f.loops, 0, MAX_LOOPS);
  if (loops === null) problems.push(`Repeat is a whole number from 0 to ${MAX_LOOPS}.`);
  if (f.levels.length === 0 || f.levels.length > MAX_LEVELS) {
    problems.push(`A policy has 1 to ${MAX_LEVELS} levels.`);
  }

  const levels = f.levels.map((l, i) => {
    const delay = whole(l.delay, 1, MAX_DELAY_MINUTES);
    if (delay === null) {
      problems.push(`Level ${i + 1}: wait 1 to ${MAX_DELAY_MINUTES} minutes (a week).`);
    }
    if (l.targets.length === 0) problems.push(`Level ${i + 1}: page a rotation or a person.`);
    return { delay_minutes: delay ?? 1, targets: l.targets.map((t) => ({ ...t })) };
  });

  if (problems.length > 0) return { policy: null, problems };
  return { policy: { id: f.id, name: f.name.trim(), num_loops: loops!, levels }, problems };
}
