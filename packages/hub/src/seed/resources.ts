import {
  type AvailabilityWindow,
  type BookingKind,
  type Closure,
  type LoanStatus,
  parisInstant,
  parseWeeklyRule,
  type ResourceCategory,
  type ResourcePayload,
  type ResourceStatus,
  type SharingScope,
  type Weekday,
} from "@maillage/schema";
import { GROWTH_PER_YEAR, SEASON } from "./activity.ts";
import type { NetworkPlan, PlannedSpace } from "./plan.ts";
import { createRandom, deriveSeed, type Random, seededUlid } from "./random.ts";

/**
 * The shared resources of a generated network and their bookings: 3–6 resources per fabrique
 * (machines, rooms, vehicles, kits…), 0–2 per satellite (rooms, desks, kits), owned by the
 * fabrique's node (every seeded fabrique has one, and it writes for its satellites too), mostly
 * NETWORK or NATIONAL. Confirmed bookings fill the weeks before `until` (two by default, a whole
 * year of history for the demo) and the four weeks after it, a few per resource and week —
 * fewer in summer and a year ago, as activity (activity.ts) — inside its windows, never
 * overlapping and never before the host space existed; a few cancelled ones lie around `until`.
 * Only a seeded node owns resources: a network seeded without one (`withNode`) has none, and
 * asks for none.
 *
 * Exchanges between networks (drawn from their own stream, see `planExchanges`): some movable
 * resources are lent by the day — no windows (bookable around the clock, as the contract reads
 * an empty list) and up to a week long — and their owners plan a few multi-day loans (kind
 * LOAN, 09:00 on a day to 18:00 one to four days later, Europe/Paris) before the ordinary
 * bookings, which then avoid them. A loan of a resource with windows could not be multi-day:
 * the node's rules (isWithinAvailability) want a slot inside one window of one day, so loans
 * keep to resources without windows and pass the same check. Then about 12 % of the bookings
 * of NETWORK and NATIONAL resources (40 % of their loans) answer a request from another
 * fabrique's node, mostly of the same region: a booking_request, decided by the owner, whose
 * booking carries its id.
 */

/** A resource's replicated state (the contract's), with what the hub keeps beside it. */
export type PlannedResource = ResourcePayload & {
  id: string;
  ownerNodeId: string;
  updatedAt: Date;
};

export type PlannedBooking = {
  id: string;
  resourceId: string;
  ownerNodeId: string;
  kind: BookingKind;
  startsAt: Date;
  endsAt: Date;
  status: "CONFIRMED" | "CANCELLED";
  /** The booking request it answers (another node's), or null. */
  requestId: string | null;
  /** When the owner last wrote it: a week before it starts, at the latest `until` evening. */
  updatedAt: Date;
};

/** A loan's state as the owner last said (booking_request.loan). */
export type PlannedLoan = {
  status: LoanStatus;
  holderSpaceId: string;
  checkedOutAt: string | null;
  returnedAt: string | null;
};

/** Another node's request for a resource, as the hub keeps it with the owner's decision. */
export type PlannedRequest = {
  id: string;
  requesterNodeId: string;
  ownerNodeId: string;
  resourceId: string;
  kind: BookingKind;
  startsAt: Date;
  endsAt: Date;
  /** The requester's fabrique (a request for a space: no member). */
  forSpaceId: string;
  status: "CONFIRMED" | "CANCELLED";
  bookingId: string;
  loan: PlannedLoan | null;
  requestedAt: Date;
  decidedAt: Date;
  updatedAt: Date;
};

type Model = {
  category: ResourceCategory;
  names: string[];
  credential?: string;
  /** [min, max] booking minutes. */
  duration: [number, number];
  movable: boolean;
  description: string;
};

