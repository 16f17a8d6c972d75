import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLObjectType,
  parse,
  subscribe,
} from "graphql";
import { createClient } from "graphql-ws";
import { createPubSub } from "graphql-yoga";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { createHub, type Hub, WS_TOKEN_EXPIRED } from "../app.ts";
import { signHubToken } from "../auth/tokens.ts";
import type { Context, Viewer } from "../context.ts";
import { loadHubConfig } from "../env.ts";
import { audienceOf } from "../graphql/audience.ts";
import { schema } from "../graphql/schema.ts";
import { seedHubStore } from "../testing/fixture.ts";
import { fanoutOf } from "./fanout.ts";
import type { BookingUpdateEvent, HubPubSubTopics } from "./pubsub.ts";
import {
  MEMBER_QUEUE,
  SharedExecutions,
  SUBSCRIPTION_SHARING,
  sharedExecutionsOf,
  shareKeyOf,
} from "./shared-execution.ts";

/**
 * Subscribers of one document with the same audience get one execution per event; viewers of
 * different audiences get their own, filtered as before; nothing is kept once they leave.
 * The hub's own schema, run in process (bookingUpdated reads nothing from the database).
 */

const BOOKINGS = `subscription { bookingUpdated { resourceId request { id status forMemberId } } }`;

const national = (sub: string): Viewer => ({ sub, role: "NATIONAL" });
const admin = (sub: string, fabriqueId: string): Viewer => ({
  sub,
  role: "FABRIQUE_ADMIN",
  fabriqueId,
});

function booking(i: number): BookingUpdateEvent {
  return {
    requestId: `R${i}`,
    resourceId: "RES1",
    requesterNodeId: "N-A",
    ownerNodeId: "N-B",
    cancelled: false,
    bookingId: null,
    requestedAt: "2026-12-01T10:00:00.000Z",
    decidedAt: null,
    kind: "BOOKING",
    status: "PENDING",
    reason: null,
    reasonCode: null,
    startsAt: "2026-12-10T10:00:00.000Z",
    endsAt: "2026-12-10T12:00:00.000Z",
    forMemberId: "M1",
    forSpaceId: null,
    requesterFabriqueId: "FA",
    ownerFabriqueId: "FB",
    loan: null,
    updatedAt: "2026-12-01T10:00:00.000Z",
  };
}

type Data = {
  bookingUpdated: { resourceId: string; request: { id: string; forMemberId: string | null } };
};

/** Counts the calls of one resolver of the hub's schema (restored after each test). */
const restores: (() => void)[] = [];
function countCalls(typeName: string, fieldName: string): { calls: number } {
  const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName];
  if (!field?.resolve) throw new Error(`${typeName}.${fieldName} has no resolver`);
  const original = field.resolve;
  const counter = { calls: 0 };
  field.resolve = (...args) => {
    counter.calls++;
    return original(...args);
  };
  restores.push(() => {
    field.resolve = original;
  });
  return counter;
}
afterEach(() => {
  for (const restore of restores.splice(0)) restore();
});

function setUp() {
  const pubsub = createPubSub<HubPubSubTopics>();
  const shared = new SharedExecutions();
  const open = async (
    viewer: Viewer | null,
    query = BOOKINGS,
    variableValues: Record<string, unknown> = {},
  ) => {
    const args: ExecutionArgs = {
      schema,
      document: documentOf(query),
      variableValues,
      contextValue: { viewer, pubsub } as Partial<Context>,
    };
    const stream = await shared.subscribe(args, (a) => subscribe(a));
    if (!(Symbol.asyncIterator in stream)) throw new Error(JSON.stringify(stream));
    const received: ExecutionResult[] = [];
    const reading = (async () => {
      for await (const result of stream) received.push(result);
    })();
    return { stream, received, close: () => stream.return?.().then(() => reading) };
  };
  return { pubsub, shared, open };
}
const documents = new Map<string, ReturnType<typeof parse>>();
/** One parsed document per text, as yoga's parser cache hands graphql-ws. */
function documentOf(query: string) {
  let document = documents.get(query);
  if (!document) {
    document = parse(query);
    documents.set(query, document);
  }
  return document;
}

