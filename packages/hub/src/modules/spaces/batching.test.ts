import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHub, type TestHub } from "../../testing/fixture.ts";

/**
 * A page of satellites with their fabrique, node, member count and commune costs the same
 * number of SQL statements whatever its size: relations are loaded by Pothos prisma
 * selections, communes come from the row itself.
 */
describe("list batching", () => {
  let t: TestHub;
  const statements: string[] = [];

  beforeAll(async () => {
    t = await startTestHub("pglite", { onQuery: (sql) => statements.push(sql) });
    const { prisma } = t.hub.db;
    const place = {
      communeCode: "07186",
      communeName: "Privas",
      departmentCode: "07",
      regionCode: "84",
      population: 8538,
      rural: false,
    };
    for (const f of ["F1", "F2", "F3"]) {
      await prisma.space.create({
        data: { id: f, kind: "FABRIQUE", name: `Fabrique ${f}`, ...place },
      });
    }
    await prisma.space.createMany({
      data: Array.from({ length: 120 }, (_, i) => ({
        id: `S${String(i).padStart(3, "0")}`,
        kind: "SATELLITE" as const,
        name: `Satellite ${i}`,
        fabriqueId: `F${(i % 3) + 1}`,
        ...place,
      })),
    });
  });
  afterAll(() => t?.close());

  async function statementsFor(first: number) {
    const token = await t.nationalToken();
    statements.length = 0;
    const r = await t.gql<{ spaces: { edges: unknown[] } }>(
      `query($first: Int) { spaces(first: $first, filter: { kind: SATELLITE }) { edges { node {
        name memberCount commune { name population department { name } region { name } }
        fabrique { name node { status } } } } } }`,
      { first },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.spaces.edges).toHaveLength(first);
    return statements.length;
  }

  it("reads a page of spaces with commune and fabrique in one store statement, none by Prisma", async () => {
    const { store } = t.hub.db;
    const query = store.query.bind(store);
    const read: string[] = [];
    store.query = <Row>(sql: string, params?: unknown[]) => {
      if (/\bFROM space\b/.test(sql)) read.push(sql);
      return query<Row>(sql, params);
    };
    try {
      const token = await t.nationalToken();
      const page = async (first: number, after?: string) => {
        statements.length = 0;
        read.length = 0;
        const r = await t.gql<{
          spaces: {
            edges: { cursor: string; node: { id: string; fabrique: { name: string } } }[];
          };
        }>(
          `query($first: Int, $after: String) { spaces(first: $first, after: $after,
            filter: { region: "84" }) { edges { cursor node { id name kind commune { name }
            fabrique { name } } } } }`,
          { first, after },
          token,
        );
        expect(r.errors).toBeUndefined();
        expect(statements).toEqual([]);
        expect(read).toHaveLength(1);
        return r.data?.spaces.edges ?? [];
      };
      expect(await page(5)).toHaveLength(5);
      const large = await page(100);
      expect(large).toHaveLength(100);
      expect(large[10]?.node.fabrique.name).toMatch(/^Fabrique F/);
      const next = await page(20, large[99]?.cursor);
      expect(next.map((e) => e.node.id)).toEqual(
        Array.from({ length: 20 }, (_, i) => `S${String(i + 97).padStart(3, "0")}`),
      );
    } finally {
      store.query = query;
    }
  });

  it("lists 100 satellites with their fabrique and commune in as many queries as 5", async () => {
    const small = await statementsFor(5);
    const large = await statementsFor(100);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(4);
  });
});
