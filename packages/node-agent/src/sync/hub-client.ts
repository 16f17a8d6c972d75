import {
  type ChangeEvent,
  isErrorCode,
  MaillageError,
  PullResult,
  PushResult,
  SyncOperations,
} from "@maillage/schema";
import { createClient } from "graphql-ws";
import { z } from "zod";

/**
 * The agent's side of the wire: the operations of SyncOperations sent to the hub's /graphql,
 * answers parsed with the contract's schemas. `fetch` and the WebSocket implementation are
 * injected, so tests (and a demo in one process) can hand it a hub's in-process handler.
 *
 * Failures come out as MaillageError: HUB_UNREACHABLE when the hub could not be asked or did
 * not answer (network, timeout, 5xx, not GraphQL), the hub's own code when it answered with
 * an error (UNAUTHENTICATED, BATCH_TOO_LARGE, ENROLMENT_CODE_INVALID, ...). A refusal for the
 * hub's rate limit is RATE_LIMITED with `details.retryAfterSeconds` (from the error's
 * extensions or the Retry-After header, the later of the two); the engine waits it out
 * (rateLimitWait in backoff.ts).
 */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export type HubTransport = {
  /** The hub's base URL (http://host:4000) or its GraphQL endpoint (…/graphql). */
  hubUrl: string;
  fetch?: FetchLike | undefined;
  /** A WebSocket constructor for graphql-ws (the `ws` package on Node). */
  webSocketImpl?: unknown;
  /** Per-request time limit (default 30 s): a hub that hangs counts as unreachable. */
  requestTimeoutMs?: number | undefined;
};

export type Enrolment = { nodeId: string; fabriqueId: string; fabriqueName: string };

export type PushRequest = {
  events: ChangeEvent[];
  pending: number;
  oldestPendingAt: string | null;
};

/** One live `changes` subscription; `close()` ends it without calling `onEnd`. */
export type ChangesFollower = { close(): void };

export type FollowHandlers = {
  /** Each message, in order; the next one is not delivered before this one settles. */
  onResult(result: PullResult): Promise<void>;
  onConnected?(): void;
  /**
   * The subscription ended (dropped, refused, completed, or a message could not be applied):
   * pull and resubscribe from the stored cursor.
   */
  onEnd(error: Error | undefined): void;
};

export type HubClient = {
  readonly graphqlUrl: string;
  enrolNode(code: string, publicKey: { kty: string; crv: string; x: string }): Promise<Enrolment>;
  pushChanges(token: string, request: PushRequest, signal?: AbortSignal): Promise<PushResult>;
  pullChanges(
    token: string,
    request: { after: string; limit: number },
    signal?: AbortSignal,
  ): Promise<PullResult>;
  followChanges(
    after: string,
    token: () => Promise<string>,
    handlers: FollowHandlers,
  ): ChangesFollower;
};

const DEFAULT_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_MS = 15_000;
const PONG_TIMEOUT_MS = 5_000;

