// Unit tests for zone wall-clock conversion: plain days, DST gaps and repeats, bad input.
import { describe, expect, it } from "vitest";

import { lastNineOClock, parseWall, utcToZoned, zoneChoices, zonedToUtc } from "./zoneTime";

describe("zonedToUtc", () => {
  it("converts on either side of London's spring forward (2027-03-28)", () => {
    expect(zonedToUtc("2027-03-27", "09:00", "Europe/London")).toBe("2027-03-27T09:00:00Z");
    expect(zonedToUtc("2027-03-28", "09:00", "Europe/London")).toBe("2027-03-28T08:00:00Z");
    expect(zonedToUtc("2027-03-28", "00:30", "Europe/London")).toBe("2027-03-28T00:30:00Z");
  });

  it("takes a time in London's missing hour to the first instant after the gap", () => {
    expect(zonedToUtc("2027-03-28", "01:30", "Europe/London")).toBe("2027-03-28T01:00:00Z");
  });

  it("converts on either side of New York's spring forward (2027-03-14)", () => {
    expect(zonedToUtc("2027-03-13", "09:00", "America/New_York")).toBe("2027-03-13T14:00:00Z");
    expect(zonedToUtc("2027-03-14", "09:00", "America/New_York")).toBe("2027-03-14T13:00:00Z");
    expect(zonedToUtc("2027-03-14", "02:30", "America/New_York")).toBe("2027-03-14T07:00:00Z");
  });

  it("takes a repeated time at a fall back to its first occurrence", () => {
    expect(zonedToUtc("2027-10-31", "01:30", "Europe/London")).toBe("2027-10-31T00:30:00Z");
    expect(zonedToUtc("2027-11-07", "01:30", "America/New_York")).toBe("2027-11-07T05:30:00Z");
  });

  it("handles zones far from UTC and with half-hour offsets", () => {
    expect(zonedToUtc("2027-01-01", "00:00", "Pacific/Kiritimati")).toBe("2026-12-31T10:00:00Z");
    expect(zonedToUtc("2027-01-01", "09:00", "Asia/Kolkata")).toBe("2027-01-01T03:30:00Z");
    expect(zonedToUtc("2027-01-01", "09:00", "UTC")).toBe("2027-01-01T09:00:00Z");
  });

  it("refuses unknown zones and malformed or impossible dates and times", () => {
    expect(zonedToUtc("2027-01-01", "09:00", "Mars/Olympus")).toBeNull();
    expect(zonedToUtc("2027-02-30", "09:00", "UTC")).toBeNull();
    expect(zonedToUtc("2027-01-01", "24:00", "UTC")).toBeNull();
    expect(zonedToUtc("", "09:00", "UTC")).toBeNull();
    expect(parseWall("2027-01-01", "9:00")).toBeNull();
  });
});

describe("utcToZoned", () => {
  it("reads an instant on the zone's wall clock and round-trips", () => {
    expect(utcToZoned("2027-03-28T08:00:00Z", "Europe/London")).toEqual({
      date: "2027-03-28",
      time: "09:00",
    });
    expect(utcToZoned("2027-03-14T13:00:00Z", "America/New_York")).toEqual({
      date: "2027-03-14",
      time: "09:00",
    });
    expect(utcToZoned("2027-01-01T03:30:15Z", "Asia/Kolkata").time).toBe("09:00:15");
    const { date, time } = utcToZoned("2027-07-01T16:45:00Z", "America/New_York");
    expect(zonedToUtc(date, time, "America/New_York")).toBe("2027-07-01T16:45:00Z");
  });
});

describe("lastNineOClock", () => {
  it("is today's 09:00 once it has passed, else yesterday's", () => {
    const zone = "Europe/London";
    expect(lastNineOClock(new Date("2027-03-28T08:30:00Z"), zone).date).toBe("2027-03-28");
    expect(lastNineOClock(new Date("2027-03-28T07:30:00Z"), zone).date).toBe("2027-03-27");
    expect(lastNineOClock(new Date("2027-01-01T02:00:00Z"), "America/New_York")).toEqual({
      date: "2026-12-31",
      time: "09:00",
    });
  });
});

describe("zoneChoices", () => {
  it("lists IANA zones with UTC and the current one", () => {
    const zones = zoneChoices("Etc/GMT+5");
    expect(zones).toContain("Europe/London");
    expect(zones).toContain("UTC");
    expect(zones).toContain("Etc/GMT+5");
  });
});
