// Unit tests for the incident filter state and the on-call grouping.
import { describe, expect, it } from "vitest";

import type { Account } from "./bindings/Account";
import type { OnCall } from "./bindings/OnCall";
import type { OnCallAt } from "./bindings/OnCallAt";
import {
  filterReducer,
  groupLocalOnCall,
  groupOnCall,
  initialFilter,
  isFiltered,
  toIncidentFilter,
} from "./filters";

describe("filter state", () => {
  it("starts on open incidents with nothing else narrowed", () => {
    expect(toIncidentFilter(initialFilter)).toEqual({
      status: "open",
      urgency: null,
      service_id: null,
      search: null,
      limit: 5000,
    });
    expect(isFiltered(initialFilter)).toBe(false);
  });

  it("passes chosen filters through and trims the search", () => {
    let state = filterReducer(initialFilter, { type: "urgency", value: "high" });
    state = filterReducer(state, { type: "service", value: "PSVC1" });
    state = filterReducer(state, { type: "search", value: "  db fire " });
    const filter = toIncidentFilter(state);
    expect(filter.urgency).toBe("high");
    expect(filter.service_id).toBe("PSVC1");
    expect(filter.search).toBe("db fire");
    expect(isFiltered(state)).toBe(true);
  });

  it("treats a blank search as none and resets to the start", () => {
    const state = filterReducer(initialFilter, { type: "search", value: "   " });
    expect(toIncidentFilter(state).search).toBeNull();
    expect(isFiltered(state)).toBe(false);
    const changed = filterReducer(state, { type: "status", value: "resolved" });
    expect(filterReducer(changed, { type: "reset" })).toEqual(initialFilter);
  });
});

function oncall(policy: string, level: number, user: string): OnCall {
  return {
    account_id: 1,
    account_name: "acme",
    escalation_policy_id: `P-${policy}`,
    escalation_policy_name: policy,
    level,
    user: { provider_id: user, name: user, email: null },
    schedule_name: null,
    start: null,
    end: null,
    is_me: false,
    // Ids and levels arrive from the shell as JSON numbers whatever width the binding declares.
  } as unknown as OnCall;
}

describe("groupOnCall", () => {
  it("groups by policy, sorted by name, with levels in order", () => {
    const groups = groupOnCall([
      oncall("Web", 2, "bo"),
      oncall("Database", 1, "ann"),
      oncall("Web", 1, "cy"),
      oncall("Web", 1, "di"),
    ]);
    expect(groups.map((g) => g.policyName)).toEqual(["Database", "Web"]);
    const web = groups[1]!;
    expect(web.levels.map((l) => l.level)).toEqual([1, 2]);
    expect(web.levels[0]!.people.map((p) => p.user.name)).toEqual(["cy", "di"]);
  });

  it("is empty for no rows", () => {
    expect(groupOnCall([])).toEqual([]);
  });
});

describe("groupLocalOnCall", () => {
  const account = (id: number, kind: Account["kind"]): Account => ({
    id,
    name: kind,
    kind,
    api_url: null,
    token: { kind: "none" },
    email: null,
    user_id: null,
    token_changed_at: null,
  });
  const row = (account_id: number, policy: string, level: number, who: string): OnCallAt => ({
    account_id,
    escalation_policy_id: policy.toLowerCase(),
    escalation_policy_name: policy,
    level,
    delay_minutes: 10,
    user: { id: who.toLowerCase(), name: who },
    schedule_id: "s",
    schedule_name: "S",
    note: null,
  });

  it("keeps the local account's policies, grouped and in order, and drops a provider's", () => {
    const rows = [
      row(1, "Web", 2, "Grace"),
      row(2, "Checkout", 1, "Lin"),
      row(1, "Web", 1, "Ada"),
      row(1, "Db", 1, "Ada"),
      row(1, "Web", 1, "Bob"),
    ];
    const grouped = groupLocalOnCall(rows, [account(1, "local"), account(2, "pagerduty")]);
    expect(grouped.map((p) => p.policyName)).toEqual(["Db", "Web"]);
    expect(grouped[1]!.levels.map((l) => [l.level, l.rows.map((r) => r.user?.name)])).toEqual([
      [1, ["Ada", "Bob"]],
      [2, ["Grace"]],
    ]);
  });
});
