// The window's frame: navigation between the screens and the shell's event wiring.
import { useQuery } from "@tanstack/react-query";
import { useCallback, useState } from "react";

import { api, type Id } from "./api";
import { useShellEvents } from "./hooks";
import { Health } from "./screens/Health";
import { Incidents } from "./screens/Incidents";
import { OnCallNow } from "./screens/OnCallNow";
import { Settings } from "./screens/Settings";

type Screen = "incidents" | "oncall" | "health" | "settings";

const SCREENS: { id: Screen; label: string }[] = [
  { id: "incidents", label: "Incidents" },
  { id: "oncall", label: "On call now" },
  { id: "health", label: "Account health" },
  { id: "settings", label: "Settings" },
];

export function App() {
  const [screen, setScreen] = useState<Screen>("incidents");
  const [selected, setSelected] = useState<Id | null>(null);

  const openIncident = useCallback((id: Id) => {
    setScreen("incidents");
    setSelected(id);
  }, []);
  useShellEvents(openIncident);

  return (
    <div className="app">
      <nav className="nav" aria-label="Screens">
        <div className="brand">Tocsin</div>
        {SCREENS.map((s) => (
          <button
            key={s.id}
            type="button"
            className={s.id === screen ? "nav-item active" : "nav-item"}
            aria-current={s.id === screen ? "page" : undefined}
            data-testid={`nav-${s.id}`}
            onClick={() => setScreen(s.id)}
          >
            {s.label}
          </button>
        ))}
      </nav>
      <main className="screen">
        <PagerBanner />
        {screen === "incidents" && <Incidents selected={selected} onSelect={setSelected} />}
        {screen === "oncall" && <OnCallNow />}
        {screen === "health" && <Health />}
        {screen === "settings" && <Settings />}
      </main>
    </div>
  );
}

/** A banner that stays up while pages cannot be shown: a silent pager must not look healthy. */
function PagerBanner() {
  const status = useQuery({ queryKey: ["pager-status"], queryFn: api.pagerStatus });
  if (status.data?.notifications_ok !== false) return null;
  return (
    <div className="pager-banner" role="alert" data-testid="pager-banner">
      Notifications are not working: pages cannot reach you. Tocsin keeps retrying; check that your
      desktop's notification service is running.
    </div>
  );
}
