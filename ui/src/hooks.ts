// Small React hooks shared by the screens: a ticking clock and the sync-event wiring.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { type Id, onChanged, onOpenIncident } from "./api";

/**
 * The current time, re-rendering every `intervalMs` so "3 min ago" keeps counting. It is read
 * at each render, not kept in state: a stored time would lag behind freshly synced data and
 * make a sync that just finished look like it lies in the future.
 */
export function useNow(intervalMs = 10_000): Date {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => setTick((n) => n + 1), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return new Date();
}

/**
 * Refetches every query when the shell reports a sync, and hands notification "Open" requests
 * to `openIncident`. Listening is asynchronous, so an unmount before it resolves still unlistens.
 */
export function useShellEvents(openIncident: (id: Id) => void) {
  const queryClient = useQueryClient();
  useEffect(() => {
    const pending = [
      onChanged(() => void queryClient.invalidateQueries()),
      onOpenIncident(openIncident),
    ];
    return () => {
      for (const unlisten of pending) void unlisten.then((stop) => stop());
    };
  }, [queryClient, openIncident]);
}
