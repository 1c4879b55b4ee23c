// Unit tests for the time and label formatting helpers.
import { describe, expect, it } from "vitest";

import {
  formatRelative,
  formatSpan,
  formatTime,
  oldestSuccess,
  plain,
  severityLabel,
  statusLabel,
  timelineKindLabel,
} from "./format";

const NOW = new Date("2024-05-01T12:00:00Z");

describe("formatRelative", () => {
  it("says how long ago in the largest readable unit", () => {
    expect(formatRelative("2024-05-01T11:57:00Z", NOW)).toBe("3 min ago");
    expect(formatRelative("2024-05-01T11:59:30Z", NOW)).toBe("30 s ago");
    expect(formatRelative("2024-05-01T09:00:00Z", NOW)).toBe("3 h ago");
    expect(formatRelative("2024-04-28T12:00:00Z", NOW)).toBe("3 d ago");
  });

  it("handles the future, the present and never", () => {
    expect(formatRelative("2024-05-01T12:00:20Z", NOW)).toBe("in 20 s");
    expect(formatRelative("2024-05-01T12:00:02Z", NOW)).toBe("just now");
    expect(formatRelative(null, NOW)).toBe("never");
    expect(formatRelative(null, NOW, "not scheduled")).toBe("not scheduled");
  });

  it("shows text it cannot parse instead of hiding it", () => {
    expect(formatRelative("yesterday", NOW)).toBe("yesterday");
  });
});

describe("formatSpan", () => {
  it("keeps up to two days in hours", () => {
    expect(formatSpan(47 * 3600)).toBe("47 h");
    expect(formatSpan(48 * 3600)).toBe("2 d");
    expect(formatSpan(-5)).toBe("0 s");
  });
});

describe("formatTime", () => {
  it("prints local time to the minute", () => {
    const local = new Date(2024, 4, 1, 9, 5);
    expect(formatTime(local.toISOString())).toBe("2024-05-01 09:05");
    expect(formatTime(null)).toBe("—");
  });
});

describe("labels", () => {
  it("names severities and keeps unknown statuses visible", () => {
    expect(severityLabel(1)).toBe("SEV-1");
    expect(severityLabel(null)).toBeNull();
    expect(statusLabel("unknown", "snoozed")).toBe("unknown (snoozed)");
    expect(statusLabel("triggered", null)).toBe("triggered");
  });
});

describe("oldestSuccess", () => {
  it("is the stalest account, or null while any account never synced", () => {
    const a = "2024-05-01T11:00:00Z";
    const b = "2024-05-01T11:30:00Z";
    expect(oldestSuccess([b, a])).toBe(a);
    expect(oldestSuccess([a, null])).toBeNull();
    expect(oldestSuccess([])).toBeNull();
  });
});

describe("plain", () => {
  it("neutralises bidirectional controls and keeps everything else", () => {
    expect(plain("\u202egnp.exe")).toBe("\ufffdgnp.exe");
    expect(plain("<img src=x> DB on fire 🔥")).toBe("<img src=x> DB on fire 🔥");
  });
});

describe("timelineKindLabel", () => {
  it("names the cockpit's entries and spaces out provider kinds", () => {
    expect(timelineKindLabel("cockpit_handover")).toBe("handover");
    expect(timelineKindLabel("cockpit_uncheck")).toBe("checklist");
    expect(timelineKindLabel("status_update")).toBe("status update");
    expect(timelineKindLabel("trigger")).toBe("trigger");
  });
});
