import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import perfHooks from "node:perf_hooks";
import { metricSample } from "@maillage/schema/http/metrics-sample";
import { createClient } from "graphql-ws";
import { pino } from "pino";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { createHub, type Hub } from "../app.ts";
import { signHubToken } from "../auth/tokens.ts";
import { ConfigError, loadHubConfig } from "../env.ts";
import { sharedExecutionsOf } from "../realtime/shared-execution.ts";
import { type GraphQLResponse, seedHubStore } from "../testing/fixture.ts";
import { createTestFabrique, enrolTestNode, type TestNode } from "../testing/test-node.ts";
import { createHubMetrics } from "./metrics.ts";

/**
 * GET /metrics of a hub started with METRICS_TOKEN, over a real socket (the route is the
 * HTTP server's, before yoga); operations run in process. One embedded hub for the file.
 */

const TOKEN = randomBytes(24).toString("hex");
let root: string;
let hub: Hub;
let baseUrl: string;
let national: string;
let node: TestNode;
// The process monitors prom-client's default metrics start, as the hub's metrics start them
// (in beforeAll); the last test stops the hub and checks them.
const eventLoopMonitors = vi.spyOn(perfHooks, "monitorEventLoopDelay");
const observing = vi.spyOn(perfHooks.PerformanceObserver.prototype, "observe");
const disconnecting = vi.spyOn(perfHooks.PerformanceObserver.prototype, "disconnect");

async function gql<T = Record<string, unknown>>(
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
) {
  const response = await hub.fetch("http://hub.test/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as GraphQLResponse<T>) };
}

async function scrape(): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  return response.text();
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-metrics-"));
  const dataDir = path.join(root, "hub");
  await seedHubStore(dataDir);
  const config = loadHubConfig({}, { dataDir, port: 0, logLevel: "silent", metricsToken: TOKEN });
  hub = await createHub(config, { logger: pino({ level: "silent" }) });
  ({ url: baseUrl } = await hub.start());
  national = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "1h");
  const fabriqueId = await createTestFabrique({ gql }, national, "Fabrique mesurée", "07186");
  node = await enrolTestNode({ gql }, fabriqueId, national);
});

