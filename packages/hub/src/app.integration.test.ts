import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createThrowawayDatabase } from "@maillage/storage/testing";
import { createClient } from "graphql-ws";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { createHub, type Hub } from "./app.ts";
import { signHubToken } from "./auth/tokens.ts";
import { seedDemoNetwork } from "./demo.ts";
import { loadHubConfig } from "./env.ts";
import { startTestHub, type TestHub } from "./testing/fixture.ts";

/**
 * The hub's endpoints on PostgreSQL, and subscriptions fanned out through Redis across two
 * replicas of one hub (same database, same signing keys).
 */

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describe("hub on PostgreSQL", () => {
  let test: TestHub;
  let baseUrl: string;

  beforeAll(async () => {
    test = await startTestHub("postgres");
    ({ url: baseUrl } = await test.hub.start());
    await seedDemoNetwork(test.hub);
  });

  afterAll(async () => {
    await test?.close();
  });

  it("GET /health answers 200", async () => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok" });
  });

  it("GET /ready answers 200 with no pending migration", async () => {
    const response = await fetch(`${baseUrl}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "ready",
      database: "reachable",
      pendingMigrations: [],
    });
  });

  it("answers a NATIONAL query over HTTP, and refuses a bad token with 401", async () => {
    const query = "query Spaces { spaces(first: 1) { totalCount } }";
    const ask = (authorization: string) =>
      fetch(`${baseUrl}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization },
        body: JSON.stringify({ query }),
      });

    const ok = await ask(`Bearer ${await test.nationalToken()}`);
    expect(ok.status).toBe(200);
    const total = await test.hub.services.prisma.space.count();
    expect(total).toBeGreaterThan(0);
    expect(await ok.json()).toEqual({ data: { spaces: { totalCount: total } } });

    const refused = await ask("Bearer not.a.jwt");
    expect(refused.status).toBe(401);
    const body = (await refused.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("two replicas on one PostgreSQL database, sharing Redis", () => {
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let replicaA: Hub | undefined;
  let replicaB: Hub | undefined;
  let portA: number;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-replicas-"));
    const database = await createThrowawayDatabase();
    dropDatabase = database.drop;
    // The same data dir: both replicas sign and verify with the same key file.
    const config = loadHubConfig(
      {},
      { dataDir, databaseUrl: database.url, redisUrl: REDIS_URL, port: 0, logLevel: "silent" },
    );
    const logger = pino({ level: "silent" });
    // Started together: migrations and the first key are created once.
    [replicaA, replicaB] = await Promise.all([
      createHub(config, { logger }),
      createHub(config, { logger }),
    ]);
    ({ port: portA } = await replicaA.start());
  });

  afterAll(async () => {
    await Promise.all([replicaA?.stop(), replicaB?.stop()]);
    await dropDatabase?.();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("share one signing key", () => {
    expect(replicaA?.keys.signer.kid).toBe(replicaB?.keys.signer.kid);
  });

  it("a subscriber on replica A hears a space created through replica B", async () => {
    const a = replicaA as Hub;
    const b = replicaB as Hub;
    const token = await signHubToken(a.keys, a.config, { role: "NATIONAL" }, "10m");
    // Other test files may publish on the same Redis: only our names count.
    const prefix = `Fabrique répliquée ${randomUUID().slice(0, 8)}`;
    const heard: { change: string; space: { name: string } }[] = [];
    const errors: unknown[] = [];

    const client = createClient({
      url: `ws://127.0.0.1:${portA}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authToken: token },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: (error) => errors.push(error),
    });
    client.subscribe<{ spaceChanged: { change: string; space: { name: string } } }>(
      { query: "subscription { spaceChanged { change space { name } } }" },
      {
        next: (result) => {
          if (result.errors) errors.push(...result.errors);
          const event = result.data?.spaceChanged;
          if (event?.space.name.startsWith(prefix)) heard.push(event);
        },
        error: (error) => errors.push(error),
        complete: () => {},
      },
    );

    try {
      // The Redis subscription is set up asynchronously: create until one is heard.
      const created: string[] = [];
      for (let attempt = 0; attempt < 20 && heard.length === 0; attempt++) {
        const name = `${prefix} ${attempt}`;
        const response = await b.fetch("http://replica-b/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query:
              "mutation Create($input: CreateSpaceInput!) { createFabrique(input: $input) { id } }",
            variables: { input: { name, communeCode: "07186" } },
          }),
        });
        const body = (await response.json()) as { errors?: unknown[] };
        expect(body.errors).toBeUndefined();
        created.push(name);
        await vi
          .waitFor(() => expect(heard.length).toBeGreaterThan(0), { timeout: 500, interval: 20 })
          .catch(() => {});
      }
      expect(errors).toEqual([]);
      expect(heard[0]?.change).toBe("CREATED");
      expect(created).toContain(heard[0]?.space.name);
    } finally {
      await client.dispose();
    }
  });
});
