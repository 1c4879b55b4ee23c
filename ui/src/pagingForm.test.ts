// Unit tests for the paging-policy form: round trip and the checks before saving.
import { describe, expect, it } from "vitest";

import type { PagingPolicy } from "./bindings/PagingPolicy";
import { toFields, toPolicy } from "./pagingForm";

const DEFAULTS: PagingPolicy = {
  notify_low: true,
  services: null,
  only_on_call: false,
  quiet_hours: null,
  sound_high: null,
  sound_low: null,
  repeat: { enabled: false, every_secs: 120, max: null },
  notify_on_escalation: true,
  notify_on_reassignment: true,
  self_alarm_after_secs: 900,
};

describe("paging policy form", () => {
  it("round-trips a policy unchanged", () => {
    const policy: PagingPolicy = {
      ...DEFAULTS,
      services: ["Checkout", "PSVC2"],
      quiet_hours: { start: "22:00", end: "07:00", days: [1, 5], time_zone: "Europe/London" },
      sound_high: "alarm-clock-elapsed",
      repeat: { enabled: true, every_secs: 300, max: 5 },
    };
    expect(toPolicy(toFields(policy))).toEqual({ policy, problems: [] });
    expect(toPolicy(toFields(DEFAULTS)).policy).toEqual(DEFAULTS);
  });

  it("names each problem and saves nothing", () => {
    const fields = {
      ...toFields(DEFAULTS),
      quiet: true,
      quietStart: "7:0",
      soundLow: "-rf",
      repeatMinutes: "0",
      selfAlarmMinutes: "x",
    };
    const { policy, problems } = toPolicy(fields);
    expect(policy).toBeNull();
    expect(problems).toHaveLength(4);
  });

  it("treats a blank service list as every service", () => {
    const { policy } = toPolicy({ ...toFields(DEFAULTS), services: " , " });
    expect(policy?.services).toBeNull();
  });
});
