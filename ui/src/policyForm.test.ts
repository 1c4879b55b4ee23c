// Unit tests for the escalation-policy editor's logic: round trip, targets and checks.
import { describe, expect, it } from "vitest";

import type { PolicyDef } from "./bindings/PolicyDef";
import type { ScheduleDef } from "./bindings/ScheduleDef";
import { newPolicy, targetChoices, targetLabel, toFields, toPolicy } from "./policyForm";

const WEB: ScheduleDef = {
  id: "web-primary",
  name: "Web primary",
  time_zone: "UTC",
  layers: [],
  overrides: [],
};

describe("policy form", () => {
  it("round-trips a policy unchanged", () => {
    const policy: PolicyDef = {
      id: "web",
      name: "Web",
      num_loops: 2,
      levels: [
        { delay_minutes: 10, targets: [{ kind: "schedule", id: "web-primary" }] },
        { delay_minutes: 30, targets: [{ kind: "user", id: "ada", name: "Ada" }] },
      ],
    };
    expect(toPolicy(toFields(policy))).toEqual({ policy, problems: [] });
  });

  it("names each problem and saves nothing", () => {
    const fields = { ...newPolicy(), loops: "10" };
    fields.levels[0]!.delay = "0";
    const { policy, problems } = toPolicy(fields);
    expect(policy).toBeNull();
    expect(problems).toEqual([
      "Give the policy a name.",
      "Repeat is a whole number from 0 to 9.",
      "Level 1: wait 1 to 10080 minutes (a week).",
      "Level 1: page a rotation or a person.",
    ]);
  });

  it("offers rotations then people, and labels targets by name", () => {
    const choices = targetChoices([WEB], [{ id: "ada", name: "Ada" }]);
    expect(choices.map((c) => [c.key, c.label])).toEqual([
      ["schedule:web-primary", "Rotation: Web primary"],
      ["user:ada", "Person: Ada"],
    ]);
    expect(targetLabel({ kind: "schedule", id: "web-primary" }, [WEB])).toBe(
      "Rotation: Web primary",
    );
    expect(targetLabel({ kind: "schedule", id: "gone" }, [])).toBe("Rotation: gone");
  });
});
