import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import perfHooks from "node:perf_hooks";
import { metricSample } from "@maillage/schema/http/metrics-sample";
import { seedPgliteStore } from "@maillage/storage/testing";
import { pino } from "pino";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Agent, createAgent } from "../app.ts";
import { ConfigError, loadAgentConfig } from "../env.ts";
import { loadNodeCredentials, type NodeCredentials } from "../identity/identity.ts";
import { initAgent } from "../identity/init.ts";
import { signAgentToken } from "../identity/tokens.ts";
import { outboxRepository } from "../outbox/outbox.repository.ts";
import { agentMigrations } from "../store/migrations.ts";
import { createFakeHub, type FakeHub } from "../testing/fake-hub.ts";
import { TEST_SYNC_SETTINGS } from "../testing/fixture.ts";
import { subscribeSse } from "../testing/sse.ts";
import { createAgentMetrics } from "./metrics.ts";

/**
 * GET /metrics of an agent built with METRICS_TOKEN, in process (the agent answers it before
 * GraphQL). Its sync engine is never started: what it writes stays in the outbox.
 * One embedded agent for the file.
 */

const TOKEN = randomBytes(24).toString("hex");
let root: string;
let hub: FakeHub;
let agent: Agent;
let credentials: NodeCredentials;
let admin: string;
// The process monitors prom-client's default metrics start, as the agent's metrics start them
// (in beforeAll); the last test stops the agent and checks them.
const eventLoopMonitors = vi.spyOn(perfHooks, "monitorEventLoopDelay");
const observing = vi.spyOn(perfHooks.PerformanceObserver.prototype, "observe");
const disconnecting = vi.spyOn(perfHooks.PerformanceObserver.prototype, "disconnect");

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-agent-metrics-"));
  const dataDir = path.join(root, "agent");
  hub = createFakeHub();
  const hubUrl = await hub.listen();
  const code = hub.createCode({ id: ulid(), name: "Fabrique mesurée" });
  await initAgent({ dataDir, hubUrl, code, fetch: hub.fetch });
  await seedPgliteStore(dataDir, await agentMigrations());
  credentials = await loadNodeCredentials(dataDir);
  const config = loadAgentConfig(
    {},
    { dataDir, port: 0, logLevel: "silent", sync: TEST_SYNC_SETTINGS, metricsToken: TOKEN },
  );
  agent = await createAgent(config, { logger: pino({ level: "silent" }), fetch: hub.fetch });
  admin = await signAgentToken(credentials.identity, credentials.key, { role: "FABRIQUE_ADMIN" });
});

