import { afterAll, beforeAll, expect, it } from "vitest";
import { seedDemoNetwork } from "./demo.ts";
import { startTestHub, type TestHub } from "./testing/fixture.ts";

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub("pglite");
});
afterAll(() => t?.close());

it("seeds a demo network once: fabriques in several regions, 3 to 6 satellites each", async () => {
  const first = await seedDemoNetwork(t.hub);
  expect(first.seeded).toBe(true);
  const again = await seedDemoNetwork(t.hub);
  expect(again).toEqual({ ...first, seeded: false });

  const r = await t.gql<{
    fabriques: { commune: { region: { code: string } }; satellites: { totalCount: number } }[];
  }>(
    "{ fabriques { commune { region { code } } satellites { totalCount } } }",
    {},
    await t.nationalToken(),
  );
  const fabriques = r.data?.fabriques ?? [];
  expect(fabriques.length).toBeGreaterThanOrEqual(3);
  expect(new Set(fabriques.map((f) => f.commune.region.code)).size).toBeGreaterThanOrEqual(3);
  for (const f of fabriques) {
    expect(f.satellites.totalCount).toBeGreaterThanOrEqual(3);
    expect(f.satellites.totalCount).toBeLessThanOrEqual(6);
  }
  expect(first.satellites).toBe(fabriques.reduce((n, f) => n + f.satellites.totalCount, 0));
});