const MACHINES: Model[] = [
  {
    category: "MACHINE",
    names: ["Découpeuse laser", "Découpeuse laser CO2", "Graveuse laser"],
    credential: "laser-safety",
    duration: [30, 240],
    movable: false,
    description: "Découpe et gravure bois, carton, acrylique jusqu'à 6 mm.",
  },
  {
    category: "MACHINE",
    names: ["Imprimante 3D", "Imprimante 3D Prusa", "Imprimante 3D grand format"],
    duration: [60, 480],
    movable: true,
    description: "Impression PLA et PETG, bobines fournies.",
  },
  {
    category: "MACHINE",
    names: ["Fraiseuse numérique", "Défonceuse CNC"],
    credential: "cnc-safety",
    duration: [60, 240],
    movable: false,
    description: "Fraisage bois et aluminium, formation obligatoire.",
  },
  {
    category: "MACHINE",
    names: ["Brodeuse numérique", "Machine à coudre industrielle", "Surjeteuse"],
    duration: [60, 240],
    movable: true,
    description: "Pour l'atelier textile.",
  },
  {
    category: "MACHINE",
    names: ["Scie à format", "Raboteuse-dégauchisseuse"],
    credential: "woodshop-safety",
    duration: [30, 180],
    movable: false,
    description: "Atelier bois.",
  },
  {
    category: "MACHINE",
    names: ["Plotter de découpe vinyle", "Presse à chaud"],
    duration: [30, 180],
    movable: true,
    description: "Flocage et adhésifs.",
  },
];
const ROOMS: Model[] = [
  {
    category: "ROOM",
    names: ["Salle de réunion", "Petite salle de réunion", "Salle polyvalente"],
    duration: [60, 480],
    movable: false,
    description: "Écran, paperboard, 12 places.",
  },
  {
    category: "ROOM",
    names: ["Salle de formation", "Studio podcast", "Cuisine partagée"],
    duration: [60, 480],
    movable: false,
    description: "Équipée, accessible PMR.",
  },
];
const VEHICLES: Model[] = [
  {
    category: "VEHICLE",
    names: ["Camion utilitaire 12 m³", "Fourgon", "Minibus 9 places"],
    credential: "permis-b",
    duration: [120, 540],
    movable: true,
    description: "Plein à refaire au retour.",
  },
  {
    category: "VEHICLE",
    names: ["Vélo cargo électrique", "Remorque"],
    duration: [60, 540],
    movable: true,
    description: "Casque et antivol fournis.",
  },
];
const KITS: Model[] = [
  {
    category: "KIT",
    names: ["Kit ordinateurs portables", "Valise de 10 tablettes", "Kit inclusion numérique"],
    duration: [60, 540],
    movable: true,
    description: "Pour les ateliers numériques, chargeurs inclus.",
  },
  {
    category: "KIT",
    names: ["Kit vidéoprojection", "Kit sono", "Kit réalité virtuelle"],
    duration: [60, 480],
    movable: true,
    description: "Câbles et adaptateurs dans la valise.",
  },
];
const DESKS: Model[] = [
  {
    category: "DESK",
    names: ["Poste de coworking", "Bureau fermé", "Bureau partagé"],
    duration: [60, 540],
    movable: false,
    description: "Wi-Fi fibre, café.",
  },
];
const OTHER: Model[] = [
  {
    category: "OTHER",
    names: ["Barnum 3×6", "Tables et chaises de réception", "Grainothèque"],
    duration: [120, 540],
    movable: true,
    description: "Pour les fêtes de quartier.",
  },
];

/** What a fabrique lends (weighted by repetition), and what a satellite does. */
const FABRIQUE_MODELS = [
  ...MACHINES,
  ...MACHINES,
  ...ROOMS,
  ...VEHICLES,
  ...KITS,
  ...DESKS,
  ...OTHER,
];
const SATELLITE_MODELS = [...ROOMS, ...ROOMS, ...DESKS, ...KITS, ...OTHER, MACHINES[1] as Model];