afterAll(async () => {
  await agent?.stop();
  await hub?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

async function gql(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await agent.fetch("http://agent.test/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: { extensions?: { code?: string } }[];
  };
}

async function scrape(): Promise<string> {
  const response = await agent.fetch("http://agent.test/metrics", {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  return response.text();
}

const CREATE_SATELLITE = `mutation NewSatellite($name: String!) {
  createSatellite(input: { name: $name, communeCode: "07186" }) { id } }`;

describe("METRICS_TOKEN", () => {
  it("is at least 32 characters; unset, metrics are off", () => {
    expect(() => loadAgentConfig({ METRICS_TOKEN: "short" })).toThrow(ConfigError);
    expect(loadAgentConfig({ METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
    expect(loadAgentConfig({}).metricsToken).toBeUndefined();
  });

  it("unset: /metrics answers 404, and nothing is registered", async () => {
    const off = await createAgentMetrics({ token: undefined, store: agent.store });
    expect(off.registry).toBeUndefined();
    const response = await off.respond(
      new Request("http://agent.test/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      errors: [{ extensions: { code: "NOT_FOUND" } }],
    });
  });
});

describe("GET /metrics", () => {
  it("refuses a missing or wrong token with 401 UNAUTHENTICATED", async () => {
    for (const headers of [
      {},
      { authorization: `Bearer ${TOKEN.slice(1)}x` },
      { authorization: `Bearer ${admin}` },
    ] as Record<string, string>[]) {
      const response = await agent.fetch("http://agent.test/metrics", { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        errors: [{ extensions: { code: "UNAUTHENTICATED" } }],
      });
    }
  });

  it("answers the Prometheus text format with the right token", async () => {
    const response = await agent.fetch("http://agent.test/metrics", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain("# TYPE maillage_agent_outbox_pending_events gauge");
    expect(metricSample(text, "maillage_http_sse_streams")).toBe(0);
    expect(metricSample(text, "maillage_graphql_active_subscriptions")).toBe(0);
    // Never synced: no last push or pull, the hub not known reachable.
    expect(metricSample(text, "maillage_agent_last_push_timestamp_seconds")).toBe(0);
    expect(metricSample(text, "maillage_agent_last_pull_timestamp_seconds")).toBe(0);
    expect(metricSample(text, "maillage_agent_hub_reachable")).toBe(0);
  });

  it("counts operations by name and errors by code", async () => {
    const labels = { operationName: "NewSatellite", operationType: "mutation" };
    const before = await scrape();
    expect((await gql(CREATE_SATELLITE, { name: "Le Relais" }, admin)).errors).toBeUndefined();
    const satellite = await signAgentToken(credentials.identity, credentials.key, {
      role: "SATELLITE",
      spaceId: "S1",
    });
    const refused = await gql(CREATE_SATELLITE, { name: "Interdit" }, satellite);
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const after = await scrape();
    expect(
      (metricSample(after, "graphql_envelop_request", labels) ?? 0) -
        (metricSample(before, "graphql_envelop_request", labels) ?? 0),
    ).toBe(2);
    expect(
      (metricSample(after, "maillage_graphql_errors_total", { code: "FORBIDDEN" }) ?? 0) -
        (metricSample(before, "maillage_graphql_errors_total", { code: "FORBIDDEN" }) ?? 0),
    ).toBe(1);
  });

  it("shows the outbox: pending events and the age of the oldest", async () => {
    await gql(CREATE_SATELLITE, { name: "La Forge" }, admin);
    const pending = await outboxRepository.pendingStats(agent.store);
    expect(pending.count).toBeGreaterThan(0);
    const text = await scrape();
    expect(metricSample(text, "maillage_agent_outbox_pending_events")).toBe(pending.count);
    expect(
      metricSample(text, "maillage_agent_outbox_oldest_pending_seconds"),
    ).toBeGreaterThanOrEqual(0);
    expect(metricSample(text, "maillage_agent_outbox_refused_events")).toBe(0);

    // Pushed to the (fake) hub: the outbox empties, the last push and reachability show.
    await agent.sync.flush();
    const synced = await scrape();
    expect(metricSample(synced, "maillage_agent_outbox_pending_events")).toBe(0);
    expect(metricSample(synced, "maillage_agent_outbox_oldest_pending_seconds")).toBe(0);
    expect(metricSample(synced, "maillage_agent_last_push_timestamp_seconds")).toBeGreaterThan(
      Date.now() / 1000 - 600,
    );
    expect(metricSample(synced, "maillage_agent_hub_reachable")).toBe(1);
  });

  it("shows live subscriptions and server-sent event streams while they run", async () => {
    const live = await subscribeSse(
      (url, init) => agent.fetch(url, init),
      admin,
      "subscription Live { bookingUpdated { __typename } }",
    );
    try {
      const text = await scrape();
      expect(metricSample(text, "maillage_graphql_active_subscriptions")).toBe(1);
      expect(metricSample(text, "maillage_http_sse_streams")).toBe(1);
    } finally {
      await live.stop();
    }
    await vi.waitFor(async () => {
      const text = await scrape();
      expect(metricSample(text, "maillage_graphql_active_subscriptions")).toBe(0);
      expect(metricSample(text, "maillage_http_sse_streams")).toBe(0);
    });
  });
});

describe("agent.stop()", () => {
  // Last: stops the file's agent (afterAll's stop is then a no-op).
  it("stops the default metrics' event-loop monitor and GC observer", async () => {
    const monitors = eventLoopMonitors.mock.results.map(
      (r) => r.value as perfHooks.IntervalHistogram,
    );
    const observers = observing.mock.contexts.filter((_, i) =>
      (observing.mock.calls[i]?.[0] as { entryTypes?: string[] })?.entryTypes?.includes("gc"),
    );
    expect(monitors.length).toBeGreaterThan(0);
    expect(observers.length).toBeGreaterThan(0);
    await agent.stop();
    // disable() answers false when the monitor was disabled already.
    for (const monitor of monitors) expect(monitor.disable()).toBe(false);
    for (const observer of observers) expect(disconnecting.mock.contexts).toContain(observer);
  });
});
