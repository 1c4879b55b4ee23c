// Unit tests for the postmortem screens' logic.
import { describe, expect, it } from "vitest";

import {
  cleanItem,
  durationText,
  EMPTY_ITEM,
  nextStatuses,
  reviewDueText,
  saveStateText,
  statusVerb,
} from "./postmortem";

describe("review workflow", () => {
  it("goes forward one step at a time and back to draft", () => {
    expect(nextStatuses("draft")).toEqual(["in_review"]);
    expect(nextStatuses("in_review")).toEqual(["reviewed", "draft"]);
    expect(nextStatuses("reviewed")).toEqual(["closed", "draft"]);
    expect(nextStatuses("closed")).toEqual(["draft"]);
    expect(statusVerb("closed", "draft")).toBe("Reopen as draft");
    expect(statusVerb("draft", "in_review")).toBe("Send for review");
  });

  it("words the review due date, and drops it once reviewed", () => {
    const now = new Date("2026-12-04T12:00:00");
    expect(reviewDueText("2026-12-07", false, "draft", now)).toMatch(
      /^Review due 2026-12-07 \(in 3 d\)$/,
    );
    expect(reviewDueText("2026-12-01", true, "in_review", now)).toBe(
      "Review overdue since 2026-12-01",
    );
    expect(reviewDueText("2026-12-07", false, "reviewed", now)).toBeNull();
    expect(reviewDueText(null, false, "draft", now)).toBeNull();
  });
});

describe("figures", () => {
  it("shows mean and median with how many incidents they cover", () => {
    expect(durationText({ count: 14, mean_secs: 720, median_secs: 540 })).toBe(
      "12 min (median 9 min, 14 incidents)",
    );
    expect(durationText({ count: 0, mean_secs: null, median_secs: null })).toBe("—");
  });
});

describe("action item form", () => {
  it("trims and nulls blank fields", () => {
    const { item, problems } = cleanItem({
      ...EMPTY_ITEM,
      description: "  Alert on 5xx ",
      owner: " ",
    });
    expect(problems).toEqual([]);
    expect(item).toMatchObject({ description: "Alert on 5xx", owner: null });
  });

  it("names each problem", () => {
    const { problems } = cleanItem({
      ...EMPTY_ITEM,
      due_on: "tomorrow",
      tracker_url: "javascript:alert(1)",
    });
    expect(problems).toHaveLength(3);
  });
});

describe("save state", () => {
  it("tells a conflict apart from a retry", () => {
    expect(saveStateText("conflict", null)).toContain("another window");
    expect(saveStateText("error", null)).toContain("retrying");
    expect(saveStateText("saved", "x")).toBe("Saved");
  });
});
