// Small React hooks shared by the screens: a ticking clock, the sync-event wiring, deep links,
// the outbox's refusals, the name the person acts under and a debounced value.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { api, desktopApi, type Id, onChanged, onLinkError, onOpenIncident, onOutbox } from "./api";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import { newRefusals } from "./respond";

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

/**
 * Deep links: the one the app was launched with (taken once, when the window is ready) and
 * the ones a running app is handed. Opens the incident, or returns why it could not, with a
 * way to dismiss the message.
 */
export function useDeepLinks(openIncident: (id: Id) => void): [string | null, () => void] {
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void desktopApi.takeLaunchLink().then((outcome) => {
      if (!live || outcome === null) return;
      if (outcome.incident_id !== null) openIncident(outcome.incident_id);
      else setMessage(outcome.error);
    });
    const pending = onLinkError((text) => setMessage(text));
    return () => {
      live = false;
      void pending.then((stop) => stop());
    };
  }, [openIncident]);
  return [message, () => setMessage(null)];
}

/** Where the window keeps the name its person acts under; a preference, not data. */
const ACTOR_KEY = "tocsin.actor";

/** The name shown on the timeline for what this window's person does in the cockpit. */
export function readActor(): string {
  const stored = window.localStorage.getItem(ACTOR_KEY);
  return stored !== null && stored.trim() !== "" ? stored.trim() : "You";
}

/** The actor's name and a setter that keeps it for next time. */
export function useActor(): [string, (name: string) => void] {
  const [actor, setActorState] = useState(readActor);
  const setActor = (name: string) => {
    window.localStorage.setItem(ACTOR_KEY, name);
    setActorState(name.trim() === "" ? "You" : name.trim());
  };
  return [actor, setActor];
}

/**
 * Writes a provider refused since the window opened, from `tocsin://outbox` events, until the
 * person dismisses them. Each refusal is announced once.
 */
export function useOutboxRefusals() {
  const queryClient = useQueryClient();
  const [refusals, setRefusals] = useState<OutboxEntry[]>([]);
  const announced = useRef(new Set<Id>());
  const since = useRef(new Date());
  useEffect(() => {
    const pending = onOutbox((event) => {
      if (event.refused === 0) return;
      void queryClient
        .fetchQuery({ queryKey: ["outbox"], queryFn: api.listOutbox, staleTime: 0 })
        .then((entries) => {
          const fresh = newRefusals(entries, event.account_id, announced.current, since.current);
          for (const entry of fresh) announced.current.add(entry.id);
          if (fresh.length > 0) setRefusals((shown) => [...shown, ...fresh]);
        });
    });
    return () => void pending.then((stop) => stop());
  }, [queryClient]);
  const dismiss = (id: Id) => setRefusals((shown) => shown.filter((e) => e.id !== id));
  return { refusals, dismiss };
}

/** `value` once it has stopped changing for `delayMs`: a preview that waits for a pause. */
export function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), delayMs);
    return () => window.clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}
