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
import { loadHubConfig } from "./env.ts";
import { networkEventsEnd, readNetworkEvents } from "./modules/health/network-events.repository.ts";
import type { GraphQLResponse } from "./testing/fixture.ts";
import { listen, until } from "./testing/live.ts";

/**
 * Two replicas of one hub in this process: one PostgreSQL database, one Redis, the same signing
 * keys (one data dir). What a balancer in front of them needs to hold: a write on one reaches
 * the subscribers of the other; a subscriber whose replica dies resumes on the other from its
 * cursor, without loss or duplicate; the rate limits count across both.
 *
 * Redis is shared with other runs: the rate counters live under a prefix of this run, and
 * what crosses the pub/sub channels (shared) is either filtered by a fabrique of this run's
 * database or a wake-up that only makes a replica read its own database again.
 */

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** The person budget of both replicas: small enough to spend in a test, above the others' use. */
const PERSON_BUDGET = 30;

describe("two hub replicas on one PostgreSQL database and one Redis", () => {
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let a: Hub;
  let b: Hub;
  let wsA: string;
  let wsB: string;
  /** A person's token; each test has its own subject, so its own rate budget. */
  const token = (
    subject: string,
    claims: { role: "NATIONAL" } | { role: "FABRIQUE_ADMIN"; fabriqueId: string } = {
      role: "NATIONAL",
    },
  ) => signHubToken(a.keys, a.config, { ...claims, subject: `${subject}-${randomUUID()}` }, "10m");

  const gql = async <T = Record<string, unknown>>(
    hub: Hub,
    bearer: string,
    query: string,
    variables: Record<string, unknown> = {},
  ) => {
    const response = await hub.fetch("http://replica/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as GraphQLResponse<T>) };
  };
  const createFabrique = async (hub: Hub, bearer: string, name: string) => {
    const answer = await gql<{ createFabrique: { id: string } }>(
      hub,
      bearer,
      "mutation($input: CreateSpaceInput!) { createFabrique(input: $input) { id } }",
      { input: { name, communeCode: "07186" } },
    );
    expect(answer.errors).toBeUndefined();
    return answer.data?.createFabrique.id as string;
  };

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-replicas-"));
    const database = await createThrowawayDatabase();
    dropDatabase = database.drop;
    const config = loadHubConfig(
      {
        RATE_LIMIT_PERSON_PER_MINUTE: String(PERSON_BUDGET),
        RATE_LIMIT_KEY_PREFIX: `maillage-test:${randomUUID()}`,
      },
      { dataDir, databaseUrl: database.url, redisUrl: REDIS_URL, port: 0, logLevel: "silent" },
    );
    const logger = pino({ level: "silent" });
    // Started together, as a deployment's replicas: migrations and the first key created once.
    [a, b] = await Promise.all([createHub(config, { logger }), createHub(config, { logger })]);
    const [onA, onB] = await Promise.all([a.start(), b.start()]);
    wsA = `${onA.url.replace(/^http/, "ws")}/graphql`;
    wsB = `${onB.url.replace(/^http/, "ws")}/graphql`;
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropDatabase?.();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it("a write on A reaches a graphql-ws subscriber on B", async () => {
    const national = await token("replicas-writer");
    const fabriqueId = await createFabrique(a, national, `Fabrique répliquée ${randomUUID()}`);
    // Its admin hears only its own network: other runs' events on the shared Redis are filtered.
    const admin = await token("replicas-listener", { role: "FABRIQUE_ADMIN", fabriqueId });
    const onB = await listen(
      wsB,
      admin,
      "subscription { spaceChanged { change space { id name } } }",
    );
    try {
      const names: string[] = [];
      const heard = () => onB.received.data.map((d) => d.spaceChanged);
      // The subscription goes live shortly after the socket's ack: write until one is heard.
      for (let i = 0; i < 10 && heard().length === 0; i++) {
        const name = `Fabrique renommée ${i}`;
        const answer = await gql(
          a,
          national,
          "mutation($id: ID!, $name: String!) { updateSpace(id: $id, input: { name: $name }) { id } }",
          { id: fabriqueId, name },
        );
        expect(answer.errors).toBeUndefined();
        names.push(name);
        await vi
          .waitFor(() => expect(heard().length).toBeGreaterThan(0), { timeout: 500, interval: 20 })
          .catch(() => {});
      }
      expect(onB.received.errors).toEqual([]);
      expect(heard()[0]).toMatchObject({ change: "UPDATED", space: { id: fabriqueId } });
      expect(names).toContain((heard()[0]?.space as { name?: string } | undefined)?.name);
    } finally {
      await onB.close();
    }
  });

  it("a write on A ends B's cached registry answers: B reads the new name", async () => {
    const national = await token("replicas-cache");
    const fabriqueId = await createFabrique(a, national, `Fabrique en cache ${randomUUID()}`);
    const admin = await token("replicas-cache-reader", { role: "FABRIQUE_ADMIN", fabriqueId });
    const page = "{ spaces(first: 5) { edges { node { id name } } } }";
    type Page = { spaces: { edges: { node: { name: string } }[] } };
    const namesOnB = async () =>
      (await gql<Page>(b, admin, page)).data?.spaces.edges.map((e) => e.node.name);
    // B answers from its cache (once the creation's own event, from A, has reached it).
    await vi.waitFor(async () => {
      const hits = b.registryCache?.stats().hits ?? 0;
      await namesOnB();
      expect(b.registryCache?.stats().hits).toBe(hits + 1);
    });
    const renamed = await gql(
      a,
      national,
      'mutation($id: ID!) { updateSpace(id: $id, input: { name: "Fabrique renommée sur A" }) { id } }',
      { id: fabriqueId },
    );
    expect(renamed.errors).toBeUndefined();
    // Within the pub/sub's delay, far under the cache's 60 s.
    await vi.waitFor(async () => expect(await namesOnB()).toEqual(["Fabrique renommée sur A"]), {
      timeout: 5_000,
      interval: 20,
    });
  });

  it("rate limits hold across both: the budget spent alternating A and B is refused on both", async () => {
    const person = await token("replicas-budget");
    const statuses: number[] = [];
    for (let i = 0; i < PERSON_BUDGET; i++) {
      const answer = await gql(i % 2 === 0 ? a : b, person, "{ __typename }");
      statuses.push(answer.errors ? answer.status : 200);
    }
    // Not before: each of the PERSON_BUDGET requests answered (half of them by each replica,
    // so with a count per replica neither would refuse for another PERSON_BUDGET / 2).
    expect(statuses).toEqual(Array(PERSON_BUDGET).fill(200));
    for (const replica of [a, b]) {
      const refused = await gql(replica, person, "{ __typename }");
      expect(refused.status).toBe(429);
      expect(refused.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    }
    // A graphql-ws subscribe spends the same budget.
    const late = await listen(wsB, person, "subscription { networkEvents { cursor } }");
    try {
      await until(() => late.received.errors.length > 0, "the subscribe's refusal");
      // graphql-ws hands the error message's errors to the sink as one array.
      const [error] = late.received.errors.flat() as { extensions?: { code?: string } }[];
      expect(error?.extensions?.code).toBe("RATE_LIMITED");
    } finally {
      await late.close();
    }
  });

  it("a networkEvents subscriber whose replica dies resumes on the other from its cursor: no loss, no duplicate, in order", async () => {
    const national = await token("replicas-resume");
    const start = await networkEventsEnd(b.db.store);
    const query = `subscription($after: String) { networkEvents(after: $after) { cursor kind spaceName } }`;
    type Event = { cursor: string; kind: string; spaceName: string | null };

    // The subscriber on A; every write on B. A hears of them through Redis only.
    const first: Event[] = [];
    const clientA = createClient({
      url: wsA,
      webSocketImpl: WebSocket,
      connectionParams: { authToken: national },
      retryAttempts: 0,
    });
    const endedOnA = new Promise<void>((resolve) => {
      clientA.subscribe<{ networkEvents: Event }>(
        { query, variables: { after: start } },
        {
          next: (message) => {
            if (message.data) first.push(message.data.networkEvents);
          },
          error: () => resolve(), // the replica went away
          complete: () => resolve(),
        },
      );
    });
    const prefix = `Fabrique du flux ${randomUUID().slice(0, 8)}`;
    let written = 0;
    const write = () => createFabrique(b, national, `${prefix} ${written++}`);
    try {
      for (let i = 0; i < 3; i++) await write();
      await vi.waitFor(() => expect(first.length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });

      // A dies while B keeps writing.
      const writing = (async () => {
        for (let i = 0; i < 6; i++) await write();
      })();
      await a.stop();
      await endedOnA;
      await writing;
      await write(); // at least one surely after A's end
    } finally {
      await clientA.dispose();
    }

    // The client reconnects to B with the last cursor it received.
    const last = first.at(-1)?.cursor as string;
    const onB = await listen(wsB, national, query, { after: last });
    try {
      const expected = (await readNetworkEvents(b.db.store, start, null, 1000)).events;
      const end = expected.at(-1)?.offset;
      const second = () => onB.received.data.map((d) => d.networkEvents as Event);
      await until(() => second().at(-1)?.cursor === end, "the events written while A died");
      expect(onB.received.errors).toEqual([]);
      const received = [...first, ...second()];
      // Every event of the feed since the start, each once, in the feed's order.
      expect(received.map((e) => e.cursor)).toEqual(expected.map((e) => e.offset));
      expect(
        received.filter((e) => e.spaceName?.startsWith(prefix)).map((e) => e.spaceName),
      ).toEqual(Array.from({ length: written }, (_, i) => `${prefix} ${i}`));
    } finally {
      await onB.close();
    }
  });
});
