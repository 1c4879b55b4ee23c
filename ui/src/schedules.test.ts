// Unit tests for the schedule views' wording and timeline rows.
import { describe, expect, it } from "vitest";

import type { CachedSchedule } from "./bindings/CachedSchedule";
import type { CrossCheck } from "./bindings/CrossCheck";
import type { Explanation } from "./bindings/Explanation";
import type { Rendering } from "./bindings/Rendering";
import type { TargetOutlook } from "./bindings/TargetOutlook";
import {
  checkSummary,
  disagreementText,
  explainText,
  formatHandoff,
  importText,
  groupOutlook,
  hasProviderRendering,
  layerOrderText,
  outlookText,
  timelineRows,
} from "./schedules";

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

// Instants built from local wall-clock times, so the expectations hold in any test zone.
const local = (month: number, day: number, hour: number) =>
  new Date(2026, month - 1, day, hour, 0).toISOString();
const saturdayNoon = new Date(2026, 9, 24, 12, 0);

function target(over: Partial<TargetOutlook>): TargetOutlook {
  return {
    account_id: 1,
    escalation_policy_id: "PPOL",
    escalation_policy_name: "Checkout",
    level: 1,
    delay_minutes: 30,
    schedule_id: "PS1",
    schedule_name: "Primary",
    now: user("Grace"),
    next: { at: local(10, 26, 9), to: user("Alan") },
    note: null,
    ...over,
  };
}

describe("formatHandoff", () => {
  it("names the weekday within the week and the date beyond it", () => {
    expect(formatHandoff(local(10, 26, 9), saturdayNoon)).toBe("Mon 09:00");
    expect(formatHandoff(local(11, 2, 14), saturdayNoon)).toBe("Mon 2 Nov 14:00");
  });
});

describe("outlookText", () => {
  it("says who now, until when, and who next", () => {
    expect(outlookText(target({}), 14, saturdayNoon)).toBe("Grace until Mon 09:00, then Alan");
  });

  it("says nobody for a gap on either side of the handoff", () => {
    const gapNext = target({ next: { at: local(10, 25, 13), to: null } });
    expect(outlookText(gapNext, 14, saturdayNoon)).toBe("Grace until Sun 13:00, then nobody");
    const gapNow = target({ now: null });
    expect(outlookText(gapNow, 14, saturdayNoon)).toBe("Nobody until Mon 09:00, then Alan");
  });

  it("says when nothing changes, a user target, and why a schedule is not known", () => {
    expect(outlookText(target({ next: null }), 14, saturdayNoon)).toBe(
      "Grace, no change in the next 14 days",
    );
    const direct = target({ schedule_id: null, schedule_name: null, next: null });
    expect(outlookText(direct, 14, saturdayNoon)).toBe("Grace, always (directly on the policy)");
    const missing = target({ now: null, next: null, note: "no cached definition; sync first" });
    expect(outlookText(missing, 14, saturdayNoon)).toBe(
      "Not known here: no cached definition; sync first",
    );
  });
});

describe("groupOutlook", () => {
  it("keeps the core's order and puts a level's targets together", () => {
    const rows = [
      target({ level: 1 }),
      target({ level: 2, schedule_id: "PS2" }),
      target({ level: 2, schedule_id: null }),
      target({ escalation_policy_id: "PPOL2", escalation_policy_name: "Payments" }),
    ];
    const groups = groupOutlook(rows);
    expect(groups.map((p) => p.name)).toEqual(["Checkout", "Payments"]);
    expect(groups[0]!.levels.map((l) => [l.level, l.targets.length])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });
});

describe("the cross-check's wording", () => {
  const check = (over: Partial<CrossCheck>): CrossCheck => ({
    schedule_id: "PS1",
    since: local(10, 23, 12),
    until: local(11, 7, 12),
    layer_order: "as_listed",
    disagreements: [],
    render_error: null,
    ...over,
  });
  const stretch = {
    start: local(10, 24, 9),
    end: local(10, 26, 9),
    local: user("Grace"),
    provider: user("Alan"),
  };

  it("says it agrees, over which window", () => {
    expect(checkSummary(check({}))).toMatch(/^Agrees with PagerDuty's own rendering from /);
    expect(layerOrderText(check({}))).toBeNull();
  });

  it("lists each disagreement with both answers and the layer-order finding", () => {
    const reversed = check({ layer_order: "reversed", disagreements: [stretch] });
    expect(checkSummary(reversed)).toMatch(/^Disagrees .* in 1 stretch between .* and .*:$/);
    expect(disagreementText(stretch)).toBe(
      "2026-10-24 09:00 → 2026-10-26 09:00: Tocsin renders Grace, PagerDuty says Alan",
    );
    expect(layerOrderText(reversed)).toMatch(/in reverse order reproduce PagerDuty's answer/);
    const neither = check({ layer_order: "neither", disagreements: [stretch, stretch] });
    expect(checkSummary(neither)).toMatch(/in 2 stretches/);
    expect(layerOrderText(neither)).toMatch(/^Neither/);
    const gap = { ...stretch, provider: null };
    expect(disagreementText(gap)).toMatch(/PagerDuty says nobody$/);
  });

  it("says when the schedule cannot be compared at all", () => {
    const broken = check({ render_error: "unknown time zone `Eastern Time (US & Canada)`" });
    expect(checkSummary(broken)).toMatch(/^Not compared with PagerDuty: .*unknown time zone/);
  });
});

describe("hasProviderRendering", () => {
  it("is false for a local rotation's empty window and a schedule never rendered", () => {
    const cached = (window: [string, string] | null): CachedSchedule => ({
      account_id: 1,
      id: "PS1",
      name: "Primary",
      time_zone: "UTC",
      read_at: "2026-10-24T12:00:00Z",
      window,
    });
    expect(hasProviderRendering(cached(["2026-10-23T12:00:00Z", "2026-11-07T12:00:00Z"]))).toBe(
      true,
    );
    expect(hasProviderRendering(cached(["2026-10-24T12:00:00Z", "2026-10-24T12:00:00Z"]))).toBe(
      false,
    );
    expect(hasProviderRendering(cached(null))).toBe(false);
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
