// The incident list's filters: status, urgency, service and a search box.
import { useQuery } from "@tanstack/react-query";
import type { Dispatch } from "react";

import { api } from "../api";
import type { StatusFilter } from "../bindings/StatusFilter";
import type { Urgency } from "../bindings/Urgency";
import type { FilterAction, FilterState } from "../filters";

const STATUSES: { value: StatusFilter; label: string }[] = [
  { value: "open", label: "Open" },
  { value: "triggered", label: "Triggered" },
  { value: "acknowledged", label: "Acknowledged" },
  { value: "resolved", label: "Resolved" },
  { value: "all", label: "All" },
];

interface Props {
  state: FilterState;
  dispatch: Dispatch<FilterAction>;
}

export function FilterBar({ state, dispatch }: Props) {
  const services = useQuery({ queryKey: ["services"], queryFn: api.listServices });

  return (
    <div className="filter-bar" role="search">
      <input
        type="search"
        placeholder="Search incidents"
        aria-label="Search title, service or number"
        data-testid="filter-search"
        value={state.search}
        onChange={(e) => dispatch({ type: "search", value: e.target.value })}
      />
      <select
        aria-label="Status"
        data-testid="filter-status"
        value={state.status}
        onChange={(e) => dispatch({ type: "status", value: e.target.value as StatusFilter })}
      >
        {STATUSES.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>
      <select
        aria-label="Urgency"
        data-testid="filter-urgency"
        value={state.urgency}
        onChange={(e) => dispatch({ type: "urgency", value: e.target.value as Urgency | "any" })}
      >
        <option value="any">Any urgency</option>
        <option value="high">High</option>
        <option value="low">Low</option>
      </select>
      <select
        aria-label="Service"
        data-testid="filter-service"
        value={state.serviceId}
        onChange={(e) => dispatch({ type: "service", value: e.target.value })}
      >
        <option value="any">Any service</option>
        {(services.data ?? []).map((s) => (
          <option key={`${s.account_id}/${s.provider_id}`} value={s.provider_id}>
            {s.name}
          </option>
        ))}
      </select>
    </div>
  );
}