afterAll(async () => {
  await hub?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe("METRICS_TOKEN", () => {
  it("is at least 32 characters; unset, metrics are off", () => {
    expect(() => loadHubConfig({ METRICS_TOKEN: "short" })).toThrow(ConfigError);
    expect(loadHubConfig({ METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
    expect(loadHubConfig({}).metricsToken).toBeUndefined();
  });

  it("unset: /metrics answers 404, and nothing is registered", async () => {
    const off = await createHubMetrics({
      token: undefined,
      store: hub.db.store,
      openSockets: () => 0,
      registryCache: () => undefined,
    });
    expect(off.registry).toBeUndefined();
    const server = (await import("node:http")).createServer((req, res) => void off.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as import("node:net").AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({
        errors: [{ extensions: { code: "NOT_FOUND" } }],
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("GET /metrics", () => {
  it("refuses a missing or wrong token with 401 UNAUTHENTICATED", async () => {
    for (const headers of [
      {},
      { authorization: `Bearer ${TOKEN.slice(1)}x` },
      { authorization: TOKEN },
      { authorization: `Bearer ${national}` },
    ] as Record<string, string>[]) {
      const response = await fetch(`${baseUrl}/metrics`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await response.json()).toMatchObject({
        errors: [{ extensions: { code: "UNAUTHENTICATED" } }],
      });
    }
  });

  it("answers the Prometheus text format with the right token", async () => {
    const response = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain("# TYPE maillage_graphql_errors_total counter");
    expect(text).toContain("# TYPE graphql_envelop_request_duration histogram");
    expect(metricSample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(metricSample(text, "maillage_graphql_ws_connections")).toBe(0);
    expect(metricSample(text, "maillage_graphql_active_subscriptions")).toBe(0);
    // Embedded PGlite has no pool.
    expect(text).not.toContain("maillage_db_pool_connections");
  });

  it("counts the registry cache's hits and misses, and its size", async () => {
    const token = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "10m");
    const hit = { result: "hit" };
    const miss = { result: "miss" };
    const before = await scrape();
    const page = "query MetricsPage { fabriques { name } }";
    for (let i = 0; i < 3; i++) expect((await gql(page, {}, token)).errors).toBeUndefined();
    const after = await scrape();
    const count = (text: string, labels: Record<string, string>) =>
      metricSample(text, "maillage_registry_cache_lookups_total", labels) ?? 0;
    expect(count(after, miss)).toBe(count(before, miss) + 1);
    expect(count(after, hit)).toBe(count(before, hit) + 2);
    expect(metricSample(after, "maillage_registry_cache_bytes")).toBeGreaterThan(0);
  });

  it("counts operations by name and type, unnamed ones as Anonymous", async () => {
    const labels = { operationName: "MetricsProbe", operationType: "query" };
    const before = metricSample(await scrape(), "graphql_envelop_request", labels) ?? 0;
    expect((await gql("query MetricsProbe { __typename }")).errors).toBeUndefined();
    expect((await gql("query MetricsProbe { __typename }")).errors).toBeUndefined();
    await gql("{ __typename }");
    const text = await scrape();
    expect(metricSample(text, "graphql_envelop_request", labels)).toBe(before + 2);
    expect(
      metricSample(text, "graphql_envelop_request_duration_count", labels),
    ).toBeGreaterThanOrEqual(2);
    expect(
      metricSample(text, "graphql_envelop_request", { operationName: "Anonymous" }),
    ).toBeGreaterThan(0);
  });

  it("counts refused requests by documented code", async () => {
    const admin = await signHubToken(
      hub.keys,
      hub.config,
      { role: "FABRIQUE_ADMIN", fabriqueId: node.fabriqueId },
      "1h",
    );
    const before = await scrape();
    const forbidden = await gql(
      'mutation { createFabrique(input: { name: "Interdite", communeCode: "07186" }) { id } }',
      {},
      admin,
    );
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const invalid = await gql("query Broken { nope }");
    expect(invalid.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const after = await scrape();
    for (const code of ["FORBIDDEN", "GRAPHQL_VALIDATION_FAILED"]) {
      expect(metricSample(after, "maillage_graphql_errors_total", { code })).toBe(
        (metricSample(before, "maillage_graphql_errors_total", { code }) ?? 0) + 1,
      );
    }
    // Every documented code has its series from the start.
    expect(metricSample(before, "maillage_graphql_errors_total", { code: "SLOT_TAKEN" })).toBe(0);
  });

  it("counts pushes and pulls, and shows each node's lag", async () => {
    const before = await scrape();
    const pushed = await node.push([node.satellite(ulid(), "Le Relais")], 3);
    expect(pushed.errors).toBeUndefined();
    const page = await node.pull("0");
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      (metricSample(after, name, labels) ?? 0) - (metricSample(before, name, labels) ?? 0);
    expect(delta("maillage_sync_push_batches_total", { outcome: "applied" })).toBe(1);
    expect(delta("maillage_sync_push_events_total", { result: "applied" })).toBe(1);
    expect(delta("maillage_sync_pull_pages_total", { mode: "pull" })).toBe(1);
    expect(delta("maillage_sync_pulled_events_total", { mode: "pull" })).toBe(page.events.length);
    expect(metricSample(after, "maillage_node_lag_seconds", { node: node.nodeId })).toBe(0);
    expect(metricSample(after, "maillage_node_pending_events", { node: node.nodeId })).toBe(3);
    expect(
      metricSample(after, "maillage_node_last_seen_timestamp_seconds", { node: node.nodeId }),
    ).toBeGreaterThan(Date.now() / 1000 - 600);

    // A batch with a gap: nothing applied, counted as such.
    const gap = node.satellite(ulid(), "Le Trou");
    const skipped = await node.push([{ ...gap, seq: gap.seq + 5 }]);
    expect(skipped.data?.pushChanges.expectedSeq).not.toBeNull();
    const later = await scrape();
    expect(
      (metricSample(later, "maillage_sync_push_batches_total", { outcome: "gap" }) ?? 0) -
        (metricSample(after, "maillage_sync_push_batches_total", { outcome: "gap" }) ?? 0),
    ).toBe(1);
  });

  it("shows graphql-ws connections and live subscriptions, and counts their errors", async () => {
    const client = createClient({
      url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authToken: await node.token() },
      retryAttempts: 0,
    });
    const before = await scrape();
    const refused = new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: 'subscription BadCursor { changes(after: "x") { cursor } }' },
        { next: () => {}, error: resolve, complete: () => resolve(undefined) },
      );
    });
    const stop = client.subscribe(
      { query: 'subscription Follow { changes(after: "0") { cursor } }' },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
    try {
      await refused;
      await vi.waitFor(async () => {
        const text = await scrape();
        expect(metricSample(text, "maillage_graphql_ws_connections")).toBe(1);
        expect(metricSample(text, "maillage_graphql_active_subscriptions")).toBe(1);
        expect(
          (metricSample(text, "maillage_graphql_errors_total", { code: "BAD_USER_INPUT" }) ?? 0) -
            (metricSample(before, "maillage_graphql_errors_total", { code: "BAD_USER_INPUT" }) ??
              0),
        ).toBe(1);
      });
    } finally {
      stop();
      await client.dispose();
    }
    await vi.waitFor(async () => {
      const text = await scrape();
      expect(metricSample(text, "maillage_graphql_ws_connections")).toBe(0);
      expect(metricSample(text, "maillage_graphql_active_subscriptions")).toBe(0);
      // Counted when it ends, by name, as over HTTP.
      expect(
        metricSample(text, "graphql_envelop_request", {
          operationName: "Follow",
          operationType: "subscription",
        }),
      ).toBe(1);
    });
  });

  function socketClient(token: string) {
    return createClient({
      url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authToken: token },
      retryAttempts: 0,
    });
  }

  it("counts each subscriber of a shared execution, whatever the order they leave in", async () => {
    const shared = sharedExecutionsOf(hub.services.pubsub);
    const active = async () =>
      metricSample(await scrape(), "maillage_graphql_active_subscriptions");
    expect(await active()).toBe(0);
    for (const order of [
      [0, 1, 2],
      [2, 0, 1],
      [1, 2, 0],
    ]) {
      // One audience (NATIONAL), one document: one execution for the three sockets.
      const subscribers = [0, 1, 2].map(() => {
        const client = socketClient(national);
        const unsubscribe = client.subscribe(
          { query: "subscription NodeWatch { nodeStatusChanged { __typename } }" },
          { next: () => {}, error: () => {}, complete: () => {} },
        );
        return { client, unsubscribe };
      });
      try {
        await vi.waitFor(async () => {
          expect(shared.stats()).toMatchObject({ executions: 1, subscribers: 3 });
          expect(await active()).toBe(3);
        }, 10_000);
        for (const [left, index] of order.entries()) {
          const subscriber = subscribers[index];
          if (!subscriber) throw new Error("no such subscriber");
          // Unsubscribing (a Complete message) and closing the socket both end it.
          if (left % 2 === 0) subscriber.unsubscribe();
          else await subscriber.client.dispose();
          await vi.waitFor(async () => expect(await active()).toBe(2 - left), 10_000);
        }
        expect(shared.stats()).toMatchObject({ executions: 0, subscribers: 0 });
      } finally {
        for (const { client } of subscribers) await client.dispose();
      }
    }
  });

  it("counts graphql-ws operations refused before execution, by code, as over HTTP", async () => {
    const client = socketClient(national);
    const refusedWith = (query: string) =>
      new Promise<unknown>((resolve) => {
        client.subscribe(
          { query },
          {
            next: () => resolve(undefined),
            error: (errors) => resolve((errors as { extensions?: { code?: unknown } }[])[0]),
            complete: () => resolve(undefined),
          },
        );
      });
    const count = (text: string, code: string) =>
      metricSample(text, "maillage_graphql_errors_total", { code }) ?? 0;
    try {
      const before = await scrape();
      const refusals: [string, string][] = [
        ["subscription {", "GRAPHQL_PARSE_FAILED"],
        ["subscription Nope { nope }", "GRAPHQL_VALIDATION_FAILED"],
        ["query A { __typename } query B { __typename }", "BAD_REQUEST"],
      ];
      for (const [query, code] of refusals) {
        expect(await refusedWith(query)).toMatchObject({ extensions: { code } });
      }
      const after = await scrape();
      for (const [, code] of refusals) expect(count(after, code)).toBe(count(before, code) + 1);
    } finally {
      await client.dispose();
    }
  });
});

describe("hub.stop()", () => {
  // Last: stops the file's hub (afterAll's stop is then a no-op).
  it("stops the default metrics' event-loop monitor and GC observer", async () => {
    const monitors = eventLoopMonitors.mock.results.map(
      (r) => r.value as perfHooks.IntervalHistogram,
    );
    const observers = observing.mock.contexts.filter((_, i) =>
      (observing.mock.calls[i]?.[0] as { entryTypes?: string[] })?.entryTypes?.includes("gc"),
    );
    expect(monitors.length).toBeGreaterThan(0);
    expect(observers.length).toBeGreaterThan(0);
    await hub.stop();
    // disable() answers false when the monitor was disabled already.
    for (const monitor of monitors) expect(monitor.disable()).toBe(false);
    for (const observer of observers) expect(disconnecting.mock.contexts).toContain(observer);
  });
});