/** Weekly windows in use, most common first. */
const WINDOW_SETS: AvailabilityWindow[][] = [
  [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA", opens: "09:00", closes: "18:00" }],
  [{ rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", opens: "08:30", closes: "19:00" }],
  [
    { rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", opens: "09:00", closes: "12:30" },
    { rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", opens: "14:00", closes: "18:00" },
  ],
  [{ rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA", opens: "09:00", closes: "18:00" }],
  [{ rrule: "FREQ=WEEKLY;BYDAY=WE,TH,FR,SA,SU", opens: "10:00", closes: "19:00" }],
  [
    { rrule: "FREQ=WEEKLY;BYDAY=TU,TH", opens: "14:00", closes: "21:00" },
    { rrule: "FREQ=WEEKLY;BYDAY=SA", opens: "09:00", closes: "17:00" },
  ],
];
const WINDOW_WEIGHTS = [30, 25, 15, 15, 10, 5];

const DAY_MS = 86_400_000;
const WEEKDAY_OF_UTC_DAY: Weekday[] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
/** Booked weeks around `until`: two past (by default), four ahead. */
export const BOOKED_WEEKS_BEFORE = 2;
export const BOOKED_WEEKS_AFTER = 4;
/** Share of the movable resources lent by the day, per category. */
const LENT_BY_THE_DAY: Partial<Record<ResourceCategory, number>> = {
  VEHICLE: 0.5,
  KIT: 0.5,
  OTHER: 0.5,
  MACHINE: 0.2,
};
/** Mean loans of such a resource per six booked weeks. */
const LOANS_PER_SIX_WEEKS = 1.4;
/** Longest loan, in minutes: a week. */
const LOAN_MAX_MINUTES = 7 * 24 * 60;
/** Share of the bookings (and of the loans) of NETWORK/NATIONAL resources made by another node. */
const CROSS_NODE_SHARE = 0.12;
const CROSS_NODE_LOAN_SHARE = 0.4;
/** Share of the requesters from the owner's region (when it has another fabrique). */
const SAME_REGION_SHARE = 0.8;
const HOUR_MS = 3_600_000;

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);

function pickWeighted<T>(random: Random, items: T[], weights: number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let target = random.next() * total;
  for (const [i, item] of items.entries()) {
    target -= weights[i] ?? 0;
    if (target < 0) return item;
  }
  return items[items.length - 1] as T;
}

/** A booked day: its Paris date, weekday, and the instant of its midnight wall clock. */
type BookedDay = { date: string; weekday: Weekday; midnight: number };

/**
 * The days of the booked weeks, each with its Paris offset taken at noon: exact for every
 * wall-clock time from 03:00 on, which covers every window here (the clocks change between
 * 02:00 and 03:00). One Intl conversion per day instead of two per booking.
 */
function bookedDays(firstMonday: number, count: number): BookedDay[] {
  return Array.from({ length: count }, (_, i) => {
    const utcMidnight = firstMonday + i * DAY_MS;
    const date = isoDay(utcMidnight);
    const offset = Date.parse(`${date}T12:00:00Z`) - parisInstant(date, 12 * 60).getTime();
    return {
      date,
      weekday: WEEKDAY_OF_UTC_DAY[new Date(utcMidnight).getUTCDay()] as Weekday,
      midnight: utcMidnight - offset,
    };
  });
}

function closuresFor(random: Random, until: string, weeksBefore: number): Closure[] {
  const closures: Closure[] = [];
  const start = Date.parse(`${until}T00:00:00Z`);
  // A few single days in the booked period (staff training, inventory, a public holiday).
  const days = random.chance(0.35) ? random.int(1, 3) : 0;
  for (let i = 0; i < days; i++) {
    const day = isoDay(start + random.int(-weeksBefore * 7, BOOKED_WEEKS_AFTER * 7) * DAY_MS);
    if (!closures.some((c) => c.from === day)) closures.push({ from: day, to: day });
  }
  // The end-of-year break for a fifth of them.
  if (random.chance(0.2)) {
    const year = Number(until.slice(0, 4));
    closures.push({ from: `${year}-12-24`, to: `${year + 1}-01-01` });
  }
  return closures.sort((a, b) => a.from.localeCompare(b.from));
}

function resourceOf(
  random: Random,
  space: PlannedSpace,
  model: Model,
  until: string,
  weeksBefore: number,
): PlannedResource {
  const scope = pickWeighted<SharingScope>(random, ["NATIONAL", "NETWORK", "LOCAL"], [35, 45, 20]);
  const status = pickWeighted<ResourceStatus>(
    random,
    ["AVAILABLE", "MAINTENANCE", "RETIRED"],
    [94, 4, 2],
  );
  const updatedAt = new Date(
    Math.max(
      space.createdAt.getTime(),
      Date.parse(`${until}T00:00:00Z`) - random.int(1, 300) * DAY_MS,
    ),
  );
  return {
    id: seededUlid(updatedAt.getTime(), random),
    ownerNodeId: space.nodeId,
    spaceId: space.id,
    name: random.pick(model.names),
    category: model.category,
    description: model.description,
    sharingScope: scope,
    requiredCredential: model.credential && random.chance(0.85) ? model.credential : null,
    minMinutes: model.duration[0],
    maxMinutes: model.duration[1],
    leadMinutes: random.pick([0, 60, 1440, 2880]),
    cancelDeadlineMinutes: random.pick([60, 1440, 2880]),
    status,
    movable: model.movable,
    approvalRequired: random.chance(0.2),
    windows: pickWeighted(random, WINDOW_SETS, WINDOW_WEIGHTS),
    closures: closuresFor(random, until, weeksBefore),
    updatedAt,
  };
}

type Rule = { days: Set<Weekday>; opens: number; closes: number };

/** Up to `count` non-overlapping bookings of one resource among the 7 days of `week`. */
function bookingsOfWeek(
  random: Random,
  resource: PlannedResource,
  rules: Rule[],
  week: BookedDay[],
  count: number,
  out: PlannedBooking[],
  /** Periods already taken (its loans), as [start, end) instants. */
  blocked: [number, number][],
  now: number,
  /** When its host space was created: nothing is booked before. */
  notBefore: number,
) {
  const taken = new Map<string, [number, number][]>();
  for (let n = 0, tries = 0; n < count && tries < count * 4; tries++) {
    const day = week[random.int(0, 6)] as BookedDay;
    const open = rules.filter((r) => r.days.has(day.weekday));
    if (
      open.length === 0 ||
      resource.closures.some((c) => c.from <= day.date && day.date <= c.to)
    ) {
      continue;
    }
    const window = random.pick(open);
    const room = window.closes - window.opens;
    const longest = Math.min(resource.maxMinutes, room);
    if (longest < resource.minMinutes) continue;
    // Half-hour steps: from minMinutes up to the longest that fits.
    const steps = Math.floor((longest - resource.minMinutes) / 30);
    const length = resource.minMinutes + 30 * random.int(0, Math.min(steps, 8));
    const start = window.opens + 30 * random.int(0, Math.floor((room - length) / 30));
    const end = start + length;
    const booked = taken.get(day.date) ?? [];
    if (booked.some(([s, e]) => s < end && start < e)) continue;
    const startsAt = day.midnight + start * 60_000;
    const endsAt = day.midnight + end * 60_000;
    if (startsAt < notBefore) continue;
    if (blocked.some(([s, e]) => s < endsAt && startsAt < e)) continue;
    booked.push([start, end]);
    taken.set(day.date, booked);
    out.push({
      id: seededUlid(startsAt, random),
      resourceId: resource.id,
      ownerNodeId: resource.ownerNodeId,
      kind: "BOOKING",
      startsAt: new Date(startsAt),
      endsAt: new Date(endsAt),
      status: "CONFIRMED",
      requestId: null,
      updatedAt: new Date(Math.min(startsAt - 7 * DAY_MS, now)),
    });
    n++;
  }
}

/**
 * A lent-by-the-day resource's loans: `count` tries at a period from 09:00 on a booked day to
 * 18:00 one to four days later (Paris wall clock), none overlapping another.
 */
function loansOf(
  random: Random,
  resource: PlannedResource,
  days: BookedDay[],
  count: number,
  now: number,
  notBefore: number,
  out: PlannedBooking[],
): [number, number][] {
  const taken: [number, number][] = [];
  for (let n = 0; n < count; n++) {
    const length = random.int(1, 4);
    const first = random.int(0, days.length - 1 - length);
    const startsAt = (days[first] as BookedDay).midnight + 9 * HOUR_MS;
    const endsAt = (days[first + length] as BookedDay).midnight + 18 * HOUR_MS;
    if (startsAt < notBefore) continue;
    // A day apart from the others: the resource comes home in between.
    if (taken.some(([s, e]) => s < endsAt + DAY_MS && startsAt < e + DAY_MS)) continue;
    taken.push([startsAt, endsAt]);
    out.push({
      id: seededUlid(startsAt, random),
      resourceId: resource.id,
      ownerNodeId: resource.ownerNodeId,
      kind: "LOAN",
      startsAt: new Date(startsAt),
      endsAt: new Date(endsAt),
      status: "CONFIRMED",
      requestId: null,
      updatedAt: new Date(Math.min(startsAt - 7 * DAY_MS, now)),
    });
  }
  return taken;
}

/**
 * Turns some bookings of NETWORK and NATIONAL resources into answers to another fabrique's
 * node: a request for that fabrique (for a loan: where the resource goes), made two to twelve
 * days before the start (and before `now`), decided within hours; the booking, written at the
 * decision, carries its id. A loan's state follows `now`: returned (past), checked out
 * (under way) or confirmed (ahead).
 */
function planExchanges(
  random: Random,
  plan: NetworkPlan,
  withNode: (space: PlannedSpace) => boolean,
  resources: PlannedResource[],
  bookings: PlannedBooking[],
  now: number,
): PlannedRequest[] {
  const fabriques = plan.spaces.filter((s) => s.kind === "FABRIQUE" && withNode(s));
  if (fabriques.length < 2) return [];
  const byRegion = new Map<string, PlannedSpace[]>();
  for (const f of fabriques) {
    byRegion.set(f.commune.regionCode, [...(byRegion.get(f.commune.regionCode) ?? []), f]);
  }
  const neighbours = new Map<string, PlannedSpace[]>();
  const requesterOf = (resource: PlannedResource, regionCode: string): PlannedSpace => {
    let near = neighbours.get(resource.ownerNodeId);
    if (!near) {
      near = (byRegion.get(regionCode) ?? []).filter((f) => f.nodeId !== resource.ownerNodeId);
      neighbours.set(resource.ownerNodeId, near);
    }
    if (near.length > 0 && random.chance(SAME_REGION_SHARE)) return random.pick(near);
    for (;;) {
      const any = random.pick(fabriques);
      if (any.nodeId !== resource.ownerNodeId) return any;
    }
  };
  const regionOfSpace = new Map(plan.spaces.map((s) => [s.id, s.commune.regionCode]));
  const byId = new Map(resources.map((r) => [r.id, r]));
  const requests: PlannedRequest[] = [];
  for (const booking of bookings) {
    const resource = byId.get(booking.resourceId) as PlannedResource;
    if (resource.sharingScope === "LOCAL") continue;
    const loan = booking.kind === "LOAN";
    if (!random.chance(loan ? CROSS_NODE_LOAN_SHARE : CROSS_NODE_SHARE)) continue;
    const requester = requesterOf(resource, regionOfSpace.get(resource.spaceId) ?? "");
    const start = booking.startsAt.getTime();
    const end = booking.endsAt.getTime();
    const requestedAt = Math.min(
      start - random.int(2, 12) * DAY_MS - random.int(0, 600) * 60_000,
      now - random.int(1, 72) * HOUR_MS,
    );
    const decidedAt = Math.min(requestedAt + random.int(5, 20 * 60) * 60_000, now);
    let state: PlannedLoan | null = null;
    let updatedAt = decidedAt;
    if (loan && booking.status === "CONFIRMED") {
      const checkedOutAt = start + random.int(0, 60) * 60_000;
      const returnedAt = end - random.int(0, 120) * 60_000;
      if (end <= now) {
        state = {
          status: "RETURNED",
          holderSpaceId: resource.spaceId,
          checkedOutAt: new Date(checkedOutAt).toISOString(),
          returnedAt: new Date(returnedAt).toISOString(),
        };
        updatedAt = returnedAt;
      } else if (checkedOutAt <= now) {
        state = {
          status: "CHECKED_OUT",
          holderSpaceId: requester.id,
          checkedOutAt: new Date(checkedOutAt).toISOString(),
          returnedAt: null,
        };
        updatedAt = checkedOutAt;
      } else {
        state = {
          status: "CONFIRMED",
          holderSpaceId: resource.spaceId,
          checkedOutAt: null,
          returnedAt: null,
        };
      }
    }
    const id = seededUlid(requestedAt, random);
    requests.push({
      id,
      requesterNodeId: requester.nodeId,
      ownerNodeId: resource.ownerNodeId,
      resourceId: resource.id,
      kind: booking.kind,
      startsAt: booking.startsAt,
      endsAt: booking.endsAt,
      forSpaceId: requester.id,
      status: booking.status,
      bookingId: booking.id,
      loan: state,
      requestedAt: new Date(requestedAt),
      decidedAt: new Date(decidedAt),
      updatedAt: new Date(updatedAt),
    });
    booking.requestId = id;
    booking.updatedAt = new Date(decidedAt);
  }
  return requests;
}

export function planResources(
  plan: NetworkPlan,
  options: {
    seed: number;
    until: string;
    /** Booked weeks before `until` (default BOOKED_WEEKS_BEFORE). */
    weeksBefore?: number;
    /** Whether a space's network has a node (default: all have): the others get nothing. */
    withNode?: (space: PlannedSpace) => boolean;
  },
): { resources: PlannedResource[]; bookings: PlannedBooking[]; requests: PlannedRequest[] } {
  const weeksBefore = options.weeksBefore ?? BOOKED_WEEKS_BEFORE;
  const withNode = options.withNode ?? (() => true);
  const random = createRandom(deriveSeed(options.seed, "resources"));
  // Loans and requests from their own stream: the rest draws what it drew before them.
  const exchanges = createRandom(deriveSeed(options.seed, "exchanges"));
  const resources: PlannedResource[] = [];
  const createdAt = new Map<string, number>();
  for (const space of plan.spaces) {
    if (!withNode(space)) continue;
    createdAt.set(space.id, space.createdAt.getTime());
    const fabrique = space.kind === "FABRIQUE";
    const count = fabrique ? random.int(3, 6) : pickWeighted(random, [0, 1, 2], [20, 45, 35]);
    for (let i = 0; i < count; i++) {
      const model = random.pick(fabrique ? FABRIQUE_MODELS : SATELLITE_MODELS);
      const resource = resourceOf(random, space, model, options.until, weeksBefore);
      if (resource.movable && exchanges.chance(LENT_BY_THE_DAY[resource.category] ?? 0)) {
        // Lent by the day: no windows (around the clock), no closures (they only close windows).
        resource.windows = [];
        resource.closures = [];
        resource.maxMinutes = LOAN_MAX_MINUTES;
      }
      resources.push(resource);
    }
  }

  const bookings: PlannedBooking[] = [];
  const until = Date.parse(`${options.until}T00:00:00Z`);
  // The seed's "now": bookings are written by then, loans under way are out.
  const now = Date.parse(`${options.until}T20:00:00Z`);
  // Mondays (UTC dates) of the booked weeks.
  const thisMonday = until - ((new Date(until).getUTCDay() + 6) % 7) * DAY_MS;
  const days = bookedDays(
    thisMonday - weeksBefore * 7 * DAY_MS,
    (weeksBefore + BOOKED_WEEKS_AFTER) * 7,
  );
  const weeks = Array.from({ length: days.length / 7 }, (_, w) => days.slice(w * 7, w * 7 + 7));
  // Ordinary bookings of a resource without windows: during the day, every day.
  const aroundTheClock: Rule[] = [
    {
      days: new Set(WEEKDAY_OF_UTC_DAY),
      opens: 8 * 60,
      closes: 20 * 60,
    },
  ];
  for (const resource of resources) {
    if (resource.status === "RETIRED") continue;
    const rules =
      resource.windows.length === 0
        ? aroundTheClock
        : resource.windows.map((w) => ({
            days: parseWeeklyRule(w.rrule) as Set<Weekday>,
            opens: minutesOf(w.opens),
            closes: minutesOf(w.closes),
          }));
    const notBefore = createdAt.get(resource.spaceId) ?? 0;
    const lent =
      resource.windows.length === 0
        ? loansOf(
            exchanges,
            resource,
            days,
            exchanges.poisson((LOANS_PER_SIX_WEEKS * weeks.length) / 6),
            now,
            notBefore,
            bookings,
          )
        : [];
    for (const week of weeks) {
      const monday = week[0] as BookedDay;
      // As busy as activity: quieter in summer, and a little less a year ago.
      const season = SEASON[new Date(monday.midnight + 12 * HOUR_MS).getUTCMonth()] ?? 1;
      const growth = 1 + (GROWTH_PER_YEAR * (monday.midnight - until)) / (365 * DAY_MS);
      const mean = (resource.category === "MACHINE" ? 3 : 2) * season * growth;
      bookingsOfWeek(
        random,
        resource,
        rules,
        week,
        random.poisson(mean),
        bookings,
        lent,
        now,
        notBefore,
      );
    }
    // A cancelled booking now and then, which frees its slot (it may overlap others).
    if (random.chance(0.15)) {
      const startsAt = new Date(thisMonday + random.int(0, 27) * DAY_MS + 10 * 3_600_000);
      bookings.push({
        id: seededUlid(startsAt.getTime(), random),
        resourceId: resource.id,
        ownerNodeId: resource.ownerNodeId,
        kind: "BOOKING",
        startsAt,
        endsAt: new Date(startsAt.getTime() + resource.minMinutes * 60_000),
        status: "CANCELLED",
        requestId: null,
        updatedAt: new Date(Math.min(startsAt.getTime() - 7 * DAY_MS, now)),
      });
    }
  }
  const requests = planExchanges(exchanges, plan, withNode, resources, bookings, now);
  return { resources, bookings, requests };
}
