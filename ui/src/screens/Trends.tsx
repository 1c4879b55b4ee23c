// Trends from the cache: MTTA and MTTR, and incident counts by week, service and severity.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api } from "../api";
import { ErrorBox } from "../components";
import { plain } from "../format";
import { durationText } from "../postmortem";
import { BarChart } from "./Charts";

const RANGES = [
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "A year" },
  { days: 0, label: "Everything cached" },
];

export function Trends() {
  const [days, setDays] = useState(90);
  const stats = useQuery({
    queryKey: ["stats", days],
    queryFn: () => api.postmortemStats(days === 0 ? null : days),
  });

  return (
    <section className="trends" aria-label="Trends" data-testid="trends">
      <header className="pane-header">
        <h1>Trends</h1>
        <label>
          Over{" "}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))} aria-label="Range">
            {RANGES.map((r) => (
              <option key={r.days} value={r.days}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </header>
      {stats.isError && <ErrorBox error={stats.error} title="Could not compute the figures" />}
      {stats.data && (
        <>
          <dl className="facts" data-testid="trend-figures">
            <dt>Incidents</dt>
            <dd>{stats.data.incidents}</dd>
            <dt>Mean time to acknowledge</dt>
            <dd data-testid="mtta">{durationText(stats.data.time_to_acknowledge)}</dd>
            <dt>Mean time to resolve</dt>
            <dd data-testid="mttr">{durationText(stats.data.time_to_resolve)}</dd>
          </dl>
          <BarChart
            title="Incidents by week"
            unit="incidents"
            bars={stats.data.by_week.map((c) => ({ label: c.key, value: c.incidents }))}
          />
          <BarChart
            title="Incidents by severity"
            unit="incidents"
            bars={stats.data.by_severity.map((c) => ({ label: c.key, value: c.incidents }))}
          />
          <BarChart
            title="Incidents by service (top 12)"
            unit="incidents"
            bars={stats.data.by_service
              .slice(0, 12)
              .map((c) => ({ label: plain(c.key), value: c.incidents }))}
          />
        </>
      )}
    </section>
  );
}
