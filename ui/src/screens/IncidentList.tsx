// The incident list, virtualised so a hundred thousand cached incidents scroll like ten.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";

import type { Id } from "../api";
import type { Incident } from "../bindings/Incident";
import { Empty, IncidentBadges } from "../components";
import { formatRelative, plain } from "../format";
import { useNow } from "../hooks";

const ROW_HEIGHT = 64;

interface Props {
  incidents: Incident[];
  selected: Id | null;
  onSelect: (id: Id) => void;
  loading: boolean;
  /** The welcome panel already explains the empty list. */
  quiet: boolean;
}

export function IncidentList({ incidents, selected, onSelect, loading, quiet }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const now = useNow();
  const virtualizer = useVirtualizer({
    count: incidents.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });

  if (incidents.length === 0) {
    if (loading || quiet) return null;
    return <Empty testId="incident-list-empty">No incidents match.</Empty>;
  }

  return (
    <div className="incident-list" ref={scroller} data-testid="incident-list">
      <ul className="virtual-space" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const incident = incidents[item.index]!;
          return (
            <li
              key={incident.id}
              className={incident.id === selected ? "incident-row selected" : "incident-row"}
              style={{ height: item.size, transform: `translateY(${item.start}px)` }}
            >
              <IncidentRow incident={incident} now={now} onSelect={onSelect} />
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function IncidentRow({
  incident,
  now,
  onSelect,
}: {
  incident: Incident;
  now: Date;
  onSelect: (id: Id) => void;
}) {
  const where = plain([incident.service_name, incident.account_name].filter(Boolean).join(" · "));
  return (
    <button
      type="button"
      className={`row-button status-edge-${incident.status}`}
      data-testid="incident-row"
      data-incident-id={String(incident.id)}
      onClick={() => onSelect(incident.id)}
    >
      <span className="row-title" data-testid="incident-title">
        {plain(incident.title)}
      </span>
      <span className="row-meta">
        <IncidentBadges incident={incident} />
        <span className="row-where">{where}</span>
        <span className="row-age">{formatRelative(incident.created_at, now)}</span>
      </span>
    </button>
  );
}
