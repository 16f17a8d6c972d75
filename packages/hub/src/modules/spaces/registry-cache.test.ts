import { createSchema, createYoga } from "graphql-yoga";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startTestHub, type TestHub } from "../../testing/fixture.ts";
import { enrolTestNode } from "../../testing/test-node.ts";
import { CACHED_FIELD_COORDINATES, createRegistryCache, isCacheable } from "./registry-cache.ts";

const PAGE = `query Page($first: Int) { spaces(first: $first, filter: { region: "84" }) {
  totalCount edges { node { id name kind commune { name } fabrique { name } } } } }`;

type Page = { spaces: { totalCount: number; edges: { node: { id: string; name: string } }[] } };

describe("cached registry answers in a hub", () => {
  let t: TestHub;
  let national: string;
  const statements: string[] = [];

  beforeAll(async () => {
    t = await startTestHub("pglite", { onQuery: (sql) => statements.push(sql) });
    national = await t.nationalToken();
  });
  afterAll(() => t?.close());
  beforeEach(() => t.reset());

  async function fabrique(name: string, communeCode = "07186") {
    const r = await t.gql<{ createFabrique: { id: string } }>(
      "mutation($i: CreateSpaceInput!) { createFabrique(input: $i) { id } }",
      { i: { name, communeCode } },
      national,
    );
    expect(r.errors).toBeUndefined();
    return r.data?.createFabrique.id as string;
  }

  /** The answer, and how many SQL statements the hub ran for it. */
  async function read<T = Page>(query: string, token: string, variables = {}) {
    statements.length = 0;
    const r = await t.gql<T>(query, variables, token);
    return { r, statements: statements.length };
  }

  it("answers a repeated read from the cache, with no SQL, identically", async () => {
    await fabrique("Fabrique A");
    const first = await read(PAGE, national, { first: 10 });
    expect(first.r.errors).toBeUndefined();
    expect(first.statements).toBeGreaterThan(0);
    const again = await read(PAGE, national, { first: 10 });
    expect(again.statements).toBe(0);
    expect(again.r).toEqual(first.r);
    const third = await read(PAGE, national, { first: 10 });
    expect(third.r).toEqual(first.r);
    // Other variables, another answer.
    const other = await read(PAGE, national, { first: 5 });
    expect(other.statements).toBeGreaterThan(0);
  });

  it("keeps each audience's answer to itself: a team never reads the national answer", async () => {
    const a = await fabrique("Fabrique A");
    const b = await fabrique("Fabrique B", "07019");
    const all = await read(PAGE, national, { first: 10 });
    expect(all.r.data?.spaces.totalCount).toBe(2);
    const teamA = await read(PAGE, await t.adminToken(a), { first: 10 });
    expect(teamA.statements).toBeGreaterThan(0);
    expect(teamA.r.data?.spaces.edges.map((e) => e.node.name)).toEqual(["Fabrique A"]);
    const teamB = await read(PAGE, await t.adminToken(b), { first: 10 });
    expect(teamB.r.data?.spaces.edges.map((e) => e.node.name)).toEqual(["Fabrique B"]);
    // A second person of team A (another token, same audience) shares team A's answer.
    const otherOfA = await read(PAGE, await t.adminToken(a), { first: 10 });
    expect(otherOfA.statements).toBe(0);
    expect(otherOfA.r.data).toEqual(teamA.r.data);
    // Anonymous: refused every time, never cached.
    const anonymous = await t.gql(PAGE, { first: 10 });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("reads its own writes at once: a mutation ends the cached answers of every audience", async () => {
    const a = await fabrique("Fabrique A");
    const admin = await t.adminToken(a);
    await read(PAGE, national, { first: 10 });
    await read(PAGE, admin, { first: 10 });
    const renamed = await t.gql(
      `mutation($id: ID!) { updateSpace(id: $id, input: { name: "Fabrique Alpha" }) { id } }`,
      { id: a },
      admin,
    );
    expect(renamed.errors).toBeUndefined();
    for (const token of [national, admin]) {
      const after = await read(PAGE, token, { first: 10 });
      expect(after.statements).toBeGreaterThan(0);
      expect(after.r.data?.spaces.edges.map((e) => e.node.name)).toEqual(["Fabrique Alpha"]);
    }
  });

  it("ends them in the writer's turn, not when the pub/sub brings the event back", async () => {
    const a = await fabrique("Fabrique A");
    const admin = await t.adminToken(a);
    const node = await enrolTestNode(t, a, national);
    await read(PAGE, admin, { first: 10 });
    // With Redis the event comes back milliseconds later: here it never does.
    const { pubsub } = t.hub.services;
    const publish = pubsub.publish as (...args: unknown[]) => void;
    const held = vi
      .spyOn(pubsub, "publish")
      .mockImplementation(((...args: unknown[]) =>
        args[0] === "space:changed" ? undefined : publish(...args)) as typeof pubsub.publish);
    try {
      const renamed = await t.gql(
        `mutation($id: ID!) { updateSpace(id: $id, input: { name: "Fabrique Alpha" }) { id } }`,
        { id: a },
        admin,
      );
      expect(renamed.errors).toBeUndefined();
      expect(held).toHaveBeenCalledWith("space:changed", expect.anything());
      const afterMutation = await read(PAGE, admin, { first: 10 });
      expect(afterMutation.r.data?.spaces.edges.map((e) => e.node.name)).toEqual([
        "Fabrique Alpha",
      ]);
      await node.push([node.satellite("01JSATELLITE0000000000002", "La Grange")]);
      const afterPush = await read(PAGE, admin, { first: 10 });
      expect(afterPush.r.data?.spaces.edges.map((e) => e.node.name)).toContain("La Grange");
    } finally {
      held.mockRestore();
    }
  });

  it("ends its answers when a node pushes a space", async () => {
    const a = await fabrique("Fabrique A");
    const node = await enrolTestNode(t, a, national);
    await read(PAGE, national, { first: 10 });
    const pushed = await node.push([node.satellite("01JSATELLITE0000000000001", "Le Fournil")]);
    expect(pushed.errors).toBeUndefined();
    const after = await read(PAGE, national, { first: 10 });
    expect(after.statements).toBeGreaterThan(0);
    expect(after.r.data?.spaces.edges.map((e) => e.node.name)).toContain("Le Fournil");
  });

  it("ends its answers when another replica announces a space change", async () => {
    const a = await fabrique("Fabrique A");
    await read(PAGE, national, { first: 10 });
    expect((await read(PAGE, national, { first: 10 })).statements).toBe(0);
    // What the pub/sub brings from another replica: the event only, no local write.
    t.hub.services.pubsub.publish("space:changed", {
      spaceId: a,
      networkId: a,
      change: "UPDATED",
    });
    await vi.waitFor(async () =>
      expect((await read(PAGE, national, { first: 10 })).statements).toBeGreaterThan(0),
    );
  });

  it("runs every time what a space change does not cover: liveness, member counts, other roots", async () => {
    await fabrique("Fabrique A");
    for (const query of [
      `{ spaces(first: 5) { edges { node { name node { status } } } } }`,
      `{ spaces(first: 5) { edges { node { name memberCount } } } }`,
      `{ fabriques { name } networkHealth { liveness { online } } }`,
    ]) {
      const first = await read(query, national);
      const again = await read(query, national);
      expect(again.statements, query).toBeGreaterThan(0);
      expect(again.r.data, query).toEqual(first.r.data);
    }
  });
});

describe("isCacheable", () => {
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      type Query { spaces: [Space!]! fabriques: [Space!]! health: Int }
      type Mutation { spaces: Int }
      type Space { id: ID! name: String! node: Node memberCount: Int! }
      type Node { id: ID! status: String! }
    `,
  });

  it("accepts registry roots over registry types only", async () => {
    const { parse } = await import("graphql");
    const ok = (source: string) => isCacheable(schema, parse(source));
    expect(ok("{ spaces { id name __typename } fabriques { name } }")).toBe(true);
    expect(ok("query A { spaces { ...F } } fragment F on Space { name }")).toBe(true);
    expect(ok("{ spaces { name } health }")).toBe(false);
    expect(ok("{ spaces { node { status } } }")).toBe(false);
    expect(ok("{ spaces { memberCount } }")).toBe(false);
    expect(ok("query A { spaces { name } } query B { health }")).toBe(false);
    expect(ok("mutation { spaces }")).toBe(false);
    expect(ok("{ __schema { types { name } } }")).toBe(false);
    expect(ok("{ spaces { ...F } } fragment F on Space { node { id } }")).toBe(false);
    expect(ok("{ __typename }")).toBe(false);
    expect(ok("{ spaces { name } __typename }")).toBe(true);
  });

  it("caches listed fields only: one added to Space later runs until it is listed", async () => {
    const { parse } = await import("graphql");
    const { schema: hubSchema } = await import("../../graphql/schema.ts");
    // Every listed coordinate exists in the hub's schema (a rename would silently uncache it).
    for (const coordinate of CACHED_FIELD_COORDINATES) {
      const [type, field] = coordinate.split(".") as [string, string];
      const fields = (
        hubSchema.getType(type) as { getFields?: () => Record<string, unknown> }
      ).getFields?.();
      expect(fields?.[field], coordinate).toBeDefined();
    }
    const withExtra = createSchema({
      typeDefs:
        "type Query { spaces: [Space!]! } type Space { name: String! lastActivityDay: String }",
    });
    expect(isCacheable(withExtra, parse("{ spaces { name } }"))).toBe(true);
    expect(isCacheable(withExtra, parse("{ spaces { lastActivityDay } }"))).toBe(false);
  });
});

describe("createRegistryCache", () => {
  /** A yoga server whose `spaces(n)` resolver counts its runs; `hold` makes the next one wait. */
  function server(options: Parameters<typeof createRegistryCache>[0] = {}) {
    const cache = createRegistryCache(options);
    let runs = 0;
    let gate: { entered: () => void; wait: Promise<void> } | undefined;
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: "type Query { spaces(n: Int): Int! }",
        resolvers: {
          Query: {
            spaces: async () => {
              const run = ++runs;
              const held = gate;
              gate = undefined;
              if (held) {
                held.entered();
                await held.wait;
              }
              return run;
            },
          },
        },
      }),
      context: () => ({ viewer: { sub: "n", role: "NATIONAL" } }),
      plugins: [cache.plugin],
      logging: false,
    });
    return {
      cache,
      runs: () => runs,
      async ask(n = 0) {
        const response = await yoga.fetch("http://x/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "query($n: Int) { spaces(n: $n) }", variables: { n } }),
        });
        const body = (await response.json()) as {
          data: { spaces: number };
          extensions?: unknown;
        };
        expect(body.extensions).toBeUndefined(); // never the cache's own metadata
        return body.data.spaces;
      },
      /** The next execution waits, once it has started, until `release`. */
      hold() {
        let entered!: () => void;
        let release!: () => void;
        const started = new Promise<void>((resolve) => {
          entered = resolve;
        });
        const wait = new Promise<void>((resolve) => {
          release = resolve;
        });
        gate = { entered, wait };
        return { started, release };
      },
    };
  }

  it("never keeps an answer read before a change and finished after it", async () => {
    const s = server();
    const held = s.hold();
    const slow = s.ask();
    await held.started; // the execution has begun its read
    s.cache.invalidate(); // a space changes meanwhile
    held.release();
    expect(await slow).toBe(1);
    // The answer read before the change was not kept: the next read runs again, then is kept.
    expect(await s.ask()).toBe(2);
    expect(await s.ask()).toBe(2);
    expect(s.runs()).toBe(2);
    expect(s.cache.stats()).toMatchObject({ hits: 1, entries: 1 });
  });

  it("keeps an answer for its TTL at most, counted from the start of its read", async () => {
    let clock = 1_000;
    const s = server({ ttlMs: 60_000, now: () => clock });
    const held = s.hold();
    const slow = s.ask();
    await held.started;
    clock += 20_000; // a read that took 20 s
    held.release();
    expect(await slow).toBe(1);
    clock += 39_000;
    expect(await s.ask()).toBe(1); // 59 s after its read began
    clock += 2_000;
    expect(await s.ask()).toBe(2); // 61 s: gone
  });

  it("keeps at most its byte budget, one answer at most a sixteenth, least recent out first", async () => {
    // An answer here is about 70 bytes: within 2,000, beyond a sixteenth of 800.
    const small = server({ maxBytes: 800 });
    expect(await small.ask()).toBe(1);
    expect(await small.ask()).toBe(2);
    expect(small.cache.stats()).toMatchObject({ entries: 0, bytes: 0 });

    const s = server({ maxBytes: 2_000 });
    for (let n = 0; n < 60; n++) await s.ask(n);
    const { entries, bytes } = s.cache.stats();
    expect(bytes).toBeLessThanOrEqual(2_000);
    expect(entries).toBeGreaterThan(10);
    expect(entries).toBeLessThan(60);
    expect(await s.ask(59)).toBe(60); // the most recent: kept
    expect(await s.ask(0)).toBe(61); // the oldest: evicted, runs again
  });

  it("serves and keeps nothing while it may not hear every change", async () => {
    const s = server({ following: false });
    expect(await s.ask()).toBe(1);
    expect(await s.ask()).toBe(2);
    s.cache.following(true);
    expect(await s.ask()).toBe(3);
    expect(await s.ask()).toBe(3);
    s.cache.following(false); // the Redis subscription drops: what was kept is gone too
    expect(await s.ask()).toBe(4);
    s.cache.following(true);
    expect(await s.ask()).toBe(5);
  });
});
