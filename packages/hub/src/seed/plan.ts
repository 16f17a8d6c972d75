import { createRequire } from "node:module";
import type { Commune, Geography } from "@maillage/schema";
import { DEMO_NETWORK } from "./demo-network.ts";
import { createRandom, deriveSeed, type Random, seededUlid, weightedPicker } from "./random.ts";

/**
 * The shape of a generated network, decided before anything is written: fabriques placed in
 * real communes across the chosen territory, their satellites in communes of the same
 * department, each space with its opening days and an activity profile.
 */

export type SeedScale = "demo" | "region" | "national";

/** How many spaces, and where: a scale's defaults, or a custom size (tests). */
export type NetworkSize = {
  fabriques: number;
  satellites: number;
  /** INSEE region code; absent: all of France. */
  region?: string | undefined;
};

export const SCALES: Record<Exclude<SeedScale, "demo">, NetworkSize & { days: number }> = {
  national: { fabriques: 400, satellites: 4000, days: 730 },
  region: { fabriques: 30, satellites: 300, region: "84", days: 730 },
};
export const DEMO_DAYS = 60;

export type OpeningSlot = { day: number; opens: string; closes: string };

export type ActivityProfile = {
  /** Hours open per ISO weekday (1 = Monday … 7 = Sunday); 0: closed that day. */
  hoursByWeekday: number[];
  baseVisitors: number;
  /** Mean events per open day. */
  eventsPerDay: number;
  /** Share of open days the place actually reports. */
  reportRate: number;
  /** First day index (into the seeded period) it reports; later for places that joined late. */
  startIndex: number;
  /** Day index after which it stops reporting (a place gone silent); Infinity: never. */
  stopIndex: number;
  /** First day index of a two-week summer closure in August, per year; null: open all summer. */
  summerClosureDay: number | null;
};

export type PlannedSpace = {
  id: string;
  kind: "FABRIQUE" | "SATELLITE";
  name: string;
  commune: Commune;
  services: string[];
  openingHours: OpeningSlot[];
  fabriqueId: string | null;
  /** Its fabrique's node: the writer of its reports. */
  nodeId: string;
  createdAt: Date;
  /** Seed of its own activity stream, so its reports do not depend on generation order. */
  activitySeed: number;
  profile: ActivityProfile;
};

export type PlannedNode = { id: string; fabriqueId: string; publicKeyX: string };

export type NetworkPlan = { spaces: PlannedSpace[]; nodes: PlannedNode[] };

const FABRIQUE_SERVICES = ["coworking", "fablab", "formation", "prêt de matériel", "médiation"];
const SATELLITE_SERVICES = [
  "coworking",
  "espace numérique",
  "repair café",
  "café",
  "fablab",
  "épicerie",
  "atelier textile",
  "formation",
  "France services",
];
const SATELLITE_NAMES = [
  "Tiers-lieu",
  "L'Atelier",
  "Le Local",
  "La Grange",
  "Le Relais",
  "La Source",
  "L'Escale",
  "La Boîte",
  "Le Champ Commun",
  "La Placette",
];
/** Satellites' usual hours: [opens, closes, hours]. */
const SATELLITE_HOURS: [string, string, number][] = [
  ["14:00", "19:00", 5],
  ["09:00", "17:00", 8],
  ["09:00", "12:30", 3.5],
  ["10:00", "18:00", 8],
  ["13:30", "18:30", 5],
];
/** Share of satellites placed in rural communes (fewer than 2,000 inhabitants), when the department has some. */
const RURAL_SATELLITE_SHARE = 0.5;

/** Every current commune, from the same reference data as `loadGeography()`. */
function currentCommunes(geography: Geography): Commune[] {
  // Geography offers lookups by code, not a listing: read the codes from the package the
  // schema reads them from, and take every field from `geography` itself.
  const fromSchema = createRequire(createRequire(import.meta.url).resolve("@maillage/schema"));
  const raw: { code: string; type: string }[] = fromSchema(
    "@etalab/decoupage-administratif/data/communes.json",
  );
  const communes: Commune[] = [];
  for (const entry of raw) {
    if (entry.type !== "commune-actuelle") continue;
    const commune = geography.commune(entry.code);
    if (commune) communes.push(commune);
  }
  return communes;
}

