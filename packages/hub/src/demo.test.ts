import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parisWallClock } from "@maillage/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_HISTORY_DAYS, DEMO_NETWORK, prepareDemoStorage, seedDemoNetwork } from "./demo.ts";
import { startTestHub, type TestHub } from "./testing/fixture.ts";
import { enrolTestNode } from "./testing/test-node.ts";

/** The demo's first start, on one embedded hub shared by the tests of this file. */
let t: TestHub;
let national: string;
let first: Awaited<ReturnType<typeof seedDemoNetwork>>;
beforeAll(async () => {
  t = await startTestHub("pglite");
  national = await t.nationalToken();
  first = await seedDemoNetwork(t.hub, { nodes: 2 });
});
afterAll(() => t?.close());

const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

type Health = {
  activity: { reports: number; visitors: number; visitorsTrend: number | null };
  mutualisation: {
    bookings: number;
    crossNodeBookings: number;
    loans: number;
    bookingsTrend: number | null;
    availableResources: number;
  };
  liveness: { online: number; stale: number; silent: number };
  coverage: { spaces: number; activeSpaces: number };
};
const HEALTH = `query($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
  activity { reports visitors visitorsTrend }
  mutualisation { bookings crossNodeBookings loans bookingsTrend availableResources }
  liveness { online stale silent }
  coverage { spaces activeSpaces } } }`;

async function health(filter: Record<string, string> = {}): Promise<Health> {
  const r = await t.gql<{ networkHealth: Health }>(HEALTH, { filter }, national);
  if (!r.data?.networkHealth) throw new Error(JSON.stringify(r.errors));
  return r.data.networkHealth;
}

async function fabriques() {
  const r = await t.gql<{
    fabriques: {
      id: string;
      name: string;
      commune: { region: { code: string } };
      satellites: { totalCount: number };
    }[];
  }>(
    "{ fabriques { id name commune { region { code } } satellites { totalCount } } }",
    {},
    national,
  );
  return r.data?.fabriques ?? [];
}

it("seeds a demo network once: fabriques in several regions, 3 to 6 satellites each", async () => {
  expect(first).toMatchObject({ seeded: true, fabriques: 4, satellites: 17 });
  const again = await seedDemoNetwork(t.hub, { nodes: 2 });
  expect(again).toEqual({ seeded: false, fabriques: 4, satellites: 17 });

  const all = await fabriques();
  expect(all.map((f) => f.name).sort()).toEqual(DEMO_NETWORK.map((n) => n.name).sort());
  expect(new Set(all.map((f) => f.commune.region.code)).size).toBeGreaterThanOrEqual(3);
  for (const f of all) {
    expect(f.satellites.totalCount).toBeGreaterThanOrEqual(3);
    expect(f.satellites.totalCount).toBeLessThanOrEqual(6);
  }
  expect(first.satellites).toBe(all.reduce((n, f) => n + f.satellites.totalCount, 0));
});

