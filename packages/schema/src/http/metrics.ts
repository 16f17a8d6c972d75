import { createHash, timingSafeEqual } from "node:crypto";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Registry } from "prom-client";
import { z } from "zod";
import { type ErrorCode, ErrorCodes, isErrorCode, MaillageError } from "../errors.ts";
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
 * The documented code an error of a GraphQL result answers with, as the error masker decides
 * it (graphql-errors.ts): its documented `extensions.code` (every masked error has one), else
 * a MaillageError's code at the root of its chain, else BAD_USER_INPUT for graphql-js's own
 * errors (about the caller's input), else INTERNAL_SERVER_ERROR.
 */
export function documentedCodeOf(error: unknown): ErrorCode {
  const outer = extensionCode(error);
  if (isErrorCode(outer)) return outer;
  let cause = error;
  while ((cause as { originalError?: unknown })?.originalError) {
    cause = (cause as { originalError: unknown }).originalError;
    if (isErrorCode(extensionCode(cause))) return extensionCode(cause) as ErrorCode;
  }
  if (cause instanceof MaillageError) return cause.code;
  if (outer === undefined && cause instanceof GraphQLError) return "BAD_USER_INPUT";
  return "INTERNAL_SERVER_ERROR";
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

export type GraphQLMetrics = {
  /** This app instance's own registry: add the app's metrics to it. */
  registry: Registry;
  /** For yoga's plugins list: request counts and durations, errors by code, subscriptions. */
  plugin: Plugin;
  /** The answer to `GET /metrics` with this Authorization header (401 without the token). */
  respond(authorization: string | null | undefined): Promise<Response>;
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
  if (options.defaultMetrics !== false) prom.collectDefaultMetrics({ register: registry });

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
  /** HTTP answers are counted when yoga writes them; graphql-ws ones when they execute. */
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
      const socket = !overHttp(args.contextValue);
      let running = false;
      const end = () => {
        if (!running) return;
        running = false;
        subscriptions.dec();
      };
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            if (socket) countErrors(result);
            return;
          }
          running = true;
          subscriptions.inc();
          return {
            onNext: socket ? ({ result: event }) => countErrors(event) : undefined,
            onEnd: end,
          };
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
  };
}