/** Splits `total` over `weights` by largest remainder, with at least `floor` each. */
function apportion(total: number, weights: number[], floor: number): number[] {
  const base = weights.map(() => floor);
  const rest = total - floor * weights.length;
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (sum === 0 ? 0 : (w / sum) * rest));
  const counts = base.map((b, i) => b + Math.floor(exact[i] ?? 0));
  const left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((e, i) => ({ i, r: e - Math.floor(e) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; k < left; k++) {
    const index = byRemainder[k % byRemainder.length]?.i ?? 0;
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** ~10 satellites per fabrique, varying 7–13, summing exactly to `total`. */
function satelliteCounts(random: Random, fabriques: number, total: number): number[] {
  if (fabriques === 0) return [];
  const mean = total / fabriques;
  const spread = Math.max(0, Math.round(mean * 0.3));
  const counts = Array.from({ length: fabriques }, () =>
    Math.max(0, Math.round(mean) + random.int(-spread, spread)),
  );
  let diff = total - counts.reduce((a, b) => a + b, 0);
  while (diff !== 0) {
    const i = random.int(0, fabriques - 1);
    const value = counts[i] ?? 0;
    if (diff > 0) {
      counts[i] = value + 1;
      diff--;
    } else if (value > 0) {
      counts[i] = value - 1;
      diff++;
    }
  }
  return counts;
}

function shortName(commune: Commune): string {
  return commune.name;
}

function uniqueName(taken: Set<string>, wanted: string): string {
  let name = wanted;
  for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${wanted} ${n}`;
  taken.add(name.toLowerCase());
  return name;
}

function pickServices(random: Random, from: string[], min: number, max: number): string[] {
  const pool = [...from];
  const chosen: string[] = [];
  const count = random.int(min, Math.min(max, pool.length));
  for (let i = 0; i < count; i++)
    chosen.push(pool.splice(random.int(0, pool.length - 1), 1)[0] ?? "");
  return chosen;
}

function fabriqueHours(random: Random): { slots: OpeningSlot[]; hours: number[] } {
  const days = random.chance(0.6) ? [1, 2, 3, 4, 5] : [2, 3, 4, 5, 6];
  const [opens, closes, length] = random.chance(0.5)
    ? ["09:00", "18:00", 9]
    : ["09:30", "18:30", 9];
  const hours = [0, 0, 0, 0, 0, 0, 0];
  for (const day of days) hours[day - 1] = length;
  return { slots: days.map((day) => ({ day, opens, closes })), hours };
}

function satelliteHours(random: Random): { slots: OpeningSlot[]; hours: number[] } {
  // Most satellites open five to seven days a week (a café-tiers-lieu opens on Sundays too).
  const count = random.int(5, 7);
  const pool = [1, 2, 3, 4, 5, 6, 7];
  const days: number[] = [];
  for (let i = 0; i < count; i++) days.push(pool.splice(random.int(0, pool.length - 1), 1)[0] ?? 1);
  days.sort((a, b) => a - b);
  const [opens, closes, length] = random.pick(SATELLITE_HOURS);
  const hours = [0, 0, 0, 0, 0, 0, 0];
  for (const day of days) hours[day - 1] = length;
  return { slots: days.map((day) => ({ day, opens, closes })), hours };
}

function profileFor(
  random: Random,
  kind: "FABRIQUE" | "SATELLITE",
  commune: Commune,
  hours: number[],
  days: number,
): ActivityProfile {
  const townFactor = 1 + Math.log10(Math.max(10, commune.population)) / 10;
  const fabrique = kind === "FABRIQUE";
  const joinsLate = !fabrique && days > 90 && random.chance(0.15);
  const goesSilent = !fabrique && random.chance(0.04);
  return {
    hoursByWeekday: hours,
    baseVisitors: (fabrique ? random.int(20, 60) : random.int(4, 25)) * townFactor,
    eventsPerDay: fabrique ? 0.5 + random.next() : 0.1 + random.next() * 0.4,
    reportRate: fabrique ? 0.92 + random.next() * 0.07 : 0.88 + random.next() * 0.11,
    startIndex: joinsLate ? random.int(30, Math.floor(days * 0.8)) : 0,
    stopIndex: goesSilent ? days - random.int(31, Math.min(120, days)) : Number.POSITIVE_INFINITY,
    summerClosureDay: !fabrique && random.chance(0.5) ? random.int(1, 17) : null,
  };
}

type Placement = { commune: Commune; satellites: Commune[] };
/** The demo's placements also name their spaces and say what they offer. */
type DemoPlacement = Placement & { names: string[]; services: string[][] };

function placeRegionalNetwork(
  random: Random,
  geography: Geography,
  size: NetworkSize,
): Placement[] {
  const communes = currentCommunes(geography).filter(
    (c) => !size.region || c.regionCode === size.region,
  );
  if (communes.length === 0) throw new Error(`no commune in region ${size.region}`);
  const byDepartment = new Map<string, Commune[]>();
  for (const c of communes) {
    const list = byDepartment.get(c.departmentCode) ?? [];
    list.push(c);
    byDepartment.set(c.departmentCode, list);
  }
  const departments = [...byDepartment.keys()].sort();
  const population = (code: string) =>
    (byDepartment.get(code) ?? []).reduce((n, c) => n + c.population, 0);
  // Every department gets a fabrique when there are enough; the rest follow population.
  const floor = size.fabriques >= departments.length ? 1 : 0;
  const perDepartment = apportion(size.fabriques, departments.map(population), floor);
  const satellites = satelliteCounts(random, size.fabriques, size.satellites);

  const placements: Placement[] = [];
  departments.forEach((code, d) => {
    const inDepartment = byDepartment.get(code) ?? [];
    const towns = inDepartment.filter((c) => !c.rural);
    const villages = inDepartment.filter((c) => c.rural && c.population >= 100);
    const townPicker = weightedPicker(towns.length > 0 ? towns : inDepartment, (c) =>
      Math.sqrt(c.population),
    );
    const villagePicker = villages.length > 0 ? weightedPicker(villages, () => 1) : null;
    const usedSeats = new Set<string>();
    for (let f = 0; f < (perDepartment[d] ?? 0); f++) {
      let seat = townPicker.pick(random);
      for (let tries = 0; usedSeats.has(seat.code) && tries < 20; tries++) {
        seat = townPicker.pick(random);
      }
      usedSeats.add(seat.code);
      const used = new Set([seat.code]);
      const count = satellites[placements.length] ?? 0;
      const satelliteCommunes: Commune[] = [];
      for (let s = 0; s < count; s++) {
        const picker =
          villagePicker && random.chance(RURAL_SATELLITE_SHARE) ? villagePicker : townPicker;
        let commune = picker.pick(random);
        for (let tries = 0; used.has(commune.code) && tries < 10; tries++) {
          commune = picker.pick(random);
        }
        used.add(commune.code);
        satelliteCommunes.push(commune);
      }
      placements.push({ commune: seat, satellites: satelliteCommunes });
    }
  });
  return placements;
}

function placeDemoNetwork(geography: Geography): DemoPlacement[] {
  return DEMO_NETWORK.map((network) => ({
    commune: geography.requireCommune(network.communeCode),
    satellites: network.satellites.map((s) => geography.requireCommune(s.communeCode)),
    names: [network.name, ...network.satellites.map((s) => s.name)],
    services: [network.services, ...network.satellites.map((s) => s.services)],
  }));
}

/**
 * Plans the network: `until` is the last seeded day (YYYY-MM-DD), `days` the length of the
 * seeded period; spaces are created shortly before they first report.
 */
export function planNetwork(
  geography: Geography,
  options: { scale: SeedScale; size: NetworkSize; days: number; until: string; seed: number },
): NetworkPlan {
  const random = createRandom(deriveSeed(options.seed, "plan"));
  const firstDay = Date.parse(`${options.until}T00:00:00Z`) - (options.days - 1) * 86_400_000;
  const placements =
    options.scale === "demo"
      ? placeDemoNetwork(geography)
      : placeRegionalNetwork(random, geography, options.size);

  const spaces: PlannedSpace[] = [];
  const nodes: PlannedNode[] = [];
  for (const placement of placements as (Placement | DemoPlacement)[]) {
    const demo = "names" in placement ? placement : null;
    const taken = new Set<string>();
    const fabriqueHoursPlan = fabriqueHours(random);
    const fabriqueProfile = profileFor(
      random,
      "FABRIQUE",
      placement.commune,
      fabriqueHoursPlan.hours,
      options.days,
    );
    const createdAt = new Date(firstDay - random.int(30, 400) * 86_400_000);
    const fabriqueId = seededUlid(createdAt.getTime(), random);
    const nodeId = seededUlid(createdAt.getTime() + 3_600_000, random);
    let publicKeyX = "";
    for (let i = 0; i < 43; i++)
      publicKeyX += random.pick([
        ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
      ]);
    nodes.push({ id: nodeId, fabriqueId, publicKeyX });
    spaces.push({
      id: fabriqueId,
      kind: "FABRIQUE",
      name: uniqueName(taken, demo?.names[0] ?? `Fabrique de ${shortName(placement.commune)}`),
      commune: placement.commune,
      services: demo?.services[0] ?? pickServices(random, FABRIQUE_SERVICES, 3, 5),
      openingHours: fabriqueHoursPlan.slots,
      fabriqueId: null,
      nodeId,
      createdAt,
      activitySeed: random.int(0, 2 ** 31),
      profile: fabriqueProfile,
    });
    placement.satellites.forEach((commune, s) => {
      const hours = satelliteHours(random);
      const profile = profileFor(random, "SATELLITE", commune, hours.hours, options.days);
      const created = new Date(
        Math.max(
          createdAt.getTime(),
          firstDay + (profile.startIndex - random.int(1, 20)) * 86_400_000,
        ),
      );
      spaces.push({
        id: seededUlid(created.getTime(), random),
        kind: "SATELLITE",
        name: uniqueName(
          taken,
          demo?.names[s + 1] ?? `${random.pick(SATELLITE_NAMES)} – ${shortName(commune)}`,
        ),
        commune,
        services: demo?.services[s + 1] ?? pickServices(random, SATELLITE_SERVICES, 1, 3),
        openingHours: hours.slots,
        fabriqueId,
        nodeId,
        createdAt: created,
        activitySeed: random.int(0, 2 ** 31),
        profile,
      });
    });
  }
  return { spaces, nodes };
}
