import {
  type EnrolmentStatus,
  parisInstant,
  type SharingScope,
  type TrainingTopic,
} from "@maillage/schema";
import { SEASON } from "./activity.ts";
import type { NetworkPlan, PlannedSpace } from "./plan.ts";
import { createRandom, deriveSeed, type Random, seededUlid } from "./random.ts";

/**
 * The training sessions of a generated network (issue 10), as the hub holds them: each network
 * with a node organises about one session a week (fewer in summer), at its fabrique or one of
 * its satellites, over the seeded period and the eight weeks after `until` — some in weekly
 * series, some online — with its pseudonymous members' enrolments as the organiser would have
 * sent them by `until` evening:
 * - demand around capacity (a full session keeps its overflow WAITLISTED, in order), a tenth of
 *   the places cancelled by their member, a session whose minimum is not reached by its
 *   deadline CANCELLED (MINIMUM_NOT_REACHED, its places with it), a few cancelled by the
 *   organiser;
 * - past sessions marked: most seat holders ATTENDED, the others NO_SHOW; attending a session
 *   that grants a credential issued one (owned by the organiser's node, with its expiry);
 * - about a sixth of the places taken by members of another network (mostly of the same
 *   region), each with the ENROLMENT_REQUEST its home node sent.
 * Members are ids only (the hub never holds more); they are not written as members.
 */

export type PlannedTraining = {
  id: string;
  ownerNodeId: string;
  spaceId: string;
  title: string;
  topic: TrainingTopic;
  tags: string[];
  description: string;
  venueSpaceId: string | null;
  onlineUrl: string | null;
  startsAt: Date;
  endsAt: Date;
  seriesId: string | null;
  capacity: number;
  minimum: number;
  decisionAt: Date | null;
  scope: SharingScope;
  prerequisites: string[];
  grantsType: string | null;
  grantsValidityDays: number | null;
  trainerName: string;
  cancelDeadlineMinutes: number;
  offerHours: number | null;
  status: "SCHEDULED" | "CANCELLED";
  cancelReasonCode: "CANCELLED_BY_ORGANISER" | "MINIMUM_NOT_REACHED" | null;
  taken: number;
  waitlisted: number;
  attended: number;
  noShow: number;
  updatedAt: Date;
};

export type PlannedEnrolment = {
  id: string;
  trainingId: string;
  ownerNodeId: string;
  memberId: string;
  memberNodeId: string;
  status: Exclude<EnrolmentStatus, "PENDING">;
  position: number | null;
  reasonCode: string | null;
  credentialId: string | null;
  requestedAt: Date;
  updatedAt: Date;
};

export type PlannedCredential = {
  id: string;
  memberId: string;
  type: string;
  issuedAt: Date;
  expiresAt: Date | null;
  ownerNodeId: string;
  trainingId: string;
};

type Model = {
  topic: TrainingTopic;
  titles: string[];
  tags: string[];
  hours: [number, number];
  capacity: [number, number];
  grants?: { type: string; validityDays: number | null };
  prerequisites?: string[];
  description: string;
};

