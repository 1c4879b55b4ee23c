// The local rotation editor's logic, apart from React: a ScheduleDef to form fields and back
// (handoffs as wall-clock times in the rotation's zone, turn lengths in hours, days or
// weeks), people in order, and the checks that stop a definition from being built at all.
// Everything else (overlaps, limits, unknown zones) the core's preview says.
import type { LayerDef } from "./bindings/LayerDef";
import type { RestrictionKind } from "./bindings/RestrictionKind";
import type { ScheduleDef } from "./bindings/ScheduleDef";
import type { ScheduleUser } from "./bindings/ScheduleUser";
import { isKnownZone, lastNineOClock, utcToZoned, zonedToUtc } from "./zoneTime";

export type TurnUnit = "hours" | "days" | "weeks";

export const UNIT_SECONDS: Record<TurnUnit, number> = {
  hours: 3600,
  days: 86_400,
  weeks: 604_800,
};

export interface WindowFields {
  kind: RestrictionKind;
  /** Monday = 1 … Sunday = 7; only weekly windows use it. */
  day: number;
  /** `HH:MM` in the rotation's zone. */
  start: string;
  /** How long the window lasts, in hours (fractions allowed). */
  hours: string;
}

export interface LayerFields {
  id: string;
  name: string;
  /** The first handoff, on the wall clocks of the rotation's zone. */
  date: string;
  time: string;
  turnCount: string;
  turnUnit: TurnUnit;
  people: ScheduleUser[];
  windows: WindowFields[];
  /** Kept from the stored layer: a start later than the first handoff, and an end. */
  keptStart: string | null;
  end: string | null;
}

export interface OverrideFields {
  id: string;
  personId: string;
  fromDate: string;
  fromTime: string;
  untilDate: string;
  untilTime: string;
}

export interface RotationFields {
  id: string;
  name: string;
  zone: string;
  layers: LayerFields[];
  overrides: OverrideFields[];
}

/** A turn length in seconds as a count of the largest unit that divides it. */
export function turnFromSeconds(seconds: number): { count: string; unit: TurnUnit } {
  for (const unit of ["weeks", "days"] as const) {
    if (seconds > 0 && seconds % UNIT_SECONDS[unit] === 0) {
      return { count: String(seconds / UNIT_SECONDS[unit]), unit };
    }
  }
  const hours = seconds / 3600;
  return {
    count: String(Number.isInteger(hours) ? hours : Number(hours.toFixed(4))),
    unit: "hours",
  };
}

/** A turn length in whole seconds, or null unless the count is a positive number. */
export function turnToSeconds(count: string, unit: TurnUnit): number | null {
  const n = Number(count.trim());
  if (count.trim() === "" || !Number.isFinite(n) || n <= 0) return null;
  return Math.round(n * UNIT_SECONDS[unit]);
}

/** A fresh layer: weekly turns from the last 09:00, so someone is on call straight away. */
export function newLayer(zone: string, position: number, now = new Date()): LayerFields {
  const { date, time } = lastNineOClock(now, zone);
  return {
    id: "",
    name: position === 1 ? "Primary" : `Layer ${position}`,
    date,
    time,
    turnCount: "1",
    turnUnit: "weeks",
    people: [],
    windows: [],
    keptStart: null,
    end: null,
  };
}

export function newRotation(zone: string, now = new Date()): RotationFields {
  return { id: "", name: "", zone, layers: [newLayer(zone, 1, now)], overrides: [] };
}

export function newWindow(): WindowFields {
  return { kind: "daily_restriction", day: 1, start: "09:00", hours: "8" };
}

/** A fresh override: the next hour, for the first person on the rotation. */
export function newOverride(fields: RotationFields, now = new Date()): OverrideFields {
  const hour = Math.ceil(now.getTime() / 3_600_000) * 3_600_000;
  const from = utcToZoned(new Date(hour).toISOString(), fields.zone);
  const until = utcToZoned(new Date(hour + 3_600_000).toISOString(), fields.zone);
  return {
    id: "",
    personId: fields.layers.flatMap((l) => l.people)[0]?.id ?? "",
    fromDate: from.date,
    fromTime: from.time,
    untilDate: until.date,
    untilTime: until.time,
  };
}

function layerFields(l: LayerDef, zone: string): LayerFields {
  const first = utcToZoned(l.rotation_virtual_start, zone);
  const turn = turnFromSeconds(l.rotation_turn_length_seconds);
  const sameStart = Date.parse(l.start) === Date.parse(l.rotation_virtual_start);
  return {
    id: l.id,
    name: l.name,
    date: first.date,
    time: first.time,
    turnCount: turn.count,
    turnUnit: turn.unit,
    people: l.users.map((u) => ({ ...u })),
    windows: l.restrictions.map((r) => ({
      kind: r.type,
      day: r.start_day_of_week ?? 1,
      start: r.start_time_of_day.slice(0, 5),
      hours: String(Number((r.duration_seconds / 3600).toFixed(4))),
    })),
    keptStart: sameStart ? null : l.start,
    end: l.end,
  };
}

