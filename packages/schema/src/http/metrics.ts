import { createHash, timingSafeEqual } from "node:crypto";
import perfHooks from "node:perf_hooks";
import type { Plugin } from "graphql-yoga";
import type { Registry } from "prom-client";
import { z } from "zod";
import { type ErrorCode, ErrorCodes, isErrorCode } from "../errors.ts";
import { maskedCodeOf } from "../graphql-errors.ts";
import { jsonErrorResponse } from "./pages.ts";

/**
 * Prometheus metrics, shared by the hub and the node agent (docs/metrics.md): one prom-client
 * registry per app instance (never the global default one: tests build many apps in one
 * process), the GraphQL metrics of @graphql-yoga/plugin-prometheus with bounded labels, the
 * errors by documented code, the live subscriptions and server-sent event streams, and the
 * `/metrics` answer behind `Authorization: Bearer <METRICS_TOKEN>`.
 *
 * prom-client and the yoga plugin are imported when an app builds its metrics, not when this
 * package is: the CLI imports @maillage/schema at every start.
 */

export const METRICS_TOKEN_MIN_LENGTH = 32;

/** `METRICS_TOKEN` for both apps' environment schemas: unset, `/metrics` answers 404. */
export const MetricsEnv = {
  METRICS_TOKEN: z
    .string()
    .min(METRICS_TOKEN_MIN_LENGTH, `at least ${METRICS_TOKEN_MIN_LENGTH} characters`)
    .optional(),
};

/** Distinct operation names kept as label values; later new names count as OTHER_OPERATIONS. */
export const MAX_OPERATION_NAMES = 200;
export const ANONYMOUS_OPERATION = "Anonymous";
export const OTHER_OPERATIONS = "other";

/**
 * Operation names are chosen by clients: the first MAX_OPERATION_NAMES distinct ones are kept
 * as label values, any later one (and anything that is not a GraphQL name) becomes "other",
 * so that a client cannot grow the registry without bound. Unnamed operations: "Anonymous".
 */
export function boundedOperationNames(max = MAX_OPERATION_NAMES): (name?: string | null) => string {
  const seen = new Set<string>();
  return (name) => {
    if (!name || name === ANONYMOUS_OPERATION) return ANONYMOUS_OPERATION;
    if (seen.has(name)) return name;
    if (seen.size >= max || !/^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name)) return OTHER_OPERATIONS;
    seen.add(name);
    return name;
  };
}

function extensionCode(error: unknown): unknown {
  if (typeof error !== "object" || error === null) return undefined;
  return (error as { extensions?: { code?: unknown } }).extensions?.code;
}

/**
 * The documented code an error of a GraphQL result answers with: its documented
 * `extensions.code` (every masked error has one), else what the error masker answers
 * (`maskedCodeOf`, graphql-errors.ts).
 */
export function documentedCodeOf(error: unknown): ErrorCode {
  const outer = extensionCode(error);
  return isErrorCode(outer) ? outer : maskedCodeOf(error);
}

/** `Authorization: Bearer <expected>`, compared in constant time (hashes of equal length). */
export function hasMetricsToken(expected: string, authorization: string | null | undefined) {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  if (!match?.[1]) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(match[1]), digest(expected));
}

/** `/metrics` while METRICS_TOKEN is unset: disabled, 404. */
export function metricsDisabledResponse(): Response {
  return jsonErrorResponse(404, "NOT_FOUND", "metrics are disabled (METRICS_TOKEN is not set)");
}

function metricsUnauthorizedResponse(): Response {
  return jsonErrorResponse(
    401,
    "UNAUTHENTICATED",
    "expected `Authorization: Bearer <METRICS_TOKEN>`",
    { "www-authenticate": 'Bearer realm="metrics"' },
  );
}

/**
 * `read` once for all the gauges a scrape collects together (prom-client calls their
 * `collect` in one synchronous loop), again at the next scrape.
 */
