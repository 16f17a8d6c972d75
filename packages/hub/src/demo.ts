import fs from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { parisWallClock } from "@maillage/schema";
import { embeddedClusterDir } from "@maillage/storage";
import type { Hub } from "./app.ts";
import { DEMO_NETWORK } from "./seed/demo-network.ts";
import { type SeedResult, seedNetwork } from "./seed/generate.ts";

export { DEMO_NETWORK } from "./seed/demo-network.ts";

/** The demo's history: a year, ending yesterday (Europe/Paris). */
export const DEMO_HISTORY_DAYS = 365;
/** Fixed, so that every first start tells the same story (relative to its own day). */
const DEMO_SEED = 1;
const DAY_MS = 86_400_000;

/** What a first start wrote before today, for the banner. */
export type DemoHistory = Required<
  Pick<SeedResult, "from" | "to" | "reports" | "bookings" | "crossNode" | "loans">
>;

export type DemoSeed = {
  seeded: boolean;
  fabriques: number;
  satellites: number;
  /** Present when this call seeded the network. */
  history?: DemoHistory;
};

/** Yesterday's date in Paris, YYYY-MM-DD: the last day of the seeded history. */
function parisYesterday(now = new Date()): string {
  const today = parisWallClock(now).date;
  return new Date(Date.parse(`${today}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
}

/**
 * Seeds the demo network once, with the seed generator (seed/generate.ts, scale "demo"): its
 * four fabriques and their satellites in real communes, and a year of history up to yesterday
 * — daily activity reports, shared resources booked all year (and four weeks ahead), requests
 * between networks with their decisions, multi-day loans — rollups included, so the national
 * body's queries answer with figures and trends at once. A hub that already holds spaces is
 * left as it is: a second `maillage demo` reuses its data.
 *
 * The first `nodes` fabriques have a node: the seeded one, never heard from, wrote their
 * history and owns their resources. The demo enrols a real agent for each, which takes its
 * place (a re-enrolment, enrolment.service.ts): the hub hands it the network's satellites,
 * reports, resources, bookings ahead and requests to answer, and announces its shared
 * resources to the other nodes. The other fabriques have no node (no liveness, no shared
 * resources); the hub keeps their satellites. Every space is in the hub's log, as registering
 * it at the hub would put it, so the agents replicate the registry.
 */
export async function seedDemoNetwork(
  hub: Hub,
  options: { nodes?: number } = {},
): Promise<DemoSeed> {
  const { prisma, store } = hub.db;
  const existing = await prisma.space.count();
  let history: DemoHistory | undefined;
  if (existing === 0) {
    const result = await seedNetwork(store, {
      scale: "demo",
      days: DEMO_HISTORY_DAYS,
      until: parisYesterday(),
      seed: DEMO_SEED,
      bookedWeeksBefore: Math.ceil(DEMO_HISTORY_DAYS / 7),
      fabriquesWithNode: DEMO_NETWORK.slice(0, options.nodes ?? 0).map((n) => n.name),
      nodesHeardFrom: "never",
      announceSpaces: true,
    });
    history = {
      from: result.from,
      to: result.to,
      reports: result.reports,
      bookings: result.bookings ?? 0,
      crossNode: result.crossNode ?? 0,
      loans: result.loans ?? 0,
    };
    hub.spacesChanged(); // written through the store, not the services
  }
  const [fabriques, satellites] = await Promise.all([
    prisma.space.count({ where: { kind: "FABRIQUE" } }),
    prisma.space.count({ where: { kind: "SATELLITE" } }),
  ]);
  return { seeded: existing === 0, fabriques, satellites, ...(history ? { history } : {}) };
}

export type DemoStorage = {
  /** The hub had no embedded store: this start created it (and its data is new). */
  created: boolean;
  /**
   * Gives a data directory that has no store yet a copy of the new cluster, not migrated
   * (only when `created`, before the hub opens it).
   */
  copyTo(dataDir: string): Promise<void>;
};

/**
 * The demo's first start needs three embedded stores (the hub's and two agents'), and PGlite
 * spends most of a store's first opening initialising its cluster (initdb: 3 to 9 s here,
 * against about a second to open an existing one). So the demo initialises one cluster, in
 * the hub's data directory, closes it, and copies it to the agents' directories before anyone
 * migrates it: each store then opens as an existing cluster (@maillage/storage opens it with
 * its extensions) and applies its own migrations. initdb skips its final fsync of every file
 * (`--no-sync`, as for test clusters): a first start that crashes is simply started over.
 */
export async function prepareDemoStorage(hubDataDir: string): Promise<DemoStorage> {
  const cluster = embeddedClusterDir(hubDataDir);
  const exists = await fs
    .stat(cluster)
    .then(() => true)
    .catch(() => false);
  if (!exists) {
    await fs.mkdir(cluster, { recursive: true });
    const pglite = await PGlite.create(cluster, { initDbStartParams: ["--no-sync"] });
    await pglite.close();
  }
  return {
    created: !exists,
    async copyTo(dataDir) {
      if (exists) throw new Error("the hub's store is not new: it cannot be copied");
      const target = embeddedClusterDir(dataDir);
      // A node agent's data directory holds personal data and its key: private.
      await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
      await fs.cp(cluster, target, { recursive: true, errorOnExist: true, force: false });
    },
  };
}