describe("shared subscription executions", () => {
  it("100 subscribers of one audience cause one execution per event, and all get every result", async () => {
    const { pubsub, shared, open } = setUp();
    const resolved = countCalls("BookingUpdate", "resourceId");
    const subscribers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => open(national(`national:${i}`))),
    );
    expect(shared.stats()).toMatchObject({ executions: 1, subscribers: 100 });
    await vi.waitFor(() => expect(fanoutOf(pubsub).stats().listeners).toBe(1));
    for (let i = 1; i <= 3; i++) pubsub.publish("booking:updated", booking(i));
    await vi.waitFor(() => expect(subscribers.every((s) => s.received.length === 3)).toBe(true));
    expect(resolved.calls).toBe(3);
    expect(shared.stats().executed).toBe(3);
    const first = subscribers[0]?.received ?? [];
    expect((first[2]?.data as Data | undefined)?.bookingUpdated.request.id).toBe("R3");
    // The same result objects for everyone.
    expect(subscribers.every((s) => s.received.every((r, i) => r === first[i]))).toBe(true);
    await Promise.all(subscribers.map((s) => s.close()));
    expect(shared.stats()).toMatchObject({ executions: 0, subscribers: 0 });
    expect(fanoutOf(pubsub).stats()).toEqual({ upstreams: 0, listeners: 0 });
  });

  it("viewers of different scopes subscribed to one document get their own, filtered results", async () => {
    const { pubsub, shared, open } = setUp();
    const resolved = countCalls("BookingUpdate", "resourceId");
    const nation = await Promise.all([open(national("n1")), open(national("n2"))]);
    const requester = await Promise.all([open(admin("a1", "FA")), open(admin("a2", "FA"))]);
    const owner = await open(admin("b1", "FB"));
    const stranger = await open(admin("c1", "FC"));
    // Four audiences: the nation, and each fabrique's team.
    expect(shared.stats()).toMatchObject({ executions: 4, subscribers: 6 });
    await vi.waitFor(() => expect(fanoutOf(pubsub).stats().listeners).toBe(4));
    pubsub.publish("booking:updated", booking(1));
    const all = [...nation, ...requester, owner];
    await vi.waitFor(() => expect(all.every((s) => s.received.length === 1)).toBe(true));
    const memberOf = (s: { received: ExecutionResult[] }) =>
      (s.received[0]?.data as Data | undefined)?.bookingUpdated.request.forMemberId;
    // The national body never sees the member; both sides' teams do.
    expect(nation.map(memberOf)).toEqual([null, null]);
    expect(requester.map(memberOf)).toEqual(["M1", "M1"]);
    expect(memberOf(owner)).toBe("M1");
    // Three executions (nation, requester, owner); the stranger's filter dropped the event.
    expect(resolved.calls).toBe(3);
    // Another event, then the stranger still has nothing.
    pubsub.publish("booking:updated", booking(2));
    await vi.waitFor(() => expect(all.every((s) => s.received.length === 2)).toBe(true));
    expect(stranger.received).toEqual([]);
    await Promise.all([...all, stranger].map((s) => s.close()));
    expect(shared.stats()).toMatchObject({ executions: 0, subscribers: 0 });
  });

  it("a subscriber leaving does not end the execution for the others; the last one ends it", async () => {
    const { pubsub, shared, open } = setUp();
    const [first, second, third] = await Promise.all([
      open(national("n1")),
      open(national("n2")),
      open(national("n3")),
    ]);
    await vi.waitFor(() => expect(fanoutOf(pubsub).stats().listeners).toBe(1));
    // The one whose stream runs the shared execution leaves first.
    await first?.close();
    pubsub.publish("booking:updated", booking(1));
    await vi.waitFor(() => expect(third?.received).toHaveLength(1));
    expect(second?.received).toHaveLength(1);
    expect(first?.received).toHaveLength(0);
    await second?.close();
    expect(shared.stats()).toMatchObject({ executions: 1, subscribers: 1 });
    pubsub.publish("booking:updated", booking(2));
    await vi.waitFor(() => expect(third?.received).toHaveLength(2));
    await third?.close();
    expect(shared.stats()).toMatchObject({ executions: 0, subscribers: 0 });
    await vi.waitFor(() =>
      expect(fanoutOf(pubsub).stats()).toEqual({ upstreams: 0, listeners: 0 }),
    );
    // A newcomer starts a new execution.
    const later = await open(national("n4"));
    await vi.waitFor(() => expect(fanoutOf(pubsub).stats().listeners).toBe(1));
    pubsub.publish("booking:updated", booking(3));
    await vi.waitFor(() => expect(later.received).toHaveLength(1));
    await later.close();
  });

  it("a subscriber that does not read keeps its newest results only, and slows no one", async () => {
    const { pubsub, shared, open } = setUp();
    const reader = await open(national("n1"));
    const args: ExecutionArgs = {
      schema,
      document: parse(BOOKINGS),
      contextValue: { viewer: national("n2"), pubsub },
    };
    const idle = (await shared.subscribe(args, (a) => subscribe(a))) as AsyncGenerator;
    await vi.waitFor(() => expect(fanoutOf(pubsub).stats().listeners).toBe(1));
    const events = MEMBER_QUEUE + 44;
    for (let i = 1; i <= events; i++) pubsub.publish("booking:updated", booking(i));
    await vi.waitFor(() => expect(reader.received).toHaveLength(events), { timeout: 10_000 });
    const first = (await idle.next()).value as ExecutionResult;
    expect((first.data as Data).bookingUpdated.request.id).toBe(`R${events - MEMBER_QUEUE + 1}`);
    await idle.return(undefined);
    await reader.close();
    expect(shared.stats()).toMatchObject({ executions: 0, subscribers: 0 });
  });

  it("repeated broadcasts to subscribers that come and go leave no execution, listener or queue", async () => {
    const { pubsub, shared, open } = setUp();
    const gc = (globalThis as { gc?: () => void }).gc;
    const heaps: number[] = [];
    for (let round = 0; round < 6; round++) {
      const subscribers = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          open(i % 3 === 0 ? national(`n${i}`) : admin(`a${i}`, i % 3 === 1 ? "FA" : "FB")),
        ),
      );
      expect(shared.stats()).toMatchObject({ executions: 3, subscribers: 300 });
      await vi.waitFor(() => expect(fanoutOf(pubsub).stats().listeners).toBe(3));
      for (let i = 0; i < 10; i++) pubsub.publish("booking:updated", booking(i));
      await vi.waitFor(() => expect(subscribers.every((s) => s.received.length === 10)).toBe(true));
      await Promise.all(subscribers.map((s) => s.close()));
      expect(shared.stats()).toMatchObject({ executions: 0, subscribers: 0 });
      await vi.waitFor(() =>
        expect(fanoutOf(pubsub).stats()).toEqual({ upstreams: 0, listeners: 0 }),
      );
      if (gc) {
        gc();
        heaps.push(process.memoryUsage().heapUsed);
      }
    }
    expect(shared.stats().executed).toBe(6 * 3 * 10);
    // With --expose-gc: the heap after the last rounds is where it was after the second.
    if (gc) expect(Math.max(...heaps.slice(3)) - (heaps[1] ?? 0)).toBeLessThan(4 * 1024 * 1024);
  });
});