export function sharedPerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = read().finally(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

/**
 * prom-client's default metrics (process_*, nodejs_*) into `registry`, and the function that
 * stops what they keep running. For each registry, prom-client 15 enables an event-loop delay
 * monitor (`perf_hooks.monitorEventLoopDelay`: a native timer waking every 10 ms, invisible
 * to `process.getActiveResourcesInfo()`) and a PerformanceObserver of garbage collections,
 * and offers no way to stop either: both are caught as `collectDefaultMetrics` makes them (it
 * reads them from the perf_hooks module and calls them synchronously) and stopped by the
 * function returned. Its other default metrics are read at scrape time, with no timer.
 */
export function collectStoppableDefaultMetrics(
  prom: Pick<typeof import("prom-client"), "collectDefaultMetrics">,
  registry: Registry,
): () => void {
  const monitors: perfHooks.IntervalHistogram[] = [];
  const observers: perfHooks.PerformanceObserver[] = [];
  const { monitorEventLoopDelay, PerformanceObserver } = perfHooks;
  perfHooks.monitorEventLoopDelay = (options) => {
    const monitor = monitorEventLoopDelay(options);
    monitors.push(monitor);
    return monitor;
  };
  perfHooks.PerformanceObserver = class extends PerformanceObserver {
    constructor(callback: perfHooks.PerformanceObserverCallback) {
      super(callback);
      observers.push(this);
    }
  };
  try {
    prom.collectDefaultMetrics({ register: registry });
  } finally {
    perfHooks.monitorEventLoopDelay = monitorEventLoopDelay;
    perfHooks.PerformanceObserver = PerformanceObserver;
  }
  return () => {
    for (const monitor of monitors.splice(0)) monitor.disable();
    for (const observer of observers.splice(0)) observer.disconnect();
  };
}

export type GraphQLMetrics = {
  /** This app instance's own registry: add the app's metrics to it. */
  registry: Registry;
  /**
   * For yoga's plugins list: request counts and durations, errors by code, subscriptions and
   * streams over HTTP. Subscriptions over graphql-ws are the app's to count (`socketResult`).
   */
  plugin: Plugin;
  /** The answer to `GET /metrics` with this Authorization header (401 without the token). */
  respond(authorization: string | null | undefined): Promise<Response>;
  /**
   * Counts errors answered outside yoga's execution, by documented code: those graphql-ws
   * sends in an error message (an operation refused at parse, validation or rate limiting,
   * a stream failing midway). Returns them, for the hook that hands them on.
   */
  countErrors<E>(errors: readonly E[]): readonly E[];
  /**
   * For graphql-ws's `onOperation`: a subscription's stream as its subscriber receives it
   * (wrapped: the live subscriptions gauge counts it until it ends, fails or the subscriber
   * leaves, and the errors of every event it receives are counted); anything else unchanged.
   * One per subscriber, whether or not its events come from an execution shared with others.
   */
  socketResult<R>(result: R): R;
  /** Stops the default process metrics' monitors (the app stops). */
  stop(): void;
};

type OperationParams = { operationName?: string | undefined; operationType?: string | undefined };

/**
 * A registry with the GraphQL metrics of one app instance. Of the yoga plugin's metrics only
 * the request counter and the execution histogram are on: the HTTP duration histogram, the
 * parse, validate and context histograms, the summary, the per-resolver timing, the
 * deprecated-field counter (a document walk per request) and its own error counter (one
 * series per error path) are off; errors are counted by documented code instead.
 */
export async function createGraphQLMetrics(options: {
  token: string;
  /** process_* and nodejs_* of prom-client (default on). */
  defaultMetrics?: boolean;
  maxOperationNames?: number;
}): Promise<GraphQLMetrics> {
  const [prom, yogaPrometheus, yoga] = await Promise.all([
    import("prom-client"),
    import("@graphql-yoga/plugin-prometheus"),
    import("graphql-yoga"),
  ]);
  const { createCounter, createHistogram, usePrometheus } = yogaPrometheus;
  const { finalAsyncIterator, handleStreamOrSingleExecutionResult, isAsyncIterable } = yoga;
  const { mapAsyncIterator } = yoga;
  const registry = new prom.Registry();
  const stopDefaultMetrics =
    options.defaultMetrics !== false ? collectStoppableDefaultMetrics(prom, registry) : () => {};

  const operationName = boundedOperationNames(options.maxOperationNames);
  const operationLabels = (params: OperationParams) => ({
    operationName: operationName(params.operationName),
    operationType: params.operationType ?? "unknown",
  });
  const operationLabelNames = ["operationName", "operationType"] as const;

  const errors = new prom.Counter({
    name: "maillage_graphql_errors_total",
    help: "Errors in GraphQL answers, by documented code (docs/errors.md)",
    labelNames: ["code"],
    registers: [registry],
  });
  // Every code from the start: a rate over a series that appears late misses its first errors.
  for (const code of Object.keys(ErrorCodes)) errors.inc({ code }, 0);
  const subscriptions = new prom.Gauge({
    name: "maillage_graphql_active_subscriptions",
    help: "GraphQL subscriptions running now (graphql-ws and server-sent events)",
    registers: [registry],
  });
  const streams = new prom.Gauge({
    name: "maillage_http_sse_streams",
    help: "HTTP answers streaming now (server-sent events of subscriptions)",
    registers: [registry],
  });
  const countErrors = (result: unknown) => {
    for (const error of (result as { errors?: readonly unknown[] } | null)?.errors ?? []) {
      errors.inc({ code: documentedCodeOf(error) });
    }
  };
  /**
   * HTTP answers are counted when yoga writes them; graphql-ws ones when they execute, except
   * a subscription's events, counted per subscriber as graphql-ws hands them on (socketResult).
   */
  const overHttp = (context: unknown) =>
    typeof context === "object" && context !== null && "request" in context;

  const prometheus = usePrometheus({
    registry,
    // Served by the app's own route, behind the token.
    endpoint: false,
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: {
          name: "graphql_envelop_request",
          help: "GraphQL operations executed (subscriptions counted when they end)",
          labelNames: operationLabelNames,
        },
        fillLabelsFn: operationLabels,
        phases: ["execute", "subscribe"],
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: "graphql_envelop_request_duration",
          help: "Time spent executing GraphQL queries and mutations (seconds)",
          labelNames: operationLabelNames,
        },
        fillLabelsFn: operationLabels,
        phases: ["execute"],
      }),
      // Off: its hooks (an operation look-up at every parse, a context copy and a second
      // histogram per answer) were 40% of the metrics' CPU on `{ __typename }` (docs/metrics.md).
      graphql_yoga_http_duration: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_error_result: false,
      graphql_envelop_execute_resolver: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_schema_change: false,
    },
  });

  const live: Plugin = {
    onExecute({ args }) {
      if (overHttp(args.contextValue)) return;
      return {
        onExecuteDone: (payload) =>
          handleStreamOrSingleExecutionResult(payload, ({ result }) => countErrors(result)),
      };
    },
    onSubscribe({ args }) {
      // Over graphql-ws, the stream an execution yields here may serve many subscribers (a
      // shared execution) and outlive any of them: subscribers are counted per socket
      // subscription instead (socketResult).
      if (!overHttp(args.contextValue)) {
        return {
          onSubscribeResult({ result }) {
            if (!isAsyncIterable(result)) countErrors(result);
          },
        };
      }
      let running = false;
      const end = () => {
        if (!running) return;
        running = false;
        subscriptions.dec();
      };
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) return;
          running = true;
          subscriptions.inc();
          return { onEnd: end };
        },
        onSubscribeError: end,
      };
    },
    onResultProcess({ result, setResult }) {
      if (!isAsyncIterable(result)) {
        for (const one of Array.isArray(result) ? result : [result]) countErrors(one);
        return;
      }
      streams.inc();
      const counted = mapAsyncIterator(result, (event) => {
        countErrors(event);
        return event;
      });
      setResult(finalAsyncIterator(counted, () => streams.dec()));
    },
  };

  return {
    registry,
    plugin: {
      onPluginInit({ addPlugin }) {
        addPlugin(prometheus);
        addPlugin(live);
      },
    },
    async respond(authorization) {
      if (!hasMetricsToken(options.token, authorization)) return metricsUnauthorizedResponse();
      return new Response(await registry.metrics(), {
        headers: { "content-type": registry.contentType, "cache-control": "no-store" },
      });
    },
    countErrors(list) {
      countErrors({ errors: list });
      return list;
    },
    socketResult<R>(result: R): R {
      if (!isAsyncIterable(result)) return result;
      subscriptions.inc();
      return subscriberStream(result, countErrors, () => subscriptions.dec()) as unknown as R;
    },
    stop: stopDefaultMetrics,
  };
}

/**
 * `source` as one subscriber iterates it: `onEvent` for each event, `onEnd` once when it
 * completes, fails, or is returned or thrown into (the subscriber left; a `next()` still
 * pending is ended by the source's own `return()`, handed on at once).
 */
function subscriberStream<T>(
  source: AsyncIterable<T>,
  onEvent: (event: T) => void,
  onEnd: () => void,
): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  const done = { done: true, value: undefined } as const;
  const stream: AsyncIterableIterator<T> = {
    async next() {
      try {
        const next = await iterator.next();
        if (next.done) end();
        else onEvent(next.value);
        return next.done ? done : next;
      } catch (error) {
        end();
        throw error;
      }
    },
    async return() {
      end();
      await iterator.return?.();
      return done;
    },
    async throw(error: unknown) {
      end();
      if (!iterator.throw) throw error;
      const next = await iterator.throw(error);
      return next.done ? done : next;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
