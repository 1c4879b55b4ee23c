// Unit tests for the schedule views' wording and timeline rows.
import { describe, expect, it } from "vitest";

import type { Explanation } from "./bindings/Explanation";
import type { Rendering } from "./bindings/Rendering";
import { explainText, importText, timelineRows } from "./schedules";

const user = (name: string) => ({ id: name.toLowerCase(), name });

function explanation(reason: Explanation["reason"], on: string | null): Explanation {
  return {
    schedule_id: "P1",
    at: "2026-12-04T12:00:00Z",
    time_zone: "Europe/London",
    local_time: "2026-12-04 12:00 GMT",
    on_call: on ? user(on) : null,
    reason,
    layers: [],
  };
}

describe("explainText", () => {
  it("says which layer and turn, an override and whom it replaced, or nobody", () => {
    const shift = {
      layer_id: "L2",
      layer_name: "Weekdays",
      layer_position: 2,
      user: user("Ada"),
      user_position: 1,
      turn: 7,
      turn_start: "2026-12-04T09:00:00Z",
      turn_end: "2026-12-04T17:00:00Z",
      restriction: null,
    };
    expect(
      explainText(explanation({ kind: "layer", shift, higher_layers_with_nobody: [] }, "Ada")),
    ).toMatch(/^Ada: layer 2 “Weekdays”, turn 7 until /);
    const override = {
      kind: "override" as const,
      override_id: "O1",
      start: "x",
      end: "2026-12-05T09:00:00Z",
      replaced: shift,
    };
    expect(explainText(explanation(override, "Grace"))).toMatch(
      /^Grace by an override until .* instead of Ada\.$/,
    );
    expect(explainText(explanation({ kind: "nobody" }, null))).toContain("Nobody");
  });
});

describe("timelineRows", () => {
  it("puts the final schedule first and the top layer before lower ones", () => {
    const entry = (name: string) => ({
      start: "2026-12-04T00:00:00Z",
      end: "2026-12-05T00:00:00Z",
      user: user(name),
    });
    const r: Rendering = {
      schedule_id: "P1",
      time_zone: "UTC",
      since: "2026-12-04T00:00:00Z",
      until: "2026-12-18T00:00:00Z",
      layers: [
        { id: "L1", name: "Base", position: 1, entries: [entry("Grace")] },
        { id: "L2", name: "Top", position: 2, entries: [entry("Ada")] },
      ],
      overrides: [],
      final_entries: [entry("Ada")],
    };
    expect(timelineRows(r).map((row) => row.name)).toEqual([
      "Final schedule",
      "Layer 2: Top",
      "Layer 1: Base",
    ]);
    expect(timelineRows(r)[0]!.stretches[0]!.label).toBe("Ada");
  });
});

describe("importText", () => {
  it("counts what was imported, and what was removed only when something was", () => {
    const none = { removed_schedules: 0, removed_policies: 0 };
    expect(importText({ schedules: 1, policies: 2, ...none })).toBe(
      "Imported 1 rotation and 2 escalation policies.",
    );
    expect(
      importText({ schedules: 2, policies: 1, removed_schedules: 1, removed_policies: 0 }),
    ).toBe(
      "Imported 2 rotations and 1 escalation policy; removed 1 rotation and 0 escalation policies.",
    );
  });
});
