import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ErrorCodes } from "@maillage/schema";
import { type Client, createClient } from "graphql-ws";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createHub, type Hub } from "./app.ts";
import { signHubToken } from "./auth/tokens.ts";
import { loadHubConfig } from "./env.ts";
import { seedHubStore } from "./testing/fixture.ts";

/**
 * What the hub refuses before anything runs (GraphQL Armor's limits, the body size), over
 * HTTP and graphql-ws, and how every refusal answers: a documented code, no internals, and
 * the other root fields' data kept when one is FORBIDDEN. One embedded hub for the file,
 * configured from the environment like `hub start`.
 */

type Answer = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
};

const BODY_LIMIT = 256 * 1024;
let root: string;
let hub: Hub;
let wsUrl: string;
let national: string;
let queries = 0;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-limits-"));
  await seedHubStore(path.join(root, "hub"));
  const config = loadHubConfig(
    { GRAPHQL_MAX_BODY_BYTES: String(BODY_LIMIT) },
    { dataDir: path.join(root, "hub"), port: 0, logLevel: "silent" },
  );
  hub = await createHub(config, { logger: pino({ level: "silent" }), onQuery: () => queries++ });
  // The spaces connection reads its page through the store, not Prisma: count those too.
  const { store } = hub.db;
  const storeQuery = store.query.bind(store);
  store.query = <Row>(sql: string, params?: unknown[]) => {
    if (/\bFROM space s\b/.test(sql)) queries++;
    return storeQuery<Row>(sql, params);
  };
  const { url } = await hub.start();
  wsUrl = `${url.replace(/^http/, "ws")}/graphql`;
  national = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "1h");
});

afterAll(async () => {
  await hub?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await hub.fetch("http://hub.test/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${national}`,
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, body: (text ? JSON.parse(text) : {}) as Answer };
}

const ask = (query: string) => post(JSON.stringify({ query }));

/** `n` aliases of one field: the issue's `{ a0: spaces(first: 50) { … } a1: … }`. */
const aliases = (n: number, field = "spaces(first: 50) { edges { node { id name kind } } }") =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

const codeOf = (answer: Answer) => answer.errors?.map((e) => e.extensions?.code);
const refusal = (answer: Answer) =>
  answer.errors?.map(({ extensions }) => ({
    code: extensions?.code,
    limit: extensions?.limit,
    max: extensions?.max,
  }));

/** Runs `fn` and counts the SQL statements the hub sent meanwhile. */
async function countingQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const before = queries;
  const result = await fn();
  return { result, queries: queries - before };
}

describe("limits over HTTP, before any resolver", () => {
  it.each([500, 2000])(
    "%i aliases of spaces(first: 50): QUERY_TOO_COMPLEX, nothing run",
    async (n) => {
      const query = aliases(n);
      for (let i = 0; i < 5; i++) {
        const { result, queries: sql } = await countingQueries(() => ask(query));
        expect(result.status).toBe(200);
        expect(refusal(result.body)).toEqual([
          { code: "QUERY_TOO_COMPLEX", limit: "tokens", max: 3000 },
        ]);
        expect(result.body.data).toBeUndefined();
        expect(sql).toBe(0);
      }
    },
  );

  it("the same query within the limits does run (the counter sees resolvers)", async () => {
    const { result, queries: sql } = await countingQueries(() => ask(aliases(3)));
    expect(result.body.errors).toBeUndefined();
    expect(sql).toBeGreaterThan(0);
  });

  it("refuses too many aliases, too deep a nesting, too high a cost, too many directives", async () => {
    const cases: [string, string, number][] = [
      ["aliases", aliases(31, "fabriques { id }"), 30],
      [
        "depth",
        `{ spaces { edges { node { ${"fabrique { ".repeat(8)}id${" }".repeat(8)} } } } }`,
        10,
      ],
      [
        "cost",
        "{ a: spaces(first: 500) { edges { node { id name commune { name department { name region { name } } } } } } b: spaces(first: 500) { edges { node { id name commune { name department { name region { name } } } } } } }",
        50_000,
      ],
      ["directives", `{ fabriques { ${"id @include(if: true) ".repeat(21)} } }`, 20],
    ];
    for (const [limit, query, max] of cases) {
      const { result, queries: sql } = await countingQueries(() => ask(query));
      expect(refusal(result.body), limit).toEqual([{ code: "QUERY_TOO_COMPLEX", limit, max }]);
      expect(sql, limit).toBe(0);
    }
  });

  it("refuses a body over GRAPHQL_MAX_BODY_BYTES with 413 REQUEST_ENTITY_TOO_LARGE", async () => {
    // Comments are no tokens: only the body limit stops this one.
    const padded = `# ${"x".repeat(BODY_LIMIT)}\n{ fabriques { id } }`;
    const { result, queries: sql } = await countingQueries(() => ask(padded));
    expect(result.status).toBe(413);
    expect(codeOf(result.body)).toEqual(["REQUEST_ENTITY_TOO_LARGE"]);
    expect(sql).toBe(0);
  });
});