const MODELS: Model[] = [
  {
    topic: "MACHINE_SAFETY",
    titles: ["Habilitation découpeuse laser", "Sécurité laser : prise en main"],
    tags: ["laser", "habilitation"],
    hours: [2, 3],
    capacity: [6, 10],
    grants: { type: "laser-safety", validityDays: 730 },
    description: "Consignes, réglages et premier projet accompagné.",
  },
  {
    topic: "MACHINE_SAFETY",
    titles: ["Habilitation fraiseuse numérique", "CNC : sécurité et premiers usinages"],
    tags: ["cnc", "habilitation"],
    hours: [3, 4],
    capacity: [4, 8],
    grants: { type: "cnc-safety", validityDays: 730 },
    description: "Bridage, outils, vitesses de coupe.",
  },
  {
    topic: "DIGITAL_FABRICATION",
    titles: ["Initiation impression 3D", "Modéliser pour l'impression 3D"],
    tags: ["impression 3d", "modélisation"],
    hours: [2, 4],
    capacity: [8, 12],
    grants: { type: "3d-printing", validityDays: null },
    description: "De la modélisation au tranchage.",
  },
  {
    topic: "WOODWORKING",
    titles: ["Atelier bois : les machines", "Menuiserie pour débuter"],
    tags: ["bois"],
    hours: [3, 6],
    capacity: [5, 8],
    grants: { type: "wood-workshop", validityDays: 1095 },
    description: "Scie à format, raboteuse, sécurité à l'atelier.",
  },
  {
    topic: "ELECTRONICS",
    titles: ["Soudure électronique", "Arduino pour débuter"],
    tags: ["arduino", "soudure"],
    hours: [2, 3],
    capacity: [8, 12],
    grants: { type: "electronics-bench", validityDays: null },
    description: "Fer à souder, multimètre et premiers circuits.",
  },
  {
    topic: "TEXTILE",
    titles: ["Brodeuse numérique", "Couture : la surjeteuse"],
    tags: ["couture", "broderie"],
    hours: [2, 3],
    capacity: [6, 10],
    grants: { type: "textile-machines", validityDays: null },
    description: "Préparer un motif, enfiler, broder.",
  },
  {
    topic: "DIGITAL_SKILLS",
    titles: ["Premiers pas sur ordinateur", "Démarches en ligne", "Sécuriser son smartphone"],
    tags: ["numérique", "inclusion"],
    hours: [2, 2],
    capacity: [6, 12],
    description: "En petit groupe, à son rythme.",
  },
  {
    topic: "DIGITAL_MEDIATION",
    titles: ["Accompagner les publics éloignés du numérique", "Médiation numérique : les outils"],
    tags: ["médiation"],
    hours: [3, 7],
    capacity: [8, 16],
    grants: { type: "digital-mediation", validityDays: null },
    description: "Pour les médiateurs et bénévoles du réseau.",
  },
  {
    topic: "ENTREPRENEURSHIP",
    titles: ["Lancer son activité", "Statuts et financements"],
    tags: ["entrepreneuriat"],
    hours: [2, 3],
    capacity: [10, 20],
    description: "Avec la boutique de gestion du territoire.",
  },
  {
    topic: "FACILITATION",
    titles: ["Animer une communauté", "Facilitation de réunions"],
    tags: ["animation"],
    hours: [3, 7],
    capacity: [8, 16],
    description: "Outils d'intelligence collective.",
  },
  {
    topic: "SUSTAINABILITY",
    titles: ["Repair café : réparer son petit électroménager", "Réemploi des matériaux"],
    tags: ["réparation", "réemploi"],
    hours: [2, 3],
    capacity: [8, 14],
    description: "Diagnostiquer et réparer ensemble.",
  },
  {
    topic: "FOOD",
    titles: ["Cuisine partagée : hygiène", "Conserves et lacto-fermentation"],
    tags: ["cuisine"],
    hours: [2, 4],
    capacity: [6, 10],
    grants: { type: "first-aid", validityDays: 365 },
    description: "Règles d'hygiène de la cuisine partagée.",
  },
];

const TRAINERS = ["Camille Martin", "Léa Bernard", "Hugo Petit", "Inès Moreau", "Yanis Girard"];
const STARTS = [9 * 60 + 30, 14 * 60, 18 * 60];
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const WEEKS_AHEAD = 8;
/** Mean sessions per network and week (before the season). */
const PER_WEEK = 0.9;
const SERIES_SHARE = 0.15;
const ONLINE_SHARE = 0.1;
const CROSS_NODE_SHARE = 0.16;
const SAME_REGION_SHARE = 0.8;
const MEMBER_CANCELS = 0.1;
const NO_SHOW = 0.12;
const ORGANISER_CANCELS = 0.02;