const GraphQLAnswer = z.object({
  data: z.record(z.string(), z.unknown()).nullable().optional(),
  errors: z
    .array(
      z.object({
        message: z.string(),
        extensions: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .optional(),
});

const EnrolmentAnswer = z.object({
  nodeId: z.string().min(1),
  fabriqueId: z.string().min(1),
  fabriqueName: z.string(),
});

/** The hub's GraphQL endpoint for a base URL (an URL already ending in /graphql is kept). */
export function graphqlEndpoint(hubUrl: string): string {
  const url = new URL(hubUrl);
  if (!url.pathname.endsWith("/graphql")) {
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/graphql`;
  }
  return url.toString();
}

function webSocketEndpoint(graphqlUrl: string): string {
  const url = new URL(graphqlUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

function unreachable(message: string, cause?: unknown): MaillageError {
  return new MaillageError("HUB_UNREACHABLE", message, undefined, { cause });
}

/** A GraphQL error of the hub, with its code when it is one of ours. */
function hubError(error: { message: string; extensions?: Record<string, unknown> | undefined }) {
  const { code, ...details } = error.extensions ?? {};
  if (code === "RATE_LIMITED") return rateLimited(error, null);
  const known = isErrorCode(code);
  return new MaillageError(
    known ? code : "INTERNAL_SERVER_ERROR",
    `the hub refused: ${error.message}`,
    { ...details, ...(known ? {} : { hubCode: code ?? null }) },
  );
}

/**
 * A refusal for the hub's rate limit (HTTP 429, or an error coded RATE_LIMITED): the wait it
 * announces is the later of `extensions.retryAfterSeconds` and the Retry-After header (seconds,
 * or an HTTP date); absent both, `retryAfterSeconds` is left out.
 */
function rateLimited(
  error: { message: string; extensions?: Record<string, unknown> | undefined } | undefined,
  retryAfterHeader: string | null,
): MaillageError {
  const announced = [
    secondsOf(error?.extensions?.retryAfterSeconds),
    retryAfterSeconds(retryAfterHeader),
  ].filter((s): s is number => s !== undefined);
  const { code: _code, retryAfterSeconds: _announced, ...details } = error?.extensions ?? {};
  return new MaillageError(
    "RATE_LIMITED",
    `the hub refused: ${error?.message ?? "too many requests (HTTP 429)"}`,
    {
      ...details,
      ...(announced.length > 0 ? { retryAfterSeconds: Math.max(...announced) } : {}),
    },
  );
}

function secondsOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** A Retry-After header's wait in seconds: delay-seconds, or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterSeconds(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  // An HTTP date names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT").
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export function createHubClient(transport: HubTransport): HubClient {
  const graphqlUrl = graphqlEndpoint(transport.hubUrl);
  const doFetch = transport.fetch ?? globalThis.fetch;
  const timeoutMs = transport.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function request(
    query: string,
    variables: Record<string, unknown>,
    options: { token?: string; signal?: AbortSignal | undefined; field: string },
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      // Raced against the signal too: an injected fetch (an in-process handler) may not
      // honour it, and stopping the engine must not wait for a hub that hangs.
      response = await untilAborted(
        doFetch(graphqlUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
          signal,
        }),
        signal,
      );
      text = await untilAborted(response.text(), signal);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : "cannot connect";
      throw unreachable(`the hub at ${graphqlUrl} is unreachable (${reason})`, error);
    }
    let body: z.infer<typeof GraphQLAnswer> | undefined;
    try {
      const parsed = GraphQLAnswer.safeParse(JSON.parse(text));
      body = parsed.success ? parsed.data : undefined;
    } catch {
      body = undefined;
    }
    const firstError = body?.errors?.[0];
    if (response.status === 429 || firstError?.extensions?.code === "RATE_LIMITED") {
      throw rateLimited(firstError, response.headers.get("retry-after"));
    }
    if (firstError) throw hubError(firstError);
    if (!body || !response.ok || !body.data) {
      throw unreachable(`the hub at ${graphqlUrl} answered HTTP ${response.status} without data`);
    }
    return body.data[options.field];
  }

  function parseAnswer<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new MaillageError(
      "INTERNAL_SERVER_ERROR",
      `the hub's ${what} answer does not match the sync contract: ${parsed.error.issues[0]?.message}`,
    );
  }

  return {
    graphqlUrl,

    async enrolNode(code, publicKey) {
      const data = await request(
        SyncOperations.enrolNode,
        { code, publicKey },
        { field: "enrolNode" },
      );
      return parseAnswer(EnrolmentAnswer, data, "enrolNode");
    },

    async pushChanges(token, push, signal) {
      const data = await request(
        SyncOperations.pushChanges,
        { events: push.events, pending: push.pending, oldestPendingAt: push.oldestPendingAt },
        { token, signal, field: "pushChanges" },
      );
      return parseAnswer(PushResult, data, "pushChanges");
    },

    async pullChanges(token, pull, signal) {
      const data = await request(
        SyncOperations.pullChanges,
        { after: pull.after, limit: pull.limit },
        { token, signal, field: "pullChanges" },
      );
      return parseAnswer(PullResult, data, "pullChanges");
    },

    followChanges(after, token, handlers) {
      let ended = false;
      let queue = Promise.resolve();
      let socket: { readyState: number; close(code: number, reason: string): void } | undefined;
      let pongTimer: NodeJS.Timeout | undefined;
      const client = createClient({
        url: webSocketEndpoint(graphqlUrl),
        webSocketImpl: transport.webSocketImpl,
        connectionParams: async () => ({ authToken: await token() }),
        lazy: true,
        retryAttempts: 0,
        shouldRetry: () => false,
        // A ping every 15 s; no pong within 5 s means a dead link (a half-open TCP connection
        // would otherwise leave the agent subscribed to nothing).
        keepAlive: KEEP_ALIVE_MS,
        on: {
          connected: (connected) => {
            socket = connected as typeof socket;
            handlers.onConnected?.();
          },
          ping: (received) => {
            if (received) return;
            clearTimeout(pongTimer);
            pongTimer = setTimeout(() => {
              if (socket?.readyState === 1) socket.close(4408, "no pong from the hub");
            }, PONG_TIMEOUT_MS);
          },
          pong: (received) => {
            if (received) clearTimeout(pongTimer);
          },
          closed: () => clearTimeout(pongTimer),
        },
      });
      const end = (error: Error | undefined) => {
        if (ended) return;
        ended = true;
        clearTimeout(pongTimer);
        unsubscribe();
        void client.dispose();
        handlers.onEnd(error);
      };
      const unsubscribe = client.subscribe(
        { query: SyncOperations.changes, variables: { after } },
        {
          next: (message) => {
            queue = queue.then(async () => {
              if (ended) return;
              const first = (message.errors as { message: string }[] | undefined)?.[0];
              if (first) return end(hubError(first as Parameters<typeof hubError>[0]));
              try {
                const result = parseAnswer(PullResult, message.data?.changes, "changes");
                await handlers.onResult(result);
              } catch (error) {
                end(error as Error);
              }
            });
          },
          error: (error) => {
            void queue.then(() => end(closeError(error)));
          },
          complete: () => {
            void queue.then(() => end(undefined));
          },
        },
      );
      return {
        close() {
          if (ended) return;
          ended = true;
          clearTimeout(pongTimer);
          unsubscribe();
          void client.dispose();
        },
      };
    },
  };
}

/** Rejects with the signal's reason as soon as it aborts, whatever `promise` does. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The request already left: its failure must not become an unhandled rejection.
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** What ended a subscription: the hub refusing our token, or the socket dropping. */
function closeError(error: unknown): MaillageError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  // 4401: our token expired (it lives 5 minutes); 1000: a normal close. Resubscribe at once.
  if (code === 4401 || code === 1000) return undefined;
  if (code === 4403) {
    return new MaillageError("UNAUTHENTICATED", `the hub closed the subscription (${code})`);
  }
  if (Array.isArray(error) && error[0]?.message) return hubError(error[0]);
  if (error instanceof MaillageError) return error;
  return unreachable(
    `the subscription to the hub dropped${typeof code === "number" ? ` (${code})` : ""}`,
    error,
  );
}
