// Settings for the app on this computer: start at login (off until turned on), what the close
// button does while on call, and a way to quit that does not need the tray.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { desktopApi } from "../api";
import { ErrorBox } from "../components";

export function DesktopSettings() {
  const queryClient = useQueryClient();
  const autostart = useQuery({ queryKey: ["autostart"], queryFn: desktopApi.getAutostart });
  const change = useMutation({
    mutationFn: desktopApi.setAutostart,
    onSuccess: (enabled) => queryClient.setQueryData(["autostart"], enabled),
  });
  const quit = useMutation({ mutationFn: desktopApi.quit });

  return (
    <section className="card" data-testid="desktop-settings">
      <h2>This computer</h2>
      <label>
        <input
          type="checkbox"
          checked={autostart.data ?? false}
          disabled={autostart.isPending || autostart.isError || change.isPending}
          onChange={(e) => change.mutate(e.target.checked)}
          data-testid="autostart"
        />
        Start Tocsin when I log in
      </label>
      {autostart.isError && (
        <ErrorBox error={autostart.error} title="Start at login is not available" />
      )}
      {change.isError && <ErrorBox error={change.error} title="Could not change start at login" />}
      <p className="hint">
        While you are on call, closing the window keeps Tocsin running in the tray so pages still
        reach you. Quit from the tray menu, or here.
      </p>
      <button type="button" onClick={() => quit.mutate()} data-testid="quit-app">
        Quit Tocsin
      </button>
    </section>
  );
}