export function toFields(def: ScheduleDef): RotationFields {
  const zone = def.time_zone;
  return {
    id: def.id,
    name: def.name,
    zone,
    layers: def.layers.map((l) => layerFields(l, zone)),
    overrides: def.overrides.map((o) => {
      const from = utcToZoned(o.start, zone);
      const until = utcToZoned(o.end, zone);
      return {
        id: o.id,
        personId: o.user.id,
        fromDate: from.date,
        fromTime: from.time,
        untilDate: until.date,
        untilTime: until.time,
      };
    }),
  };
}

/** `HH:MM` as the core's `HH:MM:SS`. */
function timeOfDay(start: string): string | null {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(start.trim()) ? `${start.trim()}:00` : null;
}

function toLayer(l: LayerFields, i: number, zone: string, problems: string[]): LayerDef | null {
  const at = `Layer ${i + 1}`;
  const first = zonedToUtc(l.date, l.time, zone);
  if (first === null) problems.push(`${at}: the first handoff needs a date and a time.`);
  const turn = turnToSeconds(l.turnCount, l.turnUnit);
  if (turn === null) problems.push(`${at}: a turn lasts a positive number of ${l.turnUnit}.`);
  if (l.people.length === 0) problems.push(`${at}: add at least one person.`);

  const restrictions = l.windows.map((w, j) => {
    const start = timeOfDay(w.start);
    const hours = Number(w.hours.trim());
    if (start === null || w.hours.trim() === "" || !(hours > 0)) {
      problems.push(`${at}, window ${j + 1}: a start like 09:00 and a positive length in hours.`);
    }
    const weekly = w.kind === "weekly_restriction";
    return {
      type: w.kind,
      start_time_of_day: start ?? "00:00:00",
      start_day_of_week: weekly ? w.day : null,
      duration_seconds: Math.round(hours * 3600),
    };
  });
  if (first === null || turn === null) return null;

  return {
    id: l.id,
    name: l.name.trim(),
    start: l.keptStart ?? first,
    end: l.end,
    rotation_virtual_start: first,
    rotation_turn_length_seconds: turn,
    users: l.people.map((p) => ({ ...p })),
    restrictions,
  };
}

/** The definition the fields describe, or the problems that stop it being built. */
export function toDef(
  f: RotationFields,
  known: ScheduleUser[],
): { def: ScheduleDef | null; problems: string[] } {
  const problems: string[] = [];
  if (f.name.trim() === "") problems.push("Give the rotation a name.");
  if (!isKnownZone(f.zone.trim())) {
    // Without the zone's rules no wall-clock time can become an instant.
    problems.push(`Choose a time zone this window knows (an IANA name such as Europe/London).`);
    return { def: null, problems };
  }
  if (f.layers.length === 0) problems.push("Add a layer.");
  const layers = f.layers.map((l, i) => toLayer(l, i, f.zone.trim(), problems));

  const people = [...known, ...f.layers.flatMap((l) => l.people)];
  const overrides = f.overrides.map((o, i) => {
    const start = zonedToUtc(o.fromDate, o.fromTime, f.zone.trim());
    const end = zonedToUtc(o.untilDate, o.untilTime, f.zone.trim());
    const user = people.find((p) => p.id === o.personId);
    if (start === null || end === null || user === undefined) {
      problems.push(`Override ${i + 1}: a person, and when it starts and ends.`);
    } else if (Date.parse(end) <= Date.parse(start)) {
      problems.push(`Override ${i + 1}: it must end after it starts.`);
    }
    return { id: o.id, start: start ?? "", end: end ?? "", user: { ...user! } };
  });

  if (problems.length > 0) return { def: null, problems };
  const def: ScheduleDef = {
    id: f.id,
    name: f.name.trim(),
    time_zone: f.zone.trim(),
    layers: layers as LayerDef[],
    overrides,
  };
  return { def, problems };
}

/** An id for a person from their name, free among `taken`: `Ada Lovelace` → `ada-lovelace`. */
export function personId(name: string, taken: Set<string>): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48) || "person";
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!taken.has(id)) return id;
  }
}

/**
 * The person called `name`: someone already on a local rotation by that name (so one person
 * keeps one id across rotations), else a new person with a fresh id. Null for a blank name.
 */
export function personFor(name: string, known: ScheduleUser[]): ScheduleUser | null {
  const wanted = name.trim();
  if (wanted === "") return null;

  const same = known.find((p) => p.name.trim().toLowerCase() === wanted.toLowerCase());
  if (same) return { ...same };
  return { id: personId(wanted, new Set(known.map((p) => p.id))), name: wanted };
}

/** The list with item `i` moved by `delta` places; unchanged when that leaves the list. */
export function move<T>(list: T[], i: number, delta: number): T[] {
  const j = i + delta;
  if (i < 0 || i >= list.length || j < 0 || j >= list.length) return list;

  const out = [...list];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}

/** Everyone on the rotation's layers and the people known elsewhere, once each by id. */
export function everyone(f: RotationFields, known: ScheduleUser[]): ScheduleUser[] {
  const byId = new Map<string, ScheduleUser>();
  for (const p of [...f.layers.flatMap((l) => l.people), ...known]) {
    if (!byId.has(p.id)) byId.set(p.id, p);
  }
  return [...byId.values()];
}
