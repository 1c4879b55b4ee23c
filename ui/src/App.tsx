// The window's frame: navigation between the screens and the shell's event wiring.
import { useQuery } from "@tanstack/react-query";
import { useCallback, useState } from "react";

import { api, type Id } from "./api";
import { plain } from "./format";
import { localFaultText } from "./faults";
import { useDeepLinks, useOutboxRefusals, useShellEvents } from "./hooks";
import { writeLabel } from "./respond";
import { Health } from "./screens/Health";
import { Incidents } from "./screens/Incidents";
import { OnCallNow } from "./screens/OnCallNow";
import { Outbox } from "./screens/Outbox";
import { Postmortems } from "./screens/Postmortems";
import { Rotations } from "./screens/Rotations";
import { Trends } from "./screens/Trends";
import { Settings } from "./screens/Settings";

/** The outbox is reached from Account health, not from the navigation. */
type Screen =
  | "incidents"
  | "oncall"
  | "rotations"
  | "postmortems"
  | "trends"
  | "health"
  | "settings"
  | "outbox";

const SCREENS: { id: Exclude<Screen, "outbox">; label: string }[] = [
  { id: "incidents", label: "Incidents" },
  { id: "oncall", label: "On call now" },
  { id: "rotations", label: "Local rotations" },
  { id: "postmortems", label: "Postmortems" },
  { id: "trends", label: "Trends" },
  { id: "health", label: "Account health" },
  { id: "settings", label: "Settings" },
];

export function App() {
  const [screen, setScreen] = useState<Screen>("incidents");
  const [selected, setSelected] = useState<Id | null>(null);
  const [postmortem, setPostmortem] = useState<Id | null>(null);

  const openIncident = useCallback((id: Id) => {
    setScreen("incidents");
    setSelected(id);
  }, []);
  useShellEvents(openIncident);
  const [linkError, dismissLinkError] = useDeepLinks(openIncident);
  const openPostmortem = useCallback((id: Id) => {
    setScreen("postmortems");
    setPostmortem(id);
  }, []);
  const current = (id: Screen) => id === screen || (id === "health" && screen === "outbox");

  return (
    <div className="app">
      <nav className="nav" aria-label="Screens">
        <div className="brand">Tocsin</div>
        {SCREENS.map((s) => (
          <button
            key={s.id}
            type="button"
            className={current(s.id) ? "nav-item active" : "nav-item"}
            aria-current={current(s.id) ? "page" : undefined}
            data-testid={`nav-${s.id}`}
            onClick={() => setScreen(s.id)}
          >
            {s.label}
          </button>
        ))}
      </nav>
      <main className="screen">
        <PagerBanner />
        {linkError !== null && (
          <div className="notices">
            <div className="notice" role="alert" data-testid="link-error">
              <span>{plain(linkError)}</span>
              <button type="button" onClick={dismissLinkError}>
                Dismiss
              </button>
            </div>
          </div>
        )}
        <OutboxNotices onOpen={openIncident} />
        {screen === "incidents" && (
          <Incidents selected={selected} onSelect={setSelected} onOpenPostmortem={openPostmortem} />
        )}
        {screen === "postmortems" && <Postmortems selected={postmortem} onSelect={setPostmortem} />}
        {screen === "trends" && <Trends />}
        {screen === "oncall" && <OnCallNow />}
        {screen === "rotations" && <Rotations />}
        {screen === "health" && <Health onOpenOutbox={() => setScreen("outbox")} />}
        {screen === "outbox" && <Outbox onBack={() => setScreen("health")} onOpen={openIncident} />}
        {screen === "settings" && <Settings />}
      </main>
    </div>
  );
}

/**
 * Banners that stay up while pages cannot be shown or the local database cannot be written: a
 * silent pager, or one quietly losing what it syncs, must not look healthy.
 */
function PagerBanner() {
  const status = useQuery({ queryKey: ["pager-status"], queryFn: api.pagerStatus });
  const fault = status.data?.local_fault ?? null;
  return (
    <>
      {status.data?.notifications_ok === false && (
        <div className="pager-banner" role="alert" data-testid="pager-banner">
          Notifications are not working: pages cannot reach you. Tocsin keeps retrying; check that
          your desktop&apos;s notification service is running.
        </div>
      )}
      {fault !== null && (
        <div className="pager-banner" role="alert" data-testid="local-fault-banner">
          {localFaultText(fault)}
        </div>
      )}
    </>
  );
}

/**
 * One dismissible notice per write a provider refused while the window was open (a conflict:
 * the incident changed elsewhere), linking to the incident whose timeline says more.
 */
function OutboxNotices({ onOpen }: { onOpen: (id: Id) => void }) {
  const { refusals, dismiss } = useOutboxRefusals();
  if (refusals.length === 0) return null;
  return (
    <div className="notices">
      {refusals.map((entry) => (
        <div key={entry.id} className="notice" role="alert" data-testid="outbox-notice">
          <span>
            {plain(entry.account_name)} did not take &ldquo;{writeLabel(entry)}&rdquo;
            {entry.incident_title !== null && <> on {plain(entry.incident_title)}</>}:{" "}
            {plain(entry.last_error ?? "the provider refused it")}. Tocsin shows the incident as the
            provider has it.
          </span>
          {entry.incident_id !== null && (
            <button type="button" onClick={() => onOpen(entry.incident_id!)}>
              Open incident
            </button>
          )}
          <button type="button" onClick={() => dismiss(entry.id)} aria-label="Dismiss">
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
