// The window's frame: navigation between the screens and the shell's event wiring.
import { useCallback, useState } from "react";

import type { Id } from "./api";
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
        {screen === "incidents" && <Incidents selected={selected} onSelect={setSelected} />}
        {screen === "oncall" && <OnCallNow />}
        {screen === "health" && <Health />}
        {screen === "settings" && <Settings />}
      </main>
    </div>
  );
}