describe("the share key", () => {
  const args = (query: string, viewer: Viewer | null, variableValues = {}): ExecutionArgs => ({
    schema,
    document: parse(query),
    variableValues,
    contextValue: { viewer },
  });

  it("lists every Subscription field of the hub's schema", () => {
    const fields = Object.keys(schema.getSubscriptionType()?.getFields() ?? {}).sort();
    expect(Object.keys(SUBSCRIPTION_SHARING).sort()).toEqual(fields);
  });

  it("differs by document, variables, operation and audience; not by token or person", () => {
    const key = (query: string, viewer: Viewer | null, variables = {}) =>
      shareKeyOf(args(query, viewer, variables));
    const q = "subscription($id: ID) { trainingSeatsChanged(trainingId: $id) { id } }";
    const base = key(q, national("n1"), { id: "T1" });
    expect(base).not.toBeNull();
    expect(key(q, { ...national("n2"), exp: 99 } as Viewer, { id: "T1" })).toBe(base);
    expect(key(q, national("n1"), { id: "T2" })).not.toBe(base);
    expect(key(q, admin("n1", "FA"), { id: "T1" })).not.toBe(base);
    expect(key(`${q} `, national("n1"), { id: "T1" })).toBe(base); // printed: same document
    expect(key(q.replace("{ id }", "{ id title }"), national("n1"), { id: "T1" })).not.toBe(base);
    expect(key(q, admin("a1", "FA"), { id: "T1" })).toBe(key(q, admin("a2", "FA"), { id: "T1" }));
    expect(key(q, admin("a1", "FA"), { id: "T1" })).not.toBe(
      key(q, admin("a1", "FB"), { id: "T1" }),
    );
  });

  it("is per node for node agents, and never shares a stream that replays from a cursor", () => {
    const node = (sub: string): Viewer => ({ sub, role: "NODE", fabriqueId: "FA" });
    expect(audienceOf(node("N1"))).not.toBe(audienceOf(node("N2")));
    expect(audienceOf(national("n1"))).toBe(audienceOf(national("n2")));
    expect(audienceOf(null)).toBe("anonymous");
    const changes = 'subscription { changes(after: "0") { cursor } }';
    expect(shareKeyOf(args(changes, node("N1")))).toBeNull();
    const feed = "subscription($after: String) { networkEvents(after: $after) { cursor } }";
    expect(shareKeyOf(args(feed, national("n1"), { after: "12" }))).toBeNull();
    // Cursor feeds never share: a slow reader must not lose what its cursor passed.
    expect(shareKeyOf(args(feed, national("n1"), {}))).toBeNull();
    expect(shareKeyOf(args(feed, national("n1"), { after: null }))).toBeNull();
    expect(
      shareKeyOf(args('subscription { networkEvents(after: "12") { cursor } }', national("n1"))),
    ).toBeNull();
    // Queries, and contexts that are not the hub's, are not shared.
    expect(shareKeyOf(args("{ __typename }", national("n1")))).toBeNull();
    expect(shareKeyOf({ ...args(BOOKINGS, null), contextValue: {} })).toBeNull();
  });

  it("people share across `sub` only while no resolver reads a person's `sub`", async () => {
    // audienceOf leaves `sub` out for NATIONAL and FABRIQUE_ADMIN. These are the only files
    // that may read a viewer's `sub`, none of them in what a subscription resolves for a
    // person: node agents' sync (NODE, whose `sub` is in its audience), a mutation, and the
    // rate limits (a budget per subscriber, counted in its own subscribe phase). A new reader
    // in a subscription's path would need `sub` in the audience.
    const allowed = new Set([
      path.join("limits", "rate-limits.ts"),
      path.join("modules", "nodes", "enrolment.service.ts"),
      path.join("modules", "sync", "sync.graphql.ts"),
    ]);
    const src = path.resolve(import.meta.dirname, "..");
    const readers: string[] = [];
    for (const file of await fs.readdir(src, { recursive: true })) {
      if (!/\.ts$/.test(file) || /\.(test|suite)\.ts$/.test(file) || file.startsWith("generated"))
        continue;
      const text = await fs.readFile(path.join(src, file), "utf8");
      if (/\b(?:viewer|viewerOf\(ctx\))\??\.sub\b/.test(text)) readers.push(file);
    }
    expect(readers).toContain(path.join("modules", "sync", "sync.graphql.ts"));
    expect(readers.filter((file) => !allowed.has(file))).toEqual([]);
  });
});

