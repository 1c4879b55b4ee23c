// The incident screen: filter bar, the virtualised list and the selected incident beside it.
import { useQuery } from "@tanstack/react-query";
import { useReducer } from "react";

import { api, type Id } from "../api";
import { ErrorBox } from "../components";
import { filterReducer, initialFilter, isFiltered, LIST_LIMIT, toIncidentFilter } from "../filters";
import { formatRelative, oldestSuccess } from "../format";
import { useNow } from "../hooks";
import { FilterBar } from "./FilterBar";
import { IncidentDetailView } from "./IncidentDetail";
import { IncidentList } from "./IncidentList";
import { LocalActions, Welcome } from "./Welcome";

interface Props {
  selected: Id | null;
  onSelect: (id: Id | null) => void;
  onOpenPostmortem: (id: Id) => void;
}

export function Incidents({ selected, onSelect, onOpenPostmortem }: Props) {
  const [filter, dispatch] = useReducer(filterReducer, initialFilter);
  const incidents = useQuery({
    queryKey: ["incidents", filter],
    queryFn: () => api.listIncidents(toIncidentFilter(filter)),
  });
  const accounts = useQuery({ queryKey: ["accounts"], queryFn: api.listAccounts });

  const rows = incidents.data ?? [];
  const remote = (accounts.data ?? []).filter((a) => a.kind !== "local");
  const firstLaunch = accounts.isSuccess && remote.length === 0;
  const nothingShown = incidents.isSuccess && rows.length === 0 && !isFiltered(filter);
  const welcome = firstLaunch && nothingShown;

  return (
    <div className="incidents">
      <section className="list-pane" aria-label="Incidents">
        <header className="pane-header">
          <h1>Incidents</h1>
          <DataAge />
          {!welcome && <LocalActions onCreated={onSelect} />}
        </header>
        <FilterBar state={filter} dispatch={dispatch} />
        {welcome && <Welcome onCreated={onSelect} />}
        {incidents.isError && <ErrorBox error={incidents.error} title="Could not read incidents" />}
        {rows.length >= LIST_LIMIT && (
          <p className="hint" data-testid="list-truncated">
            Showing the first {LIST_LIMIT.toLocaleString()} incidents in work order; search or
            filter to find others.
          </p>
        )}
        <IncidentList
          incidents={rows}
          selected={selected}
          onSelect={onSelect}
          loading={incidents.isPending}
          quiet={welcome}
        />
      </section>
      <section className="detail-pane" aria-label="Incident detail">
        {selected === null ? (
          <p className="hint">Select an incident to see its timeline.</p>
        ) : (
          <IncidentDetailView
            key={selected}
            id={selected}
            onClose={() => onSelect(null)}
            onOpenPostmortem={onOpenPostmortem}
          />
        )}
      </section>
    </div>
  );
}

/** How old the cached data is, so a stopped sync is never mistaken for a quiet night. */
function DataAge() {
  const now = useNow();
  const health = useQuery({ queryKey: ["health"], queryFn: api.accountHealth });
  const synced = (health.data ?? []).filter((h) => h.kind !== "local");
  if (synced.length === 0) return null;

  const failing = synced.some((h) => h.state !== "ok");
  const oldest = oldestSuccess(synced.map((h) => h.last_success_at));
  return (
    <span className={failing ? "data-age stale" : "data-age"} data-testid="data-age">
      Data: {formatRelative(oldest, now, "not synced yet")}
      {failing && " · sync problem, see Account health"}
    </span>
  );
}
