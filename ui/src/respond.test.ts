// Unit tests for countdowns, outbox wording, refusal announcements and form checks.
import { describe, expect, it } from "vitest";

import type { OutboxEntry } from "./bindings/OutboxEntry";
import {
  declareProblem,
  formatCountdown,
  formatMinutes,
  isOverdue,
  newRefusals,
  outboxLabel,
  parseMinutes,
  timerProblem,
  writeLabel,
  type DeclareDraft,
} from "./respond";

const NOW = new Date("2024-05-01T12:00:00Z");

describe("formatCountdown", () => {
  it("counts down as a clock", () => {
    expect(formatCountdown("2024-05-01T12:04:05Z", NOW)).toBe("4:05 left");
    expect(formatCountdown("2024-05-01T13:02:03Z", NOW)).toBe("1:02:03 left");
    expect(formatCountdown("2024-05-01T12:00:00Z", NOW)).toBe("0:00 left");
  });

  it("says overdue once the time has passed", () => {
    expect(formatCountdown("2024-05-01T11:59:48Z", NOW)).toBe("overdue by 0:12");
    expect(isOverdue("2024-05-01T11:59:48Z", NOW)).toBe(true);
    expect(isOverdue("2024-05-01T12:00:01Z", NOW)).toBe(false);
  });

  it("keeps an unreadable time as it is", () => {
    expect(formatCountdown("soon", NOW)).toBe("soon");
  });
});

describe("outboxLabel", () => {
  it("says sending while the write waits and nothing once it arrived", () => {
    expect(outboxLabel("pending", null)).toBe("sending…");
    expect(outboxLabel("sending", null)).toBe("sending…");
    expect(outboxLabel("done", null)).toBeNull();
    expect(outboxLabel(null, null)).toBeNull();
  });

  it("says plainly why a refused write was not sent", () => {
    expect(outboxLabel("conflict", "already resolved at PagerDuty")).toBe(
      "not sent: already resolved at PagerDuty",
    );
    expect(outboxLabel("failed", null)).toBe("not sent: the provider refused it");
  });
});

function entry(id: number, fields: Partial<OutboxEntry>): OutboxEntry {
  return {
    id,
    account_id: 1,
    account_name: "work",
    incident_id: 7,
    incident_title: "DB on fire",
    write: { type: "act", action: { kind: "acknowledge" } },
    state: "conflict",
    attempts: 1,
    queued_at: "2024-05-01T11:59:00Z",
    next_attempt_at: null,
    finished_at: "2024-05-01T12:00:30Z",
    last_error: "resolved elsewhere",
    last_error_code: "conflict",
    ...fields,
  };
}

describe("newRefusals", () => {
  it("announces each refusal of the account once, and none from before the window", () => {
    const entries = [
      entry(1, {}),
      entry(2, { state: "done" }),
      entry(3, { account_id: 2 }),
      entry(4, { finished_at: "2024-05-01T11:00:00Z" }),
      entry(5, { state: "failed" }),
      entry(6, { state: "pending", finished_at: null }),
    ];
    const ids = (list: OutboxEntry[]) => list.map((e) => e.id);
    expect(ids(newRefusals(entries, 1, new Set(), NOW))).toEqual([1, 5]);
    expect(ids(newRefusals(entries, 1, new Set([1]), NOW))).toEqual([5]);
  });
});

describe("writeLabel", () => {
  it("names what was asked", () => {
    const escalate = entry(1, { write: { type: "act", action: { kind: "escalate", level: 2 } } });
    expect(writeLabel(escalate)).toBe("escalate to level 2");
    const declaration = {
      title: "Checkout down",
      severity: 1,
      service_id: "PSVC",
      urgency: null,
      priority_id: null,
      details: null,
    };
    expect(writeLabel(entry(2, { write: { type: "declare", declaration } }))).toBe(
      'declare "Checkout down"',
    );
  });
});

describe("declareProblem", () => {
  const draft: DeclareDraft = {
    title: "Checkout down",
    severity: 1,
    provider: "local",
    serviceId: "",
    details: "",
  };

  it("lets a titled local declaration through", () => {
    expect(declareProblem(draft)).toBeNull();
  });

  it("asks for a title, a severity and, at PagerDuty, a service", () => {
    expect(declareProblem({ ...draft, title: "  " })).toMatch(/title/);
    expect(declareProblem({ ...draft, title: "x".repeat(1025) })).toMatch(/1,024/);
    expect(declareProblem({ ...draft, severity: 5 })).toMatch(/severity/);
    expect(declareProblem({ ...draft, provider: "pagerduty" })).toMatch(/service/);
    expect(declareProblem({ ...draft, provider: "pagerduty", serviceId: "PSVC" })).toBeNull();
    expect(declareProblem({ ...draft, provider: "alertmanager" })).toMatch(/Alertmanager/);
  });
});

describe("timer form", () => {
  it("reads whole minutes only", () => {
    expect(parseMinutes(" 15 ")).toBe(15);
    expect(parseMinutes("0")).toBeNull();
    expect(parseMinutes("1.5")).toBeNull();
    expect(parseMinutes("-3")).toBeNull();
    expect(parseMinutes("10081")).toBeNull();
  });

  it("names the first missing piece", () => {
    expect(timerProblem("", "Ana", "10")).toMatch(/task/);
    expect(timerProblem("Check replicas", " ", "10")).toMatch(/owns/);
    expect(timerProblem("Check replicas", "Ana", "ten")).toMatch(/minutes/);
    expect(timerProblem("Check replicas", "Ana", "10")).toBeNull();
  });
});

describe("formatMinutes", () => {
  it("reads targets in hours and minutes", () => {
    expect(formatMinutes(15)).toBe("15 min");
    expect(formatMinutes(60)).toBe("1 h");
    expect(formatMinutes(90)).toBe("1 h 30 min");
  });
});
