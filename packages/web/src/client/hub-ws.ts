import type { TadaDocumentNode } from "gql.tada";
import { type Client, createClient } from "graphql-ws";
import { markSessionExpired } from "../app/session.ts";
import { backoffDelay } from "./backoff.ts";
import { ApiError, apiErrorOf, type GraphQLErrorBody } from "./errors.ts";
import { documentText } from "./http.ts";
import type { SubscriptionHandlers } from "./sse.ts";

export type { SubscriptionHandlers } from "./sse.ts";

/** ws(s)://<this host>/graphql: the hub's graphql-ws endpoint; the session cookie rides on the upgrade. */
function hubSocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}/graphql`;
}

/** What a hub subscription connects with (tests pass a fake client). */
export interface HubSocketDeps {
  createClient?: typeof createClient;
  url?: string;
}

/**
 * A subscription to the hub over graphql-ws, with its own reconnect loop (1 → 30 s with jitter):
 * `variables` is called at every (re)subscription, so a cursor kept by the caller is resumed
 * from (`networkEvents(after:)`). Close 4401 (session expired) and 4403 stop it.
 */
export function subscribeHub<R, V>(
  doc: TadaDocumentNode<R, V>,
  variables: () => V,
  handlers: SubscriptionHandlers<R>,
  deps: HubSocketDeps = {},
): () => void {
  const open = deps.createClient ?? createClient;
  let stopped = false;
  let attempt = 0;
  let opened = false;
  let client: Client | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = () => {
    if (stopped) return;
    client?.dispose();
    client = undefined;
    handlers.connection?.(false);
    timer = setTimeout(connect, backoffDelay(attempt++));
  };

  const connect = () => {
    if (stopped) return;
    let fatal = false;
    const socket = open({
      url: deps.url ?? hubSocketUrl(),
      retryAttempts: 0,
      lazy: false,
      on: {
        connected: () => {
          attempt = 0;
          handlers.connection?.(true);
          if (opened) handlers.reconnected?.();
          opened = true;
        },
        closed: (event) => {
          const code = (event as CloseEvent | undefined)?.code;
          if (code === 4401 || code === 4403) {
            fatal = true;
            stopped = true;
            markSessionExpired();
            handlers.error?.(new ApiError("UNAUTHENTICATED", `socket closed ${code}`));
          }
        },
      },
    });
    client = socket;
    socket.subscribe<R>(
      { query: documentText(doc), variables: variables() as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) {
            handlers.error?.(apiErrorOf(result.errors as unknown as GraphQLErrorBody[]));
          }
          if (result.data) handlers.next(result.data as R);
        },
        error: (error) => {
          if (fatal) return;
          if (Array.isArray(error)) {
            // the hub refused the subscription itself: retrying would not help
            handlers.error?.(apiErrorOf(error as GraphQLErrorBody[]));
            stopped = true;
            return;
          }
          retry();
        },
        complete: () => retry(),
      },
    );
  };

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    client?.dispose();
  };
}

/**
 * Follows a cursor-resumable feed (the hub's `networkEvents`): resubscribes after the last
 * cursor received and drops events already seen.
 */
export function subscribeWithCursor<R, E extends { cursor: string }>(
  doc: TadaDocumentNode<R, { after?: string | null | undefined }>,
  eventOf: (data: R) => E,
  handlers: SubscriptionHandlers<E> & { initialCursor?: string },
  deps: HubSocketDeps = {},
): () => void {
  let cursor = handlers.initialCursor;
  const seen = new Set<string>();
  return subscribeHub(
    doc,
    () => ({ after: cursor ?? null }),
    {
      ...handlers,
      next: (data) => {
        const event = eventOf(data);
        if (seen.has(event.cursor)) return;
        seen.add(event.cursor);
        if (seen.size > 2000) seen.delete(seen.values().next().value as string);
        cursor = event.cursor;
        handlers.next(event);
      },
    },
    deps,
  );
}
