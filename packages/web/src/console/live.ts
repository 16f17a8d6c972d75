import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { markReady } from "../app/status.ts";
import type { ResultOf, TadaDocumentNode } from "../client/agent-graphql.ts";
import { type ApiError, asApiError } from "../client/errors.ts";
import { request } from "../client/http.ts";
import { subscribe } from "../client/sse.ts";
import { HubConnectionQuery, SyncStatusQuery } from "./queries.ts";

export type SyncStatus = NonNullable<ResultOf<typeof SyncStatusQuery>["syncStatus"]>;
export type HubConnection = NonNullable<ResultOf<typeof HubConnectionQuery>["hubConnection"]>;

const POLL_MS = 5000;

/**
 * A value the console asks its agent for every 5 s, and at once when the window regains focus
 * or the browser goes online, while at least one caller holds it (`start` returns the release).
 */
function poller<T>(load: () => Promise<T | undefined>) {
  const value = signal<T | undefined>(undefined);
  const error = signal<ApiError | undefined>(undefined);
  let users = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let inFlight = false;

  async function refresh(): Promise<void> {
    if (inFlight) return;
    inFlight = true;
    try {
      value.value = await load();
      error.value = undefined;
    } catch (e) {
      error.value = asApiError(e);
    } finally {
      inFlight = false;
    }
  }

  const onWake = () => void refresh();

  function start(): () => void {
    users++;
    if (users === 1) {
      void refresh();
      timer = setInterval(onWake, POLL_MS);
      window.addEventListener("focus", onWake);
      window.addEventListener("online", onWake);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      users--;
      if (users === 0) {
        clearInterval(timer);
        window.removeEventListener("focus", onWake);
        window.removeEventListener("online", onWake);
      }
    };
  }

  return { value, error, refresh, start };
}

const sync = poller(async () => (await request(SyncStatusQuery, {})).syncStatus ?? undefined);
const connection = poller(
  async () => (await request(HubConnectionQuery, {})).hubConnection ?? undefined,
);

/** The agent's last known sync state, for the team (undefined until the first answer). */
export const syncStatus = sync.value;
/** The last error polling syncStatus (NETWORK when the agent is out of reach…). */
export const syncError = sync.error;
/** Asks the agent for its sync state now (the poll, a focus, a retry). */
export const refreshSyncStatus = sync.refresh;

/** Whether the agent reaches the hub, for every role (undefined until the first answer). */
export const hubConnection = connection.value;

/** Keeps the sync poll running while the component is mounted. */
export function useSyncPolling(): void {
  useEffect(() => sync.start(), []);
}

/** Keeps the hub-connection poll running while the component is mounted. */
export function useHubConnectionPolling(): void {
  useEffect(() => connection.start(), []);
}

export interface AgentQuery<R> {
  data: R | undefined;
  error: ApiError | undefined;
  loading: boolean;
  refetch(): Promise<void>;
  /** Replaces the data in place (an update from a live event or a mutation's answer). */
  setData(update: (data: R | undefined) => R | undefined): void;
}

/**
 * Runs an agent query, again when `variables` change; `skip` holds it; `refetch` after a
 * mutation or a reconnection (an older answer arriving late never overwrites a newer one).
 */
export function useAgentQuery<R, V>(
  doc: TadaDocumentNode<R, V>,
  variables: V,
  options: { skip?: boolean } = {},
): AgentQuery<R> {
  const [data, setDataState] = useState<R | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(!options.skip);
  const key = JSON.stringify(variables ?? {});
  const sequence = useRef(0);
  const run = useRef<() => Promise<void>>(async () => {});

  useEffect(() => {
    let live = true;
    const vars = JSON.parse(key) as V;
    run.current = async () => {
      const mine = ++sequence.current;
      setLoading(true);
      try {
        const result = await request(doc, vars);
        if (!live || mine !== sequence.current) return;
        setDataState(result);
        setError(undefined);
      } catch (e) {
        if (!live || mine !== sequence.current) return;
        setError(asApiError(e));
      } finally {
        if (live && mine === sequence.current) setLoading(false);
      }
    };
    if (!options.skip) void run.current();
    return () => {
      live = false;
    };
  }, [doc, key, options.skip]);

  return {
    data,
    error,
    loading,
    refetch: () => run.current(),
    setData: (update) => setDataState((current) => update(current)),
  };
}

/** Calls markReady() once `ready` is true (the page's first data is on screen). */
export function useReady(ready: boolean): void {
  useEffect(() => {
    if (ready) markReady();
  }, [ready]);
}

/**
 * Follows an agent subscription while mounted: `next` for each event, `reconnected` after the
 * stream came back (refetch there: events may have been missed). `skip` holds it (variables
 * not known yet).
 */
export function useSubscription<R, V>(
  doc: TadaDocumentNode<R, V>,
  variables: V,
  handlers: { next(data: R): void; reconnected?(): void },
  options: { skip?: boolean } = {},
): void {
  const current = useRef(handlers);
  current.current = handlers;
  const key = JSON.stringify(variables ?? {});
  useEffect(() => {
    if (options.skip) return;
    return subscribe(doc, JSON.parse(key) as V, {
      next: (data) => current.current.next(data),
      reconnected: () => current.current.reconnected?.(),
    });
  }, [doc, key, options.skip]);
}

/**
 * A list with `item` in place of the entry of the same id (or added): at the end, or `first`.
 * For a subscription's or a mutation's answer merged into a query's rows (then sorted).
 */
export function withItem<T extends { id: string }>(
  list: readonly T[] | null | undefined,
  item: T,
  { first = false }: { first?: boolean } = {},
): T[] {
  const rest = (list ?? []).filter((entry) => entry.id !== item.id);
  return first ? [item, ...rest] : [...rest, item];
}
