// Unit tests for the rotation editor's logic: ScheduleDef <-> fields, turn units, people.
import { describe, expect, it } from "vitest";

import type { ScheduleDef } from "./bindings/ScheduleDef";
import {
  move,
  newLayer,
  newRotation,
  personFor,
  toDef,
  toFields,
  turnFromSeconds,
  turnToSeconds,
} from "./rotationForm";

const ada = { id: "ada", name: "Ada" };
const grace = { id: "grace", name: "Grace" };

const LONDON: ScheduleDef = {
  id: "web-primary",
  name: "Web primary",
  time_zone: "Europe/London",
  layers: [
    {
      id: "layer-1",
      name: "Weekdays",
      start: "2027-03-01T09:00:00Z",
      end: null,
      rotation_virtual_start: "2027-03-01T09:00:00Z",
      rotation_turn_length_seconds: 604_800,
      users: [ada, grace],
      restrictions: [
        {
          type: "weekly_restriction",
          start_time_of_day: "09:00:00",
          start_day_of_week: 1,
          duration_seconds: 4 * 86_400 + 8 * 3600,
        },
        {
          type: "daily_restriction",
          start_time_of_day: "18:30:00",
          start_day_of_week: null,
          duration_seconds: 5400,
        },
      ],
    },
    {
      id: "layer-2",
      name: "Cover",
      start: "2027-04-01T00:00:00Z",
      end: "2027-05-01T00:00:00Z",
      rotation_virtual_start: "2027-03-28T08:00:00Z",
      rotation_turn_length_seconds: 43_200,
      users: [grace],
      restrictions: [],
    },
  ],
  overrides: [{ id: "o1", start: "2027-03-30T08:00:00Z", end: "2027-03-30T20:00:00Z", user: ada }],
};

describe("turn lengths", () => {
  it("reads seconds in the largest unit that divides them", () => {
    expect(turnFromSeconds(604_800)).toEqual({ count: "1", unit: "weeks" });
    expect(turnFromSeconds(2 * 86_400)).toEqual({ count: "2", unit: "days" });
    expect(turnFromSeconds(43_200)).toEqual({ count: "12", unit: "hours" });
    expect(turnFromSeconds(5400)).toEqual({ count: "1.5", unit: "hours" });
  });

  it("turns a positive count of a unit into whole seconds, and nothing else", () => {
    expect(turnToSeconds("2", "weeks")).toBe(1_209_600);
    expect(turnToSeconds(" 3 ", "days")).toBe(259_200);
    expect(turnToSeconds("1.5", "hours")).toBe(5400);
    expect(turnToSeconds("0", "hours")).toBeNull();
    expect(turnToSeconds("", "days")).toBeNull();
    expect(turnToSeconds("two", "days")).toBeNull();
  });
});

describe("rotation form", () => {
  it("round-trips a definition with restrictions, a later start, an end and an override", () => {
    expect(toDef(toFields(LONDON), [])).toEqual({ def: LONDON, problems: [] });
  });

  it("shows handoffs on the rotation's wall clock, across the DST change", () => {
    const fields = toFields(LONDON);
    expect([fields.layers[0]!.date, fields.layers[0]!.time]).toEqual(["2027-03-01", "09:00"]);
    expect([fields.layers[1]!.date, fields.layers[1]!.time]).toEqual(["2027-03-28", "09:00"]);
    expect(fields.layers[0]!.windows[1]).toEqual({
      kind: "daily_restriction",
      day: 1,
      start: "18:30",
      hours: "1.5",
    });
  });

  it("converts a New York handoff typed after its DST change to the right instant", () => {
    const fields = newRotation("America/New_York", new Date("2027-03-20T12:00:00Z"));
    fields.name = "Payments";
    fields.layers[0] = { ...fields.layers[0]!, date: "2027-03-14", time: "09:00", people: [ada] };
    const { def } = toDef(fields, []);
    expect(def?.layers[0]?.rotation_virtual_start).toBe("2027-03-14T13:00:00Z");
    expect(def?.layers[0]?.start).toBe("2027-03-14T13:00:00Z");
    expect(def?.layers[0]?.rotation_turn_length_seconds).toBe(604_800);
    expect(def?.id).toBe("");
  });

  it("moves a later layer start along with the handoff only when they were the same", () => {
    const fields = toFields(LONDON);
    fields.layers[0]!.date = "2027-03-08";
    fields.layers[1]!.date = "2027-03-29";
    const def = toDef(fields, []).def!;
    expect(def.layers[0]!.start).toBe("2027-03-08T09:00:00Z");
    expect(def.layers[1]!.start).toBe("2027-04-01T00:00:00Z");
  });

  it("names each problem and builds nothing", () => {
    const fields = newRotation("Europe/London");
    fields.layers[0]!.turnCount = "0";
    fields.layers[0]!.date = "2027-02-30";
    fields.layers[0]!.windows = [{ kind: "daily_restriction", day: 1, start: "9", hours: "x" }];
    fields.overrides = [
      {
        id: "",
        personId: "nobody",
        fromDate: "2027-01-01",
        fromTime: "09:00",
        untilDate: "2027-01-01",
        untilTime: "10:00",
      },
    ];
    const { def, problems } = toDef(fields, []);
    expect(def).toBeNull();
    expect(problems).toHaveLength(6);
  });

  it("asks for a known zone before anything else", () => {
    const fields = { ...newRotation("Mars/Olympus"), name: "Web" };
    expect(toDef(fields, []).problems).toEqual([
      "Choose a time zone this window knows (an IANA name such as Europe/London).",
    ]);
  });

  it("starts a new layer at the last 09:00 with weekly turns", () => {
    const layer = newLayer("Europe/London", 2, new Date("2027-03-28T07:00:00Z"));
    expect([layer.name, layer.date, layer.time]).toEqual(["Layer 2", "2027-03-27", "09:00"]);
    expect([layer.turnCount, layer.turnUnit]).toEqual(["1", "weeks"]);
  });
});

describe("people", () => {
  it("reuses a known person's id by name, else makes a free one", () => {
    expect(personFor(" ada ", [ada])).toEqual(ada);
    expect(personFor("Ada Lovelace", [ada])).toEqual({ id: "ada-lovelace", name: "Ada Lovelace" });
    expect(personFor("Ada!", [ada])).toEqual({ id: "ada-2", name: "Ada!" });
    expect(personFor("李", [])).toEqual({ id: "person", name: "李" });
    expect(personFor("  ", [ada])).toBeNull();
  });

  it("moves one place up or down, and not off either end", () => {
    expect(move([1, 2, 3], 0, 1)).toEqual([2, 1, 3]);
    expect(move([1, 2, 3], 2, -1)).toEqual([1, 3, 2]);
    expect(move([1, 2, 3], 0, -1)).toEqual([1, 2, 3]);
    expect(move([1, 2, 3], 2, 1)).toEqual([1, 2, 3]);
  });
});