describe("shared executions in a hub, over graphql-ws", () => {
  let root: string;
  let hub: Hub;
  let wsUrl: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-shared-"));
    await seedHubStore(path.join(root, "hub"));
    const config = loadHubConfig(
      {},
      { dataDir: path.join(root, "hub"), port: 0, logLevel: "silent" },
    );
    hub = await createHub(config, { logger: pino({ level: "silent" }) });
    const { url } = await hub.start();
    wsUrl = `${url.replace(/^http/, "ws")}/graphql`;
  });

  afterAll(async () => {
    await hub?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  function connect(token: string) {
    const received: Data[] = [];
    const closes: number[] = [];
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authToken: token },
      retryAttempts: 0,
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    client.subscribe<Data>(
      { query: BOOKINGS },
      {
        next: (result) => {
          if (result.data) received.push(result.data);
        },
        error: () => {},
        complete: () => {},
      },
    );
    return { received, closes, close: () => client.dispose() };
  }

  it("sockets of one audience share one execution per event; another audience gets its own", async () => {
    const shared = sharedExecutionsOf(hub.services.pubsub);
    const resolved = countCalls("BookingUpdate", "resourceId");
    const nationToken = (i: number) =>
      signHubToken(hub.keys, hub.config, { role: "NATIONAL", subject: `n${i}` }, "1h");
    const nation = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => connect(await nationToken(i))),
    );
    const team = await Promise.all(
      [1, 2].map(async (i) =>
        connect(
          await signHubToken(
            hub.keys,
            hub.config,
            { role: "FABRIQUE_ADMIN", fabriqueId: "FA", subject: `a${i}` },
            "1h",
          ),
        ),
      ),
    );
    try {
      await vi.waitFor(() => expect(shared.stats()).toMatchObject({ subscribers: 62 }), {
        timeout: 10_000,
      });
      expect(shared.stats().executions).toBe(2);
      for (let round = 1; round <= 2; round++) {
        hub.services.pubsub.publish("booking:updated", booking(round));
        await vi.waitFor(
          () => expect([...nation, ...team].every((c) => c.received.length === round)).toBe(true),
          { timeout: 10_000 },
        );
      }
      // Two events, two audiences: four executions, not 124.
      expect(resolved.calls).toBe(4);
      const member = (c: { received: Data[] }) =>
        c.received.map((d) => d.bookingUpdated.request.forMemberId);
      expect(nation.every((c) => member(c).join() === [null, null].join())).toBe(true);
      expect(team.map(member)).toEqual([
        ["M1", "M1"],
        ["M1", "M1"],
      ]);
    } finally {
      await Promise.all([...nation, ...team].map((c) => c.close()));
    }
    await vi.waitFor(() => expect(shared.stats()).toMatchObject({ executions: 0, subscribers: 0 }));
    expect(fanoutOf(hub.services.pubsub).stats()).toEqual({ upstreams: 0, listeners: 0 });
  });

  it("a token expiring closes its socket only; the others keep the shared execution", async () => {
    const shared = sharedExecutionsOf(hub.services.pubsub);
    const sign = (subject: string, ttl: string) =>
      signHubToken(hub.keys, hub.config, { role: "NATIONAL", subject }, ttl);
    const lasting = [connect(await sign("n1", "1h")), connect(await sign("n2", "1h"))];
    const expiring = connect(await sign("n3", "3s"));
    await vi.waitFor(() => expect(shared.stats()).toMatchObject({ subscribers: 3 }), {
      timeout: 10_000,
    });
    expect(shared.stats().executions).toBe(1);
    await vi.waitFor(() => expect(expiring.closes).toEqual([WS_TOKEN_EXPIRED]), {
      timeout: 10_000,
    });
    await vi.waitFor(() => expect(shared.stats()).toMatchObject({ subscribers: 2 }));
    hub.services.pubsub.publish("booking:updated", booking(1));
    await vi.waitFor(() => expect(lasting.every((c) => c.received.length === 1)).toBe(true));
    expect(lasting[0]?.received[0]?.bookingUpdated.request.forMemberId).toBeNull();
    expect(expiring.received).toEqual([]);
    await Promise.all([...lasting, expiring].map((c) => c.close()));
    await vi.waitFor(() => expect(shared.stats()).toMatchObject({ executions: 0, subscribers: 0 }));
    expect(fanoutOf(hub.services.pubsub).stats()).toEqual({ upstreams: 0, listeners: 0 });
  });
});
