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

  it("lists 100 satellites with their fabrique and commune in as many queries as 5", async () => {
    const small = await statementsFor(5);
    const large = await statementsFor(100);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(4);
  });
});