export function planTrainings(
  plan: NetworkPlan,
  options: {
    seed: number;
    /** First seeded day, YYYY-MM-DD: no session before (nor before its space existed). */
    from: string;
    until: string;
    withNode?: (space: PlannedSpace) => boolean;
  },
): {
  trainings: PlannedTraining[];
  enrolments: PlannedEnrolment[];
  requests: PlannedEnrolment[];
  credentials: PlannedCredential[];
} {
  const random = createRandom(deriveSeed(options.seed, "trainings"));
  const withNode = options.withNode ?? (() => true);
  const now = Date.parse(`${options.until}T20:00:00Z`);
  const networks = new Map<string, PlannedSpace[]>();
  for (const space of plan.spaces) {
    if (!withNode(space)) continue;
    const network = space.fabriqueId ?? space.id;
    networks.set(network, [...(networks.get(network) ?? []), space]);
  }
  // Each network's members: pseudonymous ids, homed at its node.
  const members = new Map<string, { ids: string[]; nodeId: string; regionCode: string }>();
  for (const [network, spaces] of networks) {
    const fabrique = spaces.find((s) => s.id === network) ?? (spaces[0] as PlannedSpace);
    const count = 30 + 15 * (spaces.length - 1);
    members.set(network, {
      ids: Array.from({ length: count }, () => seededUlid(fabrique.createdAt.getTime(), random)),
      nodeId: fabrique.nodeId,
      regionCode: fabrique.commune.regionCode,
    });
  }
  const byRegion = new Map<string, string[]>();
  for (const [network, m] of members) {
    byRegion.set(m.regionCode, [...(byRegion.get(m.regionCode) ?? []), network]);
  }
  const allNetworks = [...members.keys()];
  const visitorOf = (network: string) => {
    const own = members.get(network);
    const near = (byRegion.get(own?.regionCode ?? "") ?? []).filter((n) => n !== network);
    const pool =
      near.length > 0 && random.chance(SAME_REGION_SHARE)
        ? near
        : allNetworks.filter((n) => n !== network);
    return pool.length === 0 ? null : (members.get(random.pick(pool)) ?? null);
  };

  const trainings: PlannedTraining[] = [];
  const enrolments: PlannedEnrolment[] = [];
  const requests: PlannedEnrolment[] = [];
  const credentials: PlannedCredential[] = [];
  const first = Date.parse(`${options.from}T00:00:00Z`);
  const last = Date.parse(`${options.until}T00:00:00Z`) + WEEKS_AHEAD * 7 * DAY_MS;
  const weeks = Math.floor((last - first) / (7 * DAY_MS));

  for (const [network, spaces] of networks) {
    const home = members.get(network);
    if (!home) continue;
    /** The places of one session, as its organiser would have written them by `now`. */
    const enrolPlaces = (training: PlannedTraining, createdAt: number) => {
      const start = training.startsAt.getTime();
      const askedUntil = Math.min(start, now);
      // Demand: around capacity, low for some; less for a session far ahead.
      const ahead = start > now ? Math.max(0.3, 1 - (start - now) / (WEEKS_AHEAD * 7 * DAY_MS)) : 1;
      const demand = Math.round(
        training.capacity *
          (random.chance(0.15) ? 0.1 + random.next() * 0.3 : 0.5 + random.next() * 0.8) *
          ahead *
          (training.scope === "LOCAL" ? 0.8 : 1),
      );
      const asked: { memberId: string; memberNodeId: string; at: number }[] = [];
      const taken = new Set<string>();
      for (let i = 0; i < demand; i++) {
        const visitor =
          training.scope !== "LOCAL" && random.chance(CROSS_NODE_SHARE) ? visitorOf(network) : null;
        const from = visitor ?? home;
        const memberId = random.pick(from.ids);
        if (taken.has(memberId)) continue;
        taken.add(memberId);
        asked.push({
          memberId,
          memberNodeId: from.nodeId,
          at: createdAt + random.next() * Math.max(0, askedUntil - createdAt),
        });
      }
      asked.sort((a, b) => a.at - b.at);
      const decided = training.decisionAt !== null && training.decisionAt.getTime() <= now;
      const organiserCancels = random.chance(ORGANISER_CANCELS);
      // Member cancellations free seats for the waitlist: the places that stay hold in order.
      const cancelled = asked.map(() => random.chance(MEMBER_CANCELS));
      const staying = asked.filter((_, i) => !cancelled[i]).length;
      const holders = Math.min(staying, training.capacity);
      const cancelledByMinimum = decided && holders < training.minimum;
      if (cancelledByMinimum || organiserCancels) {
        training.status = "CANCELLED";
        training.cancelReasonCode = cancelledByMinimum
          ? "MINIMUM_NOT_REACHED"
          : "CANCELLED_BY_ORGANISER";
      }
      const past = training.endsAt.getTime() <= now && training.status === "SCHEDULED";
      let seat = 0;
      let position = 0;
      for (const [i, place] of asked.entries()) {
        let status: PlannedEnrolment["status"];
        let reasonCode: string | null = null;
        let positionOf: number | null = null;
        if (training.status === "CANCELLED") {
          status = "CANCELLED";
          reasonCode = training.cancelReasonCode;
        } else if (cancelled[i]) {
          status = "CANCELLED";
          reasonCode = "CANCELLED_BY_MEMBER";
        } else if (seat < training.capacity) {
          seat++;
          status = past ? (random.chance(NO_SHOW) ? "NO_SHOW" : "ATTENDED") : "ENROLLED";
        } else {
          position++;
          status = "WAITLISTED";
          positionOf = position;
        }
        const enrolment: PlannedEnrolment = {
          id: seededUlid(place.at, random),
          trainingId: training.id,
          ownerNodeId: training.ownerNodeId,
          memberId: place.memberId,
          memberNodeId: place.memberNodeId,
          status,
          position: positionOf,
          reasonCode,
          credentialId: null,
          requestedAt: new Date(place.at),
          updatedAt: new Date(Math.min(past ? training.endsAt.getTime() : place.at, now)),
        };
        if (status === "ATTENDED" && training.grantsType) {
          const issuedAt = training.endsAt;
          const credential: PlannedCredential = {
            id: seededUlid(issuedAt.getTime(), random),
            memberId: place.memberId,
            type: training.grantsType,
            issuedAt,
            expiresAt:
              training.grantsValidityDays === null
                ? null
                : new Date(issuedAt.getTime() + training.grantsValidityDays * DAY_MS),
            ownerNodeId: training.ownerNodeId,
            trainingId: training.id,
          };
          credentials.push(credential);
          enrolment.credentialId = credential.id;
        }
        if (status === "ENROLLED" || status === "ATTENDED" || status === "NO_SHOW")
          training.taken++;
        if (status === "WAITLISTED") training.waitlisted++;
        if (status === "ATTENDED") training.attended++;
        if (status === "NO_SHOW") training.noShow++;
        enrolments.push(enrolment);
        if (place.memberNodeId !== training.ownerNodeId) requests.push(enrolment);
      }
    };

    for (let week = 0; week < weeks; week++) {
      const monday = first + week * 7 * DAY_MS;
      const season = SEASON[new Date(monday).getUTCMonth()] ?? 1;
      for (let n = random.poisson(PER_WEEK * season); n > 0; n--) {
        const organiser = random.chance(0.6) ? (spaces[0] as PlannedSpace) : random.pick(spaces);
        const model = random.pick(MODELS);
        const sessions = random.chance(SERIES_SHARE) ? random.int(3, 6) : 1;
        const day = isoDay(monday + random.int(0, 5) * DAY_MS);
        const start = random.pick(STARTS);
        const hours = random.int(model.hours[0], model.hours[1]);
        const online = random.chance(ONLINE_SHARE);
        const venue = online ? null : random.chance(0.8) ? organiser : random.pick(spaces);
        const capacity = random.int(model.capacity[0], model.capacity[1]);
        const minimum = random.chance(0.4) ? Math.max(1, Math.floor(capacity / 3)) : 0;
        const scope = pick(random, ["NATIONAL", "NETWORK", "LOCAL"] as const, [30, 45, 25]);
        const title = random.pick(model.titles);
        const offerHours = random.chance(0.3) ? random.pick([12, 24, 48]) : null;
        let seriesId: string | null = null;
        for (let s = 0; s < sessions; s++) {
          const date = isoDay(Date.parse(`${day}T12:00:00Z`) + s * 7 * DAY_MS);
          const startsAt = parisInstant(date, start);
          if (startsAt.getTime() < organiser.createdAt.getTime()) continue;
          if (startsAt.getTime() > last) break;
          const endsAt = new Date(startsAt.getTime() + hours * HOUR_MS);
          const createdAt = Math.max(
            organiser.createdAt.getTime(),
            startsAt.getTime() - random.int(14, 45) * DAY_MS,
          );
          if (createdAt > now) break; // not created yet at `until`, nor the rest of its series
          const id = seededUlid(createdAt, random);
          seriesId ??= sessions > 1 ? id : null;
          const training: PlannedTraining = {
            id,
            ownerNodeId: organiser.nodeId,
            spaceId: organiser.id,
            title: sessions > 1 ? `${title} (${s + 1}/${sessions})` : title,
            topic: model.topic,
            tags: model.tags,
            description: model.description,
            venueSpaceId: venue?.id ?? null,
            onlineUrl: online ? `https://visio.maillage.example/${id.toLowerCase()}` : null,
            startsAt,
            endsAt,
            seriesId,
            capacity,
            minimum,
            decisionAt: minimum > 0 ? new Date(startsAt.getTime() - 2 * DAY_MS) : null,
            scope,
            prerequisites: model.prerequisites ?? [],
            grantsType: model.grants?.type ?? null,
            grantsValidityDays: model.grants?.validityDays ?? null,
            trainerName: random.pick(TRAINERS),
            cancelDeadlineMinutes: random.pick([60, 1440, 2880]),
            offerHours,
            status: "SCHEDULED",
            cancelReasonCode: null,
            taken: 0,
            waitlisted: 0,
            attended: 0,
            noShow: 0,
            updatedAt: new Date(Math.min(createdAt, now)),
          };
          trainings.push(training);
          enrolPlaces(training, createdAt);
        }
      }
    }
  }
  return { trainings, enrolments, requests, credentials };
}

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

function pick<T>(random: Random, items: readonly T[], weights: number[]): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let target = random.next() * total;
  for (const [i, item] of items.entries()) {
    target -= weights[i] ?? 0;
    if (target < 0) return item;
  }
  return items[items.length - 1] as T;
}
