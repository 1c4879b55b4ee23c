// Unit tests for the escalation outlook's wording.
import { describe, expect, it } from "vitest";

import type { EscalationOutlook } from "./bindings/EscalationOutlook";
import { minutesUntil, nextStepText, targetsText } from "./escalation";

const NOW = new Date("2026-12-04T11:45:00Z");

function outlook(extra: Partial<EscalationOutlook> = {}): EscalationOutlook {
  return {
    policy_id: "P1",
    policy_name: "Payments",
    levels: 3,
    num_loops: 0,
    level: 1,
    since: "2026-12-04T11:40:00Z",
    current: [{ kind: "user", name: "Ada", people: ["Ada"] }],
    next: {
      level: 2,
      at: "2026-12-04T12:10:00Z",
      is_loop: false,
      targets: [{ kind: "schedule", name: "Primary", people: ["Grace", "Lin"] }],
    },
    note: null,
    ...extra,
  };
}

describe("escalation wording", () => {
  it("says when and to whom the incident goes next", () => {
    const text = nextStepText(outlook(), NOW);
    expect(text).toContain("If nobody acknowledges in 25 min");
    expect(text).toContain("level 2: Primary: Grace, Lin.");
  });

  it("says when the policy starts over and when nobody is known", () => {
    const next = { level: 1, at: "2026-12-04T11:44:00Z", is_loop: true, targets: [] };
    expect(nextStepText(outlook({ next }), NOW)).toBe(
      "If nobody acknowledges now, this goes to level 1 (the policy starts over): no targets.",
    );
    expect(targetsText([{ kind: "schedule", name: "Night", people: [] }])).toBe(
      "Night (nobody known on call)",
    );
  });

  it("falls back to the note when nothing is next", () => {
    expect(
      nextStepText(outlook({ next: null, note: "Acknowledged: escalation is paused." }), NOW),
    ).toBe("Acknowledged: escalation is paused.");
  });

  it("keeps provider names plain", () => {
    expect(targetsText([{ kind: "user", name: "Ada\u202Eevil", people: [] }])).not.toMatch(
      /\u202E/,
    );
  });

  it("never counts down below zero", () => {
    expect(minutesUntil("2026-12-04T11:00:00Z", NOW)).toBe(0);
  });
});
