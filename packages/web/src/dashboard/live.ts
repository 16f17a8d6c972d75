import { effect, signal } from "@preact/signals";
import { session } from "../app/session.ts";
import { connectionLost } from "../app/status.ts";
import type { ResultOf } from "../client/hub-graphql.ts";
import { subscribeWithCursor } from "../client/hub-ws.ts";
import { NetworkEventsSubscription } from "./queries.ts";

export type NetworkEvent = ResultOf<typeof NetworkEventsSubscription>["networkEvents"];

/** The events received since the dashboard opened, newest first (at most 200). */
export const liveEvents = signal<readonly NetworkEvent[]>([]);
/** The hub's live feed: undefined before the first connection, then open or not. */
export const liveOpen = signal<boolean | undefined>(undefined);

type Listener = { event(e: NetworkEvent): void; reconnected?(): void };
const listeners = new Set<Listener>();
let stop: (() => void) | undefined;

/**
 * Opens the hub's `networkEvents` feed once for the whole dashboard (resumed from the last
 * cursor after a drop). Views call it before their first query, so no event falls between.
 */
export function startLive(): void {
  if (stop) return;
  stop = subscribeWithCursor(NetworkEventsSubscription, (data) => data.networkEvents, {
    next: (event) => {
      liveEvents.value = [event, ...liveEvents.value].slice(0, 200);
      for (const listener of listeners) listener.event(event);
    },
    connection: (open) => {
      liveOpen.value = open;
      connectionLost.value = !open;
    },
    reconnected: () => {
      for (const listener of listeners) listener.reconnected?.();
    },
  });
}

/** Listens to the feed; returns the function that stops listening. */
export function onNetworkEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

effect(() => {
  if (session.value === null && stop) {
    stop();
    stop = undefined;
    liveOpen.value = undefined;
  }
});
