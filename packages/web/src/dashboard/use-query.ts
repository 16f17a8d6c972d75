import { useEffect, useRef, useState } from "preact/hooks";
import { type ApiError, asApiError } from "../client/errors.ts";
import { request } from "../client/http.ts";
import type { TadaDocumentNode } from "../client/hub-graphql.ts";
import { type NetworkEvent, onNetworkEvent, startLive } from "./live.ts";

export interface QueryState<R> {
  data: R | undefined;
  error: ApiError | undefined;
  /** True while a request runs (the previous data stays shown). */
  loading: boolean;
  refetch(): void;
}

/**
 * Runs a hub query and keeps it current: again when `variables` change, when a live event
 * for which `refreshOn` is true arrives (debounced by `debounceMs`), and after the live feed
 * reconnects. The live feed is opened first, so that no event falls between.
 */
export function useQuery<R, V>(
  doc: TadaDocumentNode<R, V>,
  variables: V,
  options: {
    refreshOn?: (event: NetworkEvent) => boolean;
    debounceMs?: number;
    skip?: boolean;
  } = {},
): QueryState<R> {
  const [data, setData] = useState<R | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const key = JSON.stringify(variables ?? {});
  const run = useRef<() => void>(() => {});
  const refreshOn = useRef(options.refreshOn);
  refreshOn.current = options.refreshOn;

  useEffect(() => {
    if (options.skip) return;
    let live = true;
    let sequence = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const vars = JSON.parse(key) as V;
    const fetchNow = () => {
      const mine = ++sequence;
      setLoading(true);
      request(doc, vars)
        .then((result) => {
          if (!live || mine !== sequence) return;
          setData(result);
          setError(undefined);
        })
        .catch((e: unknown) => {
          if (!live || mine !== sequence) return;
          setError(asApiError(e));
        })
        .finally(() => {
          if (live && mine === sequence) setLoading(false);
        });
    };
    // debounced, but a steady stream of events still refreshes at least every few seconds
    let pendingSince: number | undefined;
    const later = () => {
      const now = Date.now();
      pendingSince ??= now;
      clearTimeout(timer);
      const wait = Math.max(0, Math.min(options.debounceMs ?? 400, pendingSince + 5000 - now));
      timer = setTimeout(() => {
        pendingSince = undefined;
        fetchNow();
      }, wait);
    };
    run.current = fetchNow;
    startLive();
    const off = onNetworkEvent({
      event: (event) => {
        if (refreshOn.current?.(event)) later();
      },
      reconnected: later,
    });
    fetchNow();
    return () => {
      live = false;
      clearTimeout(timer);
      off();
    };
  }, [doc, key, options.skip, options.debounceMs]);

  return { data, error, loading, refetch: () => run.current() };
}