describe("errors over HTTP", () => {
  it("a body that is not JSON: 400 BAD_REQUEST, without the parser's originalError", async () => {
    const { status, text, body } = await post("{nope");
    expect(status).toBe(400);
    expect(codeOf(body)).toEqual(["BAD_REQUEST"]);
    expect(text).not.toMatch(/originalError|SyntaxError|position|stack/);
  });

  it("answers only documented codes, for every malformed request yoga refuses", async () => {
    const requests: [string, Promise<Response>][] = [
      ["no query", hub.fetch("http://hub.test/graphql", jsonPost({}))],
      [
        "persisted query",
        hub.fetch(
          "http://hub.test/graphql",
          jsonPost({ extensions: { persistedQuery: { version: 1, sha256Hash: "ab" } } }),
        ),
      ],
      [
        "variables not an object",
        hub.fetch(
          "http://hub.test/graphql",
          jsonPost({ query: "{ fabriques { id } }", variables: "x" }),
        ),
      ],
      [
        "two operations, no name",
        hub.fetch(
          "http://hub.test/graphql",
          jsonPost({ query: "query A { fabriques { id } } query B { fabriques { id } }" }),
        ),
      ],
      [
        "PUT",
        hub.fetch("http://hub.test/graphql", {
          ...jsonPost({ query: "{ fabriques { id } }" }),
          method: "PUT",
        }),
      ],
      [
        "a mutation over GET",
        hub.fetch(
          "http://hub.test/graphql?query=mutation%7BcreateEnrolmentCode(fabriqueId%3A%22x%22)%7Bcode%7D%7D",
        ),
      ],
      [
        "a parse error",
        hub.fetch("http://hub.test/graphql", jsonPost({ query: "{ fabriques { id " })),
      ],
      [
        "a validation error",
        hub.fetch("http://hub.test/graphql", jsonPost({ query: "{ fabriquez { id } }" })),
      ],
    ];
    const seen: Record<string, unknown> = {};
    for (const [name, pending] of requests) {
      const response = await pending;
      const text = await response.text();
      expect(text, name).not.toMatch(/originalError|stack/);
      const body = JSON.parse(text) as Answer;
      for (const code of codeOf(body) ?? []) {
        expect(Object.keys(ErrorCodes), `${name}: ${code}`).toContain(code);
      }
      seen[name] = { status: response.status, codes: codeOf(body) };
    }
    expect(seen).toEqual({
      // yoga answers these 200 to application/json, as GraphQL over HTTP allows.
      "no query": { status: 200, codes: ["BAD_REQUEST"] },
      "persisted query": { status: 200, codes: ["BAD_REQUEST"] },
      "variables not an object": { status: 400, codes: ["BAD_REQUEST"] },
      "two operations, no name": { status: 400, codes: ["BAD_REQUEST"] },
      PUT: { status: 405, codes: ["BAD_REQUEST"] },
      "a mutation over GET": { status: 405, codes: ["BAD_REQUEST"] },
      "a parse error": { status: 200, codes: ["GRAPHQL_PARSE_FAILED"] },
      "a validation error": { status: 200, codes: ["GRAPHQL_VALIDATION_FAILED"] },
    });
  });

  it("a NATIONAL token asking networkHealth and bookingRequests keeps networkHealth's data", async () => {
    const { body } = await ask(
      "{ networkHealth { coverage { spaces } } bookingRequests { edges { cursor } } }",
    );
    expect(codeOf(body)).toEqual(["FORBIDDEN"]);
    expect(body.errors?.[0]).toMatchObject({ path: ["bookingRequests"] });
    expect(body.data).toEqual({
      networkHealth: { coverage: { spaces: expect.any(Number) } },
      bookingRequests: null,
    });
  });
});

function jsonPost(body: unknown): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${national}` },
    body: JSON.stringify(body),
  };
}

describe("limits and errors over graphql-ws", () => {
  let client: Client;
  const closes: number[] = [];

  beforeAll(() => {
    client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authToken: national },
      // One socket for the whole describe: a refusal must not close it.
      lazy: false,
      retryAttempts: 0,
      on: { closed: (event) => void closes.push((event as { code: number }).code) },
    });
  });
  afterAll(() => client?.dispose());

  /** One operation over the socket: its result, or the errors it was refused with. */
  function run(query: string): Promise<Answer> {
    return new Promise((resolve) => {
      let last: Answer = {};
      client.subscribe(
        { query },
        {
          next: (value) => {
            last = value as Answer;
          },
          error: (error) =>
            resolve({ errors: Array.isArray(error) ? error : [{ message: String(error) }] }),
          complete: () => resolve(last),
        },
      );
    });
  }

  it("refuses over the limits with the same code, nothing run, and the socket stays open", async () => {
    for (const [query, limit] of [
      [aliases(500), "tokens"],
      [aliases(2000), "tokens"],
      [aliases(31, "fabriques { id }"), "aliases"],
      [
        `subscription { spaceChanged { ${Array.from({ length: 31 }, (_, i) => `a${i}: change`).join(" ")} } }`,
        "aliases",
      ],
    ] as const) {
      const { result, queries: sql } = await countingQueries(() => run(query));
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit });
      expect(result.errors?.[0]?.extensions).not.toHaveProperty("http");
      expect(sql).toBe(0);
    }
    const ok = await run("{ fabriques { id } }");
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({ fabriques: expect.any(Array) });
    expect(closes).toEqual([]);
  });

  it("codes parse, validation and operation errors as over HTTP", async () => {
    expect(codeOf(await run("{ fabriques { id "))).toEqual(["GRAPHQL_PARSE_FAILED"]);
    expect(codeOf(await run("{ fabriquez { id } }"))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(codeOf(await run("query A { fabriques { id } } query B { fabriques { id } }"))).toEqual([
      "BAD_REQUEST",
    ]);
  });

  it("closes a socket whose message is over GRAPHQL_MAX_BODY_BYTES (1009)", async () => {
    const big = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authToken: national },
      retryAttempts: 0,
    });
    try {
      const outcome = await new Promise<unknown>((resolve) => {
        big.subscribe(
          { query: `# ${"x".repeat(BODY_LIMIT)}\n{ fabriques { id } }` },
          { next: () => {}, error: resolve, complete: () => resolve("completed") },
        );
      });
      expect((outcome as { code?: number }).code).toBe(1009);
    } finally {
      await big.dispose();
    }
  });
});
