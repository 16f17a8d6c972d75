import { ErrorCodes } from "@maillage/schema";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestAgent, type TestAgent } from "./testing/fixture.ts";

/**
 * What the agent refuses before anything runs (GraphQL Armor's limits, over HTTP and
 * server-sent events), and how every refusal answers: a documented code, no internals, and
 * the other root fields' data kept when one is FORBIDDEN. One embedded agent for the file.
 */

type Answer = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
};

let t: TestAgent;
let admin: string;

beforeAll(async () => {
  t = await startTestAgent("pglite");
  admin = await t.admin();
});
afterAll(() => t?.close());

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await t.agent.fetch("http://agent.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin}`, ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer };
}

const ask = (query: string) => post(JSON.stringify({ query }));

const aliases = (n: number, field = "satellites { id name kind communeCode }") =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

const codeOf = (answer: Answer) => answer.errors?.map((e) => e.extensions?.code);
const refusal = (answer: Answer) =>
  answer.errors?.map(({ extensions }) => ({
    code: extensions?.code,
    limit: extensions?.limit,
    max: extensions?.max,
  }));

/** Runs `fn`, counting the satellites resolver's calls and the SQL sent meanwhile. */
async function watching<T>(fn: () => Promise<T>) {
  const list = vi.spyOn(t.agent.services.satellites, "list");
  const sql = vi.spyOn(t.agent.store, "query");
  try {
    const result = await fn();
    return { result, resolved: list.mock.calls.length, sql: sql.mock.calls.length };
  } finally {
    list.mockRestore();
    sql.mockRestore();
  }
}

describe("limits, before any resolver", () => {
  it.each([500, 2000])("%i aliases: QUERY_TOO_COMPLEX, nothing run", async (n) => {
    const { result, resolved, sql } = await watching(() => ask(aliases(n)));
    expect(refusal(result.body)).toEqual([
      { code: "QUERY_TOO_COMPLEX", limit: "tokens", max: 3000 },
    ]);
    expect(result.body.data).toBeUndefined();
    expect(resolved).toBe(0);
    expect(sql).toBe(0);
  });

  it("the same query within the limits does run (the spies see it)", async () => {
    const { result, resolved, sql } = await watching(() => ask(aliases(3)));
    expect(result.body.errors).toBeUndefined();
    expect(resolved).toBe(3);
    expect(sql).toBeGreaterThan(0);
  });

  it("refuses too many aliases, too deep a nesting, too many directives", async () => {
    const cases: [string, string, number][] = [
      ["aliases", aliases(31, "satellites { id }"), 30],
      ["depth", `{ satellites { ${"fabrique { ".repeat(10)}id${" }".repeat(10)} } }`, 10],
      ["directives", `{ satellites { ${"id @include(if: true) ".repeat(21)} } }`, 20],
    ];
    for (const [limit, query, max] of cases) {
      const { result, resolved } = await watching(() => ask(query));
      expect(refusal(result.body), limit).toContainEqual({ code: "QUERY_TOO_COMPLEX", limit, max });
      expect(resolved, limit).toBe(0);
    }
  });

  it("refuses a subscription over the limits over server-sent events", async () => {
    const fields = Array.from({ length: 31 }, (_, i) => `a${i}: resourceId`).join(" ");
    const response = await t.agent.fetch("http://agent.test/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${admin}`,
      },
      body: JSON.stringify({ query: `subscription { resourceAvailabilityChanged { ${fields} } }` }),
    });
    const text = await response.text();
    expect(text).toContain('"code":"QUERY_TOO_COMPLEX"');
    expect(text).toContain('"limit":"aliases"');
  });
});

describe("errors", () => {
  it("a body that is not JSON: 400 BAD_REQUEST, without the parser's originalError", async () => {
    const { status, text, body } = await post("{nope");
    expect(status).toBe(400);
    expect(codeOf(body)).toEqual(["BAD_REQUEST"]);
    expect(text).not.toMatch(/originalError|SyntaxError|position|stack/);
  });

  it("answers only documented codes to malformed requests", async () => {
    for (const body of [
      "{}",
      JSON.stringify({ query: "query A { satellites { id } } query B { satellites { id } }" }),
      JSON.stringify({ query: "{ satellites { id " }),
      JSON.stringify({ query: "{ satelites { id } }" }),
    ]) {
      const { text, body: answer } = await post(body);
      expect(text).not.toMatch(/originalError|stack/);
      for (const code of codeOf(answer) ?? []) expect(Object.keys(ErrorCodes)).toContain(code);
    }
  });

  it("a satellite asking its spaces and the sync status keeps its spaces' data", async () => {
    const created = await t.gql<{ createSatellite: { id: string } }>(
      `mutation { createSatellite(input: { name: "Le Bercail", communeCode: "07186" }) { id } }`,
      {},
      admin,
    );
    const spaceId = created.data?.createSatellite.id as string;
    const satellite = await t.token({ role: "SATELLITE", spaceId });
    const answer = await t.gql("{ satellites { id } syncStatus { nodeId } }", {}, satellite);
    expect(codeOf(answer)).toEqual(["FORBIDDEN"]);
    expect(answer.errors?.[0]?.path).toEqual(["syncStatus"]);
    expect(answer.data).toEqual({ satellites: [{ id: spaceId }], syncStatus: null });
  });
});