describe("a year of history, seen by the national body at once", () => {
  it("ends yesterday and starts a year before, with every kind of record", () => {
    const today = parisWallClock(new Date()).date;
    expect(first.history?.to).toBe(
      new Date(Date.parse(`${today}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10),
    );
    expect(first.history?.from).toBe(
      new Date(Date.parse(`${first.history?.to}T00:00:00Z`) - (DEMO_HISTORY_DAYS - 1) * DAY_MS)
        .toISOString()
        .slice(0, 10),
    );
    expect(first.history?.reports).toBeGreaterThan(21 * DEMO_HISTORY_DAYS * 0.4);
    expect(first.history?.bookings).toBeGreaterThan(1000);
    expect(first.history?.crossNode).toBeGreaterThan(20);
    expect(first.history?.loans).toBeGreaterThan(5);
  });

  it("the past year: activity reports, bookings, cross-node bookings and loans", async () => {
    const year = await health({ from: day(-365), to: day(0) });
    expect(year.coverage.spaces).toBe(21);
    expect(year.activity.reports).toBe(first.history?.reports);
    expect(year.mutualisation.bookings).toBeGreaterThan(1000);
    expect(year.mutualisation.crossNodeBookings).toBeGreaterThan(20);
    expect(year.mutualisation.loans).toBeGreaterThan(5);
    expect(year.mutualisation.availableResources).toBeGreaterThan(5);
  });

  it("the last 30 days against the 30 before: trends, and every space active", async () => {
    const month = await health();
    expect(month.activity.reports).toBeGreaterThan(0);
    expect(month.activity.visitorsTrend).not.toBeNull();
    expect(month.mutualisation.bookings).toBeGreaterThan(0);
    expect(month.mutualisation.bookingsTrend).not.toBeNull();
    // Growth over the year: the last quarter is busier than the same quarter's length a
    // year ago... seasons aside, so compare the last 180 days with the 180 before.
    const half = await health({ from: day(-180), to: day(-1) });
    expect(half.activity.visitorsTrend).toBeGreaterThan(0);
  });

  it("nodes for the fabriques the demo runs agents for only, never heard from until one enrols", async () => {
    const month = await health();
    expect(month.liveness).toEqual({ online: 0, stale: 0, silent: 2 });
    const r = await t.gql<{ nodes: { fabrique: { name: string }; lastSeenAt: string | null }[] }>(
      "{ nodes { fabrique { name } lastSeenAt } }",
      {},
      national,
    );
    expect(r.data?.nodes.map((n) => n.fabrique.name).sort()).toEqual(
      DEMO_NETWORK.slice(0, 2)
        .map((n) => n.name)
        .sort(),
    );
    expect(r.data?.nodes.every((n) => n.lastSeenAt === null)).toBe(true);
    // Only a node shares resources: none in the networks without one.
    const [byNetwork] = await t.hub.db.store.query<{ without_node: number; with_node: number }>(
      `SELECT count(*) FILTER (WHERE n.id IS NULL)::int AS without_node,
              count(*) FILTER (WHERE n.id IS NOT NULL)::int AS with_node
       FROM resource r JOIN space s ON s.id = r.space_id
       LEFT JOIN node n ON n.fabrique_id = coalesce(s.fabrique_id, s.id)`,
    );
    expect(byNetwork).toMatchObject({ without_node: 0 });
    expect(byNetwork?.with_node).toBeGreaterThan(5);
  });
});

describe("a real agent enrolling for a demo fabrique takes over its history", () => {
  it("pulls the registry and its network's records, goes ONLINE, and may revise a seeded report", async () => {
    const vivarais = (await fabriques()).find((f) => f.name === DEMO_NETWORK[0]?.name);
    if (!vivarais) throw new Error("no Vivarais");
    const node = await enrolTestNode(t, vivarais.id, national);
    const events: { entity: string; targetNodeId: string | null; originNodeId: string | null }[] =
      [];
    for (let cursor = "0", more = true; more; ) {
      const page = await node.pull(cursor, 1000);
      events.push(...page.events);
      cursor = page.cursor;
      more = page.hasMore;
    }
    const count = (entity: string, to: string | null) =>
      events.filter((e) => e.entity === entity && e.targetNodeId === to).length;
    // The registry (every space, as the hub registered it), then its satellites handed over.
    expect(count("SPACE", null)).toBe(21);
    expect(count("SPACE", node.nodeId)).toBe(6);
    expect(count("RESOURCE", node.nodeId)).toBeGreaterThan(2);
    expect(count("BOOKING", node.nodeId)).toBeGreaterThan(10);
    expect((await health()).liveness).toEqual({ online: 1, stale: 0, silent: 1 });

    // A report of the seeded history, revised by the node that now owns the network.
    const [seeded] = await t.hub.db.store.query<{ space_id: string; day: string }>(
      `SELECT a.space_id, to_char(a.day, 'YYYY-MM-DD') AS day FROM activity_report a
       JOIN space s ON s.id = a.space_id WHERE s.fabrique_id = $1 ORDER BY a.day DESC LIMIT 1`,
      [node.fabriqueId],
    );
    if (!seeded) throw new Error("no seeded report");
    const revision = node.event("ACTIVITY", `${seeded.space_id}:${seeded.day}`, {
      spaceId: seeded.space_id,
      date: seeded.day,
      visitors: 1234,
      events: 1,
      participants: 12,
      openHours: 4,
    });
    const pushed = await node.push([revision]);
    expect(pushed.data?.pushChanges).toMatchObject({ rejected: null, applied: 1 });
    const [stored] = await t.hub.db.store.query<{ visitors: number; owner_node_id: string }>(
      "SELECT visitors, owner_node_id FROM activity_report WHERE space_id = $1 AND day = $2",
      [seeded.space_id, seeded.day],
    );
    expect(stored).toEqual({ visitors: 1234, owner_node_id: node.nodeId });
  });
});

describe("prepareDemoStorage", () => {
  it("initialises one cluster for the hub and copies it to the agents' directories", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-demo-storage-"));
    try {
      const hubDir = path.join(root, "hub");
      const storage = await prepareDemoStorage(hubDir);
      expect(storage.created).toBe(true);
      const agentDir = path.join(root, "agents", "a");
      await storage.copyTo(agentDir);
      expect((await fs.stat(agentDir)).mode & 0o777).toBe(0o700);
      // The same closed cluster (no lock left behind), which the agent opens as its own.
      const files = (dir: string) => fs.readdir(path.join(dir, "pgdata"), { recursive: true });
      expect((await files(agentDir)).sort()).toEqual((await files(hubDir)).sort());
      expect(await files(agentDir)).toContain("PG_VERSION");
      expect(await files(agentDir)).not.toContain("maillage.lock");
      // Existing data: nothing to create, nothing to copy.
      const again = await prepareDemoStorage(hubDir);
      expect(again.created).toBe(false);
      await expect(again.copyTo(path.join(root, "agents", "b"))).rejects.toThrow();
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
