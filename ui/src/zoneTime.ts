// Wall-clock times in an IANA zone to UTC instants and back, with the core's DST contract:
// a time inside a spring-forward gap means the first instant after the gap, and a time that
// happens twice (fall back) means its first occurrence.

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A formatter that reads an instant as numbers in `zone`; null for an unknown zone. */
function formatter(zone: string): Intl.DateTimeFormat | null {
  const known = formatters.get(zone);
  if (known) return known;
  try {
    const made = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, made);
    return made;
  } catch {
    return null;
  }
}

/** Whether the webview knows `zone` as an IANA time zone. */
export function isKnownZone(zone: string): boolean {
  return zone.trim() !== "" && formatter(zone) !== null;
}

/** The wall-clock reading of `ms` in `zone`, as milliseconds of a UTC calendar. */
function wallOf(ms: number, f: Intl.DateTimeFormat): number {
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const { year, month, day, hour, minute, second } = parts as Record<string, number>;
  return Date.UTC(year!, month! - 1, day!, hour! % 24, minute!, second!);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** `YYYY-MM-DD` and `HH:MM[:SS]` as a UTC calendar reading in ms, or null if malformed. */
export function parseWall(date: string, time: string): number | null {
  const d = DATE.exec(date.trim());
  const t = TIME.exec(time.trim());
  if (!d || !t) return null;

  const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const ms = Date.UTC(year, month - 1, day, Number(t[1]), Number(t[2]), Number(t[3] ?? 0));
  const back = new Date(ms);
  // 2027-02-30 would roll over into March: refuse it rather than guess.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1) return null;
  if (back.getUTCDate() !== day) return null;
  return ms;
}

/**
 * The instant that `date` at `time` on the wall clocks of `zone` names, as an RFC 3339 UTC
 * string; null when the date, time or zone is not valid.
 */
export function zonedToUtc(date: string, time: string, zone: string): string | null {
  const f = formatter(zone);
  const wall = parseWall(date, time);
  if (f === null || wall === null) return null;

  // No zone is more than 14 hours from UTC and transitions are months apart, so the offsets a
  // day either side are the only two this wall-clock time can have.
  const offsets = [wall - 86_400_000, wall + 86_400_000].map((t) => wallOf(t, f) - t);
  const fits = offsets.map((o) => wall - o).filter((t) => wallOf(t, f) === wall);
  if (fits.length > 0) return iso(Math.min(...fits));

  return iso(afterGap(wall, f));
}

/** The first instant whose wall-clock reading is at or past `wall` (the end of its gap). */
function afterGap(wall: number, f: Intl.DateTimeFormat): number {
  let lo = wall - 26 * 3_600_000;
  let hi = wall + 26 * 3_600_000;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (wallOf(mid, f) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** An instant as the date and time on the wall clocks of `zone` (seconds only when set). */
export function utcToZoned(instant: string, zone: string): { date: string; time: string } {
  const f = formatter(zone) ?? formatter("UTC")!;
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) return { date: "", time: "" };

  const wall = new Date(wallOf(ms, f)).toISOString();
  const seconds = wall.slice(17, 19);
  return {
    date: wall.slice(0, 10),
    time: seconds === "00" ? wall.slice(11, 16) : wall.slice(11, 19),
  };
}

/** The most recent 09:00 in `zone` at or before `now`: a first handoff already under way. */
export function lastNineOClock(now: Date, zone: string): { date: string; time: string } {
  const today = utcToZoned(now.toISOString(), zone).date;
  const nine = zonedToUtc(today, "09:00", zone);
  if (nine !== null && Date.parse(nine) <= now.getTime()) return { date: today, time: "09:00" };

  const yesterday = new Date(Date.parse(`${today}T12:00:00Z`) - 86_400_000);
  return { date: yesterday.toISOString().slice(0, 10), time: "09:00" };
}

/**
 * The zones the webview knows, with UTC and `current` present even where it leaves them out;
 * null where it cannot list them (the form then takes the zone as text).
 */
export function zoneChoices(current: string): string[] | null {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  let zones: string[];
  try {
    zones = intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    zones = [];
  }
  if (zones.length === 0) return null;

  const all = new Set(zones);
  all.add("UTC");
  if (current.trim() !== "") all.add(current);
  return [...all].sort();
}

/** The zone the window runs in, for a new rotation. */
export function windowZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}
