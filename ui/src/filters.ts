// Pure state for the incident list's filters and the on-call grouping, unit-tested apart from React.
import type { IncidentFilter } from "./bindings/IncidentFilter";
import type { Account } from "./bindings/Account";
import type { OnCall } from "./bindings/OnCall";
import type { OnCallAt } from "./bindings/OnCallAt";
import type { StatusFilter } from "./bindings/StatusFilter";
import type { Urgency } from "./bindings/Urgency";

/** What the filter bar holds; "any" means the filter is off. */
export interface FilterState {
  status: StatusFilter;
  urgency: Urgency | "any";
  /** A service provider id. */
  serviceId: string | "any";
  search: string;
}

/** Open incidents first is what a responder arriving at the window needs. */
export const initialFilter: FilterState = {
  status: "open",
  urgency: "any",
  serviceId: "any",
  search: "",
};

export type FilterAction =
  | { type: "status"; value: StatusFilter }
  | { type: "urgency"; value: Urgency | "any" }
  | { type: "service"; value: string | "any" }
  | { type: "search"; value: string }
  | { type: "reset" };

export function filterReducer(state: FilterState, action: FilterAction): FilterState {
  switch (action.type) {
    case "status":
      return { ...state, status: action.value };
    case "urgency":
      return { ...state, urgency: action.value };
    case "service":
      return { ...state, serviceId: action.value };
    case "search":
      return { ...state, search: action.value };
    case "reset":
      return initialFilter;
  }
}

/** Enough rows for any real backlog while keeping one IPC answer small. */
export const LIST_LIMIT = 5000;

/** The query the core understands; blank search and "any" become absent. */
export function toIncidentFilter(state: FilterState): IncidentFilter {
  const search = state.search.trim();
  return {
    status: state.status,
    urgency: state.urgency === "any" ? null : state.urgency,
    service_id: state.serviceId === "any" ? null : state.serviceId,
    search: search === "" ? null : search,
    limit: LIST_LIMIT,
  };
}

/** Whether any filter narrows the list beyond the default view. */
export function isFiltered(state: FilterState): boolean {
  return (
    state.status !== initialFilter.status ||
    state.urgency !== "any" ||
    state.serviceId !== "any" ||
    state.search.trim() !== ""
  );
}

/** One level of an escalation policy and who is on call there. */
export interface OnCallLevel {
  level: number;
  people: OnCall[];
}

/** One escalation policy with its levels in order. */
export interface OnCallPolicy {
  key: string;
  accountName: string;
  policyName: string;
  levels: OnCallLevel[];
}

/** Groups on-call rows by account and escalation policy, then by level, all in stable order. */
export function groupOnCall(rows: OnCall[]): OnCallPolicy[] {
  const policies = new Map<string, OnCallPolicy>();
  for (const row of rows) {
    const key = `${row.account_id}/${row.escalation_policy_id}`;
    let policy = policies.get(key);
    if (!policy) {
      policy = {
        key,
        accountName: row.account_name,
        policyName: row.escalation_policy_name,
        levels: [],
      };
      policies.set(key, policy);
    }
    addToLevel(policy, row);
  }
  const sorted = [...policies.values()].sort(
    (a, b) => a.policyName.localeCompare(b.policyName) || a.key.localeCompare(b.key),
  );
  for (const policy of sorted) policy.levels.sort((a, b) => a.level - b.level);
  return sorted;
}

function addToLevel(policy: OnCallPolicy, row: OnCall) {
  const level = Number(row.level);
  const existing = policy.levels.find((l) => l.level === level);
  if (existing) existing.people.push(row);
  else policy.levels.push({ level, people: [row] });
}

/** A local escalation policy with, per level, who its targets put on call. */
export interface LocalPolicyNow {
  key: string;
  policyName: string;
  levels: { level: number; rows: OnCallAt[] }[];
}

/**
 * The local workspace's policies and who is on call on them now. A provider's snapshot of
 * on-call never holds them, so they come from rendering the local rotations (`oncall_ahead`
 * with 0 minutes); a provider's rows are left to its snapshot.
 */
export function groupLocalOnCall(rows: OnCallAt[], accounts: Account[]): LocalPolicyNow[] {
  const local = new Set(accounts.filter((a) => a.kind === "local").map((a) => a.id));
  const policies = new Map<string, LocalPolicyNow>();
  for (const row of rows.filter((r) => local.has(r.account_id))) {
    const key = `${row.account_id}/${row.escalation_policy_id}`;
    let policy = policies.get(key);
    if (!policy) {
      policy = { key, policyName: row.escalation_policy_name, levels: [] };
      policies.set(key, policy);
    }
    const level = policy.levels.find((l) => l.level === row.level);
    if (level) level.rows.push(row);
    else policy.levels.push({ level: row.level, rows: [row] });
  }
  const sorted = [...policies.values()].sort((a, b) => a.policyName.localeCompare(b.policyName));
  for (const policy of sorted) policy.levels.sort((a, b) => a.level - b.level);
  return sorted;
}
