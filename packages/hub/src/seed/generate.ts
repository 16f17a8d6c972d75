import { loadGeography, SCHEMA_VERSION, type SpacePayload } from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { weeklyOpenMinutes } from "../modules/mutualisation/open-minutes.ts";
import { REBUILD_SPACE_ROLLUPS } from "../modules/spaces/space-rollup.repository.ts";
import { appendToLog, type LogEntry } from "../modules/sync/change-log.repository.ts";
import { reportsOf } from "./activity.ts";
import { insertMobility } from "./mobility.ts";
import {
  DEMO_DAYS,
  type NetworkPlan,
  type NetworkSize,
  type PlannedSpace,
  planNetwork,
  SCALES,
  type SeedScale,
} from "./plan.ts";
import { createRandom, deriveSeed, seededUlid } from "./random.ts";
import {
  type PlannedBooking,
  type PlannedRequest,
  type PlannedResource,
  planResources,
} from "./resources.ts";
import {
  ACTIVITY_ROLLUP_STEPS,
  BOOKING_ROLLUP_STEP,
  RESOURCE_ROLLUP_STEP,
  TRAINING_ROLLUP_STEP,
} from "./rollups.ts";
import {
  type PlannedCredential,
  type PlannedEnrolment,
  type PlannedTraining,
  planTrainings,
} from "./trainings.ts";

/**
 * `maillage seed`: writes a realistic network on real communes — fabriques, their satellites,
 * one node agent per fabrique, daily activity, and shared resources with their bookings, loans
 * and the other nodes' requests they answer (see resources.ts), training sessions with their
 * enrolments, waitlists, attendance and credentials (see trainings.ts), members' passes and
 * visits away from home between neighbouring territories (see mobility.ts) — straight into the
 * hub's tables, in one transaction. Raw reports go in with multi-row inserts; the rollups are then computed in SQL
 * by GROUP BY, giving the same rows applying the reports one by one would (see
 * activity.repository.ts), and `space.last_activity_day` likewise; the bookings' daily rollup
 * and each resource's weekly open minutes the same way (booking-rollup.repository.ts,
 * open-minutes.ts), the resources' rollup (resource-rollup.repository.ts), the spaces' rollups
 * once last_activity_day is known (space-rollup.repository.ts), and the training rollup too
 * (training-rollup.repository.ts).
 *
 * What it does not write: members, and change-log entries unless asked (`announceSpaces`: the
 * spaces only, as registering them at the hub would). The nodes carry made-up keys: no real
 * agent can sign as them, but one enrolling for their fabrique takes their place (a
 * re-enrolment) and, with it, their records. It is data for demonstrations and benchmarks.
 */

export type SeedPhase =
  | "spaces"
  | "reports"
  | "rollups"
  | "nodes"
  | "resources"
  | "trainings"
  | "mobility";

export type SeedOptions = {
  scale: SeedScale;
  /** Length of the seeded period, ending on `until` (default: 730, or 60 for demo). */
  days?: number;
  /** PRNG seed: the same seed (and size, days and `until`) writes the same network. */
  seed?: number;
  /** Last seeded day, YYYY-MM-DD (default: today, UTC). */
  until?: string;
  /** Overrides the scale's number of fabriques and satellites, and its region (not for demo). */
  size?: NetworkSize;
  /**
   * Seed a hub that already holds spaces: its whole network (spaces, nodes, members, enrolment
   * codes, activity and rollups, change log, live-feed events) is deleted first and replaced.
   */
  force?: boolean;
  /** Weeks of bookings before `until` (default 2; the demo books its whole year). */
  bookedWeeksBefore?: number;
  /**
   * The fabriques (by name) that have a node agent; absent: every one. The others are seeded
   * without one: no node row (so no liveness), no shared resources and no requests, since only
   * a node owns or asks; their reports carry the id a node of theirs would have had, which
   * nothing reads (an agent enrolling there later takes its network's reports over).
   */
  fabriquesWithNode?: readonly string[];
  /**
   * When the seeded nodes were last heard from: "recently" (default), a mix relative to now
   * (ONLINE, STALE and SILENT ones for the liveness view), or "never" (SILENT until a real
   * agent enrols in their place, as the demo's do).
   */
  nodesHeardFrom?: "recently" | "never";
  /**
   * Also append every space to the hub's log, as registering it at the hub does, so that
   * agents enrolling later pull the registry (default: false).
   */
  announceSpaces?: boolean;
  /** Called as work progresses; `done`/`total` count spaces, space-days, then steps. */
  onProgress?: (done: number, total: number, phase: SeedPhase) => void;
};

export type SeedResult = {
  fabriques: number;
  satellites: number;
  nodes: number;
  reports: number;
  rollups: number;
  /** Shared resources written (owned by their fabrique's node). */
  resources?: number;
  /** Bookings written: confirmed ones around `to`, and a few cancelled (loans included). */
  bookings?: number;
  /** Of those, the ones answering another node's request (one booking_request each). */
  crossNode?: number;
  /** Of those, the loans (kind LOAN). */
  loans?: number;
  /** Training sessions written (owned by their organiser's node), cancelled ones included. */
  trainings?: number;
  /** Members' places in them (every status), and the credentials attendance issued. */
  enrolments?: number;
  credentials?: number;
  /** Members' visits away from home (and the travelling members, each with a pass). */
  visits?: number;
  travellers?: number;
  from: string;
  to: string;
  seconds: number;
};

/** The hub already holds a network and `force` was not given. */
export class SeedRefusedError extends Error {
  constructor(readonly spaces: number) {
    super(
      `the hub already holds ${spaces} spaces; seed an empty database, or force to replace the whole network`,
    );
    this.name = "SeedRefusedError";
  }
}

const DAY_MS = 86_400_000;
/** Rows per INSERT: large enough that round trips do not dominate, small enough for PGlite. */
const REPORT_CHUNK = 10_000;
const SPACE_CHUNK = 2_000;
/** What `force` empties: the network and everything about it. */
const NETWORK_TABLES = [
  "mobility_rollup",
  "mobility_presence",
  "visit",
  "pass",
  "tariff",
  "training_rollup",
  "enrolment",
  "enrolment_request",
  "training",
  "booking_request",
  "credential",
  "booking",
  "booking_rollup",
  "resource_rollup",
  "resource",
  "space_rollup",
  "space_activity_rollup",
  "space_commune_rollup",
  "network_event",
  "activity_rollup",
  "activity_report",
  "change_log",
  "enrolment_code",
  "member",
  "node",
  "space",
];

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

export async function seedNetwork(store: SqlStore, options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const days = options.days ?? (options.scale === "demo" ? DEMO_DAYS : SCALES.national.days);
  if (!Number.isInteger(days) || days < 1 || days > 3660) {
    throw new RangeError("days: an integer from 1 to 3660");
  }
  const weeksBefore = options.bookedWeeksBefore;
  if (
    weeksBefore !== undefined &&
    (!Number.isInteger(weeksBefore) || weeksBefore < 1 || weeksBefore > 523)
  ) {
    throw new RangeError("bookedWeeksBefore: an integer from 1 to 523");
  }
  const until = options.until ?? isoDay(Date.now());
  if (!/^\d{4}-\d{2}-\d{2}$/.test(until) || Number.isNaN(Date.parse(until))) {
    throw new RangeError("until: a date YYYY-MM-DD");
  }
  const from = isoDay(Date.parse(`${until}T00:00:00Z`) - (days - 1) * DAY_MS);
  const size =
    options.size ??
    (options.scale === "demo" ? { fabriques: 0, satellites: 0 } : SCALES[options.scale]);
  const plan = planNetwork(loadGeography(), {
    scale: options.scale,
    size,
    days,
    until,
    seed: options.seed ?? 1,
  });
  const progress = options.onProgress ?? (() => {});
  const withNodeNames = options.fabriquesWithNode && new Set(options.fabriquesWithNode);
  const fabriqueNames = new Map(
    plan.spaces.filter((s) => s.kind === "FABRIQUE").map((s) => [s.id, s.name]),
  );
  const withNode = (space: PlannedSpace) =>
    !withNodeNames || withNodeNames.has(fabriqueNames.get(space.fabriqueId ?? space.id) ?? "");
  const nodes = plan.nodes.filter(
    (node) => withNodeNames?.has(fabriqueNames.get(node.fabriqueId) ?? "") ?? true,
  );
  const shared = planResources(plan, {
    seed: options.seed ?? 1,
    until,
    weeksBefore,
    withNode,
  });
  const taught = planTrainings(plan, { seed: options.seed ?? 1, from, until, withNode });

  const counts = await store.transaction(async (sql) => {
    const [existing] = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM space");
    if ((existing?.n ?? 0) > 0) {
      if (!options.force) throw new SeedRefusedError(existing?.n ?? 0);
      // The live feed's table (network_event) is emptied too where this hub has it.
      const tables = await sql.query<{ name: string }>(
        `SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL`,
        [[...NETWORK_TABLES]],
      );
      await sql.exec(`TRUNCATE ${tables.map((t) => t.name).join(", ")} RESTART IDENTITY CASCADE`);
    }
    await insertSpaces(sql, plan, progress);
    if (options.announceSpaces) await announceSpaces(sql, plan, options.seed ?? 1);
    const reports = await insertReports(sql, plan, from, days, progress);
    const rollups = await computeRollups(sql, progress);
    await insertNodes(sql, nodes, options.nodesHeardFrom ?? "recently", progress);
    await insertResources(sql, shared, progress);
    await insertTrainings(sql, taught, progress);
    progress(0, 1, "mobility");
    const mobility = await insertMobility(sql, { from, days, seed: options.seed ?? 1 });
    progress(1, 1, "mobility");
    return { reports, rollups, mobility };
  });

  return {
    fabriques: plan.spaces.filter((s) => s.kind === "FABRIQUE").length,
    satellites: plan.spaces.filter((s) => s.kind === "SATELLITE").length,
    nodes: nodes.length,
    reports: counts.reports,
    rollups: counts.rollups,
    resources: shared.resources.length,
    bookings: shared.bookings.length,
    crossNode: shared.requests.length,
    loans: shared.bookings.filter((b) => b.kind === "LOAN").length,
    trainings: taught.trainings.length,
    enrolments: taught.enrolments.length,
    credentials: taught.credentials.length,
    visits: counts.mobility.visits,
    travellers: counts.mobility.travellers,
    from,
    to: until,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** Fabriques first: satellites reference them. */
function fabriquesFirst(plan: NetworkPlan): PlannedSpace[] {
  return [...plan.spaces].sort(
    (a, b) => Number(a.kind === "SATELLITE") - Number(b.kind === "SATELLITE"),
  );
}

async function insertSpaces(
  sql: SqlSession,
  plan: NetworkPlan,
  progress: NonNullable<SeedOptions["onProgress"]>,
) {
  const ordered = fabriquesFirst(plan);
  for (let i = 0; i < ordered.length; i += SPACE_CHUNK) {
    const chunk = ordered.slice(i, i + SPACE_CHUNK).map((s) => ({
      id: s.id,
      kind: s.kind,
      name: s.name,
      commune_code: s.commune.code,
      commune_name: s.commune.name,
      department_code: s.commune.departmentCode,
      region_code: s.commune.regionCode,
      population: s.commune.population,
      rural: s.commune.rural,
      services: s.services,
      opening_hours: s.openingHours,
      fabrique_id: s.fabriqueId,
      created_at: s.createdAt.toISOString(),
    }));
    await sql.query(
      `INSERT INTO space (id, kind, name, commune_code, commune_name, department_code, region_code,
                          population, rural, services, opening_hours, status, owner_node_id,
                          fabrique_id, created_at, updated_at)
       SELECT s.id, s.kind::"SpaceKind", s.name, s.commune_code, s.commune_name, s.department_code,
              s.region_code, s.population, s.rural, ARRAY(SELECT jsonb_array_elements_text(s.services)),
              s.opening_hours, 'OPEN', NULL, s.fabrique_id, s.created_at, s.created_at
       FROM jsonb_to_recordset($1::jsonb) AS s(id text, kind text, name text, commune_code text,
            commune_name text, department_code text, region_code text, population int, rural boolean,
            services jsonb, opening_hours jsonb, fabrique_id text, created_at timestamp)`,
      [JSON.stringify(chunk)],
    );
    progress(Math.min(i + SPACE_CHUNK, ordered.length), ordered.length, "spaces");
  }
}

/**
 * The hub's log entries for the spaces, as registering each at the hub writes them (see
 * space-events.ts): from the hub, to every node, fabriques first, dated when registered.
 */
async function announceSpaces(sql: SqlSession, plan: NetworkPlan, seed: number) {
  const random = createRandom(deriveSeed(seed, "log"));
  const entries = fabriquesFirst(plan).map((space): LogEntry => {
    const payload: SpacePayload = {
      kind: space.kind,
      fabriqueId: space.fabriqueId,
      name: space.name,
      communeCode: space.commune.code,
      services: space.services,
      openingHours: space.openingHours,
      status: "OPEN",
    };
    return {
      eventId: seededUlid(space.createdAt.getTime(), random),
      originNodeId: null,
      seq: null,
      entity: "SPACE",
      entityId: space.id,
      op: "UPSERT",
      payload,
      occurredAt: space.createdAt.toISOString(),
      schemaVersion: SCHEMA_VERSION,
      targetNodeId: null,
    };
  });
  for (let i = 0; i < entries.length; i += SPACE_CHUNK) {
    await appendToLog(sql, entries.slice(i, i + SPACE_CHUNK));
  }
}

async function insertReports(
  sql: SqlSession,
  plan: NetworkPlan,
  from: string,
  days: number,
  progress: NonNullable<SeedOptions["onProgress"]>,
): Promise<number> {
  const columns = () => ({
    spaceIds: [] as string[],
    days: [] as string[],
    visitors: [] as number[],
    events: [] as number[],
    participants: [] as number[],
    openHours: [] as number[],
    nodeIds: [] as string[],
  });
  let batch = columns();
  let written = 0;
  const total = plan.spaces.length * days;
  let spaceDays = 0;
  const flush = async () => {
    if (batch.spaceIds.length === 0) return;
    // A report is entered the evening of its day.
    await sql.query(
      `INSERT INTO activity_report (space_id, day, visitors, events, participants, open_hours,
                                    owner_node_id, updated_at)
       SELECT r.space_id, r.day, r.visitors, r.events, r.participants, r.open_hours, r.node_id,
              r.day + time '20:00'
       FROM unnest($1::text[], $2::date[], $3::int[], $4::int[], $5::int[], $6::numeric[], $7::text[])
            AS r(space_id, day, visitors, events, participants, open_hours, node_id)`,
      [
        batch.spaceIds,
        batch.days,
        batch.visitors,
        batch.events,
        batch.participants,
        batch.openHours,
        batch.nodeIds,
      ],
    );
    written += batch.spaceIds.length;
    batch = columns();
    progress(spaceDays, total, "reports");
  };
  for (const space of plan.spaces) {
    for (const report of reportsOf(space, from, days)) {
      batch.spaceIds.push(space.id);
      batch.days.push(report.day);
      batch.visitors.push(report.visitors);
      batch.events.push(report.events);
      batch.participants.push(report.participants);
      batch.openHours.push(report.openHours);
      batch.nodeIds.push(space.nodeId);
      if (batch.spaceIds.length >= REPORT_CHUNK) await flush();
    }
    spaceDays += days;
  }
  await flush();
  progress(total, total, "reports");
  return written;
}

/**
 * The rollups of every report, by GROUP BY instead of per-report deltas (rollups.ts), then each
 * space's last report day.
 */
const ROLLUP_STEPS = [
  ...ACTIVITY_ROLLUP_STEPS,
  `UPDATE space SET last_activity_day = l.day
   FROM (SELECT space_id, max(day) AS day FROM activity_report GROUP BY space_id) l
   WHERE space.id = l.space_id`,
];

async function computeRollups(
  sql: SqlSession,
  progress: NonNullable<SeedOptions["onProgress"]>,
): Promise<number> {
  // The table is empty here (a fresh database, or one just emptied by `force`).
  const steps = [...ROLLUP_STEPS, ...REBUILD_SPACE_ROLLUPS];
  for (const [i, step] of steps.entries()) {
    await sql.exec(step);
    progress(i + 1, steps.length, "rollups");
  }
  const [row] = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM activity_rollup");
  return row?.n ?? 0;
}

/**
 * One node per fabrique (that has one), heard from recently for most (ONLINE), hours ago for
 * some (STALE), days ago for a few (SILENT, with changes waiting). Seen times are relative to
 * now, so the liveness view has something to show right after seeding. Or never heard from:
 * SILENT, nothing waiting.
 */
async function insertNodes(
  sql: SqlSession,
  nodes: NetworkPlan["nodes"],
  heardFrom: "recently" | "never",
  progress: NonNullable<SeedOptions["onProgress"]>,
) {
  const now = Date.now();
  const rows = nodes.map((node, i) => {
    if (heardFrom === "never") {
      return {
        id: node.id,
        fabrique_id: node.fabriqueId,
        public_key: { kty: "OKP", crv: "Ed25519", x: node.publicKeyX },
        last_seen_at: null,
        pending: 0,
        oldest_pending_at: null,
        liveness: "SILENT",
      };
    }
    // Deterministic from the node's position: every 12th silent, every 6th (else) stale.
    const silent = i % 12 === 11;
    const stale = !silent && i % 6 === 5;
    const ageSeconds = silent ? 86_400 * (2 + (i % 30)) : stale ? 3_600 * (1 + (i % 20)) : i % 60;
    const lastSeen = now - ageSeconds * 1000;
    const pending = silent || stale ? (i * 37) % 200 : 0;
    return {
      id: node.id,
      fabrique_id: node.fabriqueId,
      public_key: { kty: "OKP", crv: "Ed25519", x: node.publicKeyX },
      last_seen_at: new Date(lastSeen).toISOString(),
      pending,
      oldest_pending_at: pending > 0 ? new Date(lastSeen - 3_600_000).toISOString() : null,
      liveness: silent ? "SILENT" : stale ? "STALE" : "ONLINE",
    };
  });
  if (rows.length > 0) {
    await sql.query(
      `INSERT INTO node (id, fabrique_id, public_key, status, last_seen_at, created_at,
                         pending_estimate, oldest_pending_at, liveness)
       SELECT n.id, n.fabrique_id, n.public_key, 'ACTIVE', n.last_seen_at, f.created_at,
              n.pending, n.oldest_pending_at, n.liveness::"NodeLiveness"
       FROM jsonb_to_recordset($1::jsonb) AS n(id text, fabrique_id text, public_key jsonb,
            last_seen_at timestamp, pending int, oldest_pending_at timestamp, liveness text)
       JOIN space f ON f.id = n.fabrique_id`,
      [JSON.stringify(rows)],
    );
  }
  progress(rows.length, rows.length, "nodes");
}

const RESOURCE_CHUNK = 2_000;
const BOOKING_CHUNK = 10_000;
const REQUEST_CHUNK = 5_000;

async function insertResources(
  sql: SqlSession,
  {
    resources,
    bookings,
    requests,
  }: { resources: PlannedResource[]; bookings: PlannedBooking[]; requests: PlannedRequest[] },
  progress: NonNullable<SeedOptions["onProgress"]>,
) {
  const total = resources.length + bookings.length + requests.length;
  for (let i = 0; i < resources.length; i += RESOURCE_CHUNK) {
    const chunk = resources.slice(i, i + RESOURCE_CHUNK).map((r) => ({
      id: r.id,
      owner_node_id: r.ownerNodeId,
      space_id: r.spaceId,
      name: r.name,
      category: r.category,
      description: r.description,
      sharing_scope: r.sharingScope,
      required_credential: r.requiredCredential,
      min_minutes: r.minMinutes,
      max_minutes: r.maxMinutes,
      lead_minutes: r.leadMinutes,
      cancel_deadline_minutes: r.cancelDeadlineMinutes,
      status: r.status,
      movable: r.movable,
      approval_required: r.approvalRequired,
      windows: r.windows,
      closures: r.closures,
      weekly_open_minutes: weeklyOpenMinutes(r.windows),
      updated_at: r.updatedAt.toISOString(),
    }));
    await sql.query(
      `INSERT INTO resource (id, owner_node_id, space_id, name, category, description, sharing_scope,
                             required_credential, min_minutes, max_minutes, lead_minutes,
                             cancel_deadline_minutes, status, movable, approval_required, windows,
                             closures, weekly_open_minutes, updated_at)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, owner_node_id text, space_id text,
            name text, category text, description text, sharing_scope text,
            required_credential text, min_minutes int, max_minutes int, lead_minutes int,
            cancel_deadline_minutes int, status text, movable boolean, approval_required boolean,
            windows jsonb, closures jsonb, weekly_open_minutes int, updated_at timestamp)`,
      [JSON.stringify(chunk)],
    );
    progress(Math.min(i + RESOURCE_CHUNK, resources.length), total, "resources");
  }
  for (let i = 0; i < bookings.length; i += BOOKING_CHUNK) {
    const chunk = bookings.slice(i, i + BOOKING_CHUNK);
    await sql.query(
      `INSERT INTO booking (id, resource_id, owner_node_id, kind, starts_at, ends_at, status,
                            request_id, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamp[],
                            $6::timestamp[], $7::text[], $8::text[], $9::timestamp[])`,
      [
        chunk.map((b) => b.id),
        chunk.map((b) => b.resourceId),
        chunk.map((b) => b.ownerNodeId),
        chunk.map((b) => b.kind),
        chunk.map((b) => b.startsAt.toISOString()),
        chunk.map((b) => b.endsAt.toISOString()),
        chunk.map((b) => b.status),
        chunk.map((b) => b.requestId),
        chunk.map((b) => b.updatedAt.toISOString()),
      ],
    );
    progress(resources.length + Math.min(i + BOOKING_CHUNK, bookings.length), total, "resources");
  }
  for (let i = 0; i < requests.length; i += REQUEST_CHUNK) {
    const chunk = requests.slice(i, i + REQUEST_CHUNK).map((q) => ({
      id: q.id,
      requester_node_id: q.requesterNodeId,
      owner_node_id: q.ownerNodeId,
      resource_id: q.resourceId,
      kind: q.kind,
      starts_at: q.startsAt.toISOString(),
      ends_at: q.endsAt.toISOString(),
      for_space_id: q.forSpaceId,
      status: q.status,
      booking_id: q.bookingId,
      loan: q.loan,
      requested_at: q.requestedAt.toISOString(),
      decided_at: q.decidedAt.toISOString(),
      updated_at: q.updatedAt.toISOString(),
    }));
    // For a space, not withdrawn, decided without a reason.
    await sql.query(
      `INSERT INTO booking_request (id, requester_node_id, owner_node_id, resource_id, kind,
                                    starts_at, ends_at, for_member_id, for_space_id, cancelled,
                                    status, reason, reason_code, booking_id, loan, requested_at,
                                    decided_at, updated_at)
       SELECT q.id, q.requester_node_id, q.owner_node_id, q.resource_id, q.kind, q.starts_at,
              q.ends_at, NULL, q.for_space_id, false, q.status, NULL, NULL, q.booking_id, q.loan,
              q.requested_at, q.decided_at, q.updated_at
       FROM jsonb_to_recordset($1::jsonb) AS q(id text, requester_node_id text,
            owner_node_id text, resource_id text, kind text, starts_at timestamp,
            ends_at timestamp, for_space_id text, status text, booking_id text, loan jsonb,
            requested_at timestamp, decided_at timestamp, updated_at timestamp)`,
      [JSON.stringify(chunk)],
    );
    progress(
      resources.length + bookings.length + Math.min(i + REQUEST_CHUNK, requests.length),
      total,
      "resources",
    );
  }
  // Their daily rollup by GROUP BY: the rows applying the bookings one by one would give.
  await sql.exec(BOOKING_ROLLUP_STEP);
  // And the resources' rollup likewise (resource-rollup.repository.ts).
  await sql.exec(RESOURCE_ROLLUP_STEP);
  progress(total, total, "resources");
}

const TRAINING_CHUNK = 5_000;
const ENROLMENT_CHUNK = 10_000;

async function insertTrainings(
  sql: SqlSession,
  {
    trainings,
    enrolments,
    requests,
    credentials,
  }: {
    trainings: PlannedTraining[];
    enrolments: PlannedEnrolment[];
    requests: PlannedEnrolment[];
    credentials: PlannedCredential[];
  },
  progress: NonNullable<SeedOptions["onProgress"]>,
) {
  const total = trainings.length + enrolments.length + requests.length + credentials.length;
  let done = 0;
  for (let i = 0; i < trainings.length; i += TRAINING_CHUNK) {
    const chunk = trainings.slice(i, i + TRAINING_CHUNK);
    await sql.query(
      `INSERT INTO training (id, owner_node_id, space_id, title, topic, tags, description,
                             venue_space_id, online_url, starts_at, ends_at, series_id, capacity,
                             minimum, decision_at, scope, prerequisites, grants_type,
                             grants_validity_days, trainer_name, cancel_deadline_minutes,
                             offer_hours, status, cancel_reason_code, taken, waitlisted, attended,
                             no_show, updated_at, network_id, venue_network_id, place_commune_code,
                             place_department_code, place_region_code)
       SELECT t.id, t.owner_node_id, t.space_id, t.title, t.topic,
              ARRAY(SELECT jsonb_array_elements_text(t.tags)), t.description, t.venue_space_id,
              t.online_url, t.starts_at, t.ends_at, t.series_id, t.capacity, t.minimum,
              t.decision_at, t.scope, ARRAY(SELECT jsonb_array_elements_text(t.prerequisites)),
              t.grants_type, t.grants_validity_days, t.trainer_name, t.cancel_deadline_minutes,
              t.offer_hours, t.status, t.cancel_reason_code, t.taken, t.waitlisted, t.attended,
              t.no_show, t.updated_at, coalesce(s.fabrique_id, s.id), coalesce(v.fabrique_id, v.id),
              coalesce(v.commune_code, s.commune_code),
              coalesce(v.department_code, s.department_code), coalesce(v.region_code, s.region_code)
       FROM jsonb_to_recordset($1::jsonb) AS t(id text, owner_node_id text, space_id text,
            title text, topic text, tags jsonb, description text, venue_space_id text,
            online_url text, starts_at timestamp, ends_at timestamp, series_id text, capacity int,
            minimum int, decision_at timestamp, scope text, prerequisites jsonb, grants_type text,
            grants_validity_days int, trainer_name text, cancel_deadline_minutes int,
            offer_hours int, status text, cancel_reason_code text, taken int, waitlisted int,
            attended int, no_show int, updated_at timestamp)
       JOIN space s ON s.id = t.space_id LEFT JOIN space v ON v.id = t.venue_space_id`,
      [
        JSON.stringify(
          chunk.map((t) => ({
            id: t.id,
            owner_node_id: t.ownerNodeId,
            space_id: t.spaceId,
            title: t.title,
            topic: t.topic,
            tags: t.tags,
            description: t.description,
            venue_space_id: t.venueSpaceId,
            online_url: t.onlineUrl,
            starts_at: t.startsAt.toISOString(),
            ends_at: t.endsAt.toISOString(),
            series_id: t.seriesId,
            capacity: t.capacity,
            minimum: t.minimum,
            decision_at: t.decisionAt?.toISOString() ?? null,
            scope: t.scope,
            prerequisites: t.prerequisites,
            grants_type: t.grantsType,
            grants_validity_days: t.grantsValidityDays,
            trainer_name: t.trainerName,
            cancel_deadline_minutes: t.cancelDeadlineMinutes,
            offer_hours: t.offerHours,
            status: t.status,
            cancel_reason_code: t.cancelReasonCode,
            taken: t.taken,
            waitlisted: t.waitlisted,
            attended: t.attended,
            no_show: t.noShow,
            updated_at: t.updatedAt.toISOString(),
          })),
        ),
      ],
    );
    done += chunk.length;
    progress(done, total, "trainings");
  }
  for (let i = 0; i < enrolments.length; i += ENROLMENT_CHUNK) {
    const chunk = enrolments.slice(i, i + ENROLMENT_CHUNK);
    await sql.query(
      `INSERT INTO enrolment (id, training_id, owner_node_id, member_id, member_node_id, status,
                              position, offer_expires_at, reason_code, reason, credential_id,
                              requested_at, updated_at)
       SELECT e.id, e.training_id, e.owner_node_id, e.member_id, e.member_node_id, e.status,
              e.position, NULL, e.reason_code, NULL, e.credential_id, e.requested_at, e.updated_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                   $7::int[], $8::text[], $9::text[], $10::timestamp[], $11::timestamp[])
            AS e(id, training_id, owner_node_id, member_id, member_node_id, status, position,
                 reason_code, credential_id, requested_at, updated_at)`,
      [
        chunk.map((e) => e.id),
        chunk.map((e) => e.trainingId),
        chunk.map((e) => e.ownerNodeId),
        chunk.map((e) => e.memberId),
        chunk.map((e) => e.memberNodeId),
        chunk.map((e) => e.status),
        chunk.map((e) => e.position),
        chunk.map((e) => e.reasonCode),
        chunk.map((e) => e.credentialId),
        chunk.map((e) => e.requestedAt.toISOString()),
        chunk.map((e) => e.updatedAt.toISOString()),
      ],
    );
    done += chunk.length;
    progress(done, total, "trainings");
  }
  // The requests the other networks' members sent (same id as their place), never withdrawn
  // by request: a member's cancellation is recorded on the place.
  for (let i = 0; i < requests.length; i += ENROLMENT_CHUNK) {
    const chunk = requests.slice(i, i + ENROLMENT_CHUNK);
    await sql.query(
      `INSERT INTO enrolment_request (id, requester_node_id, owner_node_id, training_id, member_id,
                                      accept_offer, cancelled, requested_at, updated_at)
       SELECT q.id, q.requester_node_id, q.owner_node_id, q.training_id, q.member_id, false,
              q.status = 'CANCELLED' AND q.reason_code = 'CANCELLED_BY_MEMBER', q.requested_at,
              q.requested_at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                   $7::text[], $8::timestamp[])
            AS q(id, requester_node_id, owner_node_id, training_id, member_id, status,
                 reason_code, requested_at)`,
      [
        chunk.map((q) => q.id),
        chunk.map((q) => q.memberNodeId),
        chunk.map((q) => q.ownerNodeId),
        chunk.map((q) => q.trainingId),
        chunk.map((q) => q.memberId),
        chunk.map((q) => q.status),
        chunk.map((q) => q.reasonCode),
        chunk.map((q) => q.requestedAt.toISOString()),
      ],
    );
    done += chunk.length;
    progress(done, total, "trainings");
  }
  for (let i = 0; i < credentials.length; i += ENROLMENT_CHUNK) {
    const chunk = credentials.slice(i, i + ENROLMENT_CHUNK);
    await sql.query(
      `INSERT INTO credential (id, member_id, type, issued_at, expires_at, owner_node_id,
                               training_id, vc)
       SELECT c.id, c.member_id, c.type, c.issued_at, c.expires_at, c.owner_node_id,
              c.training_id, NULL
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamp[], $5::timestamp[],
                   $6::text[], $7::text[])
            AS c(id, member_id, type, issued_at, expires_at, owner_node_id, training_id)`,
      [
        chunk.map((c) => c.id),
        chunk.map((c) => c.memberId),
        chunk.map((c) => c.type),
        chunk.map((c) => c.issuedAt.toISOString()),
        chunk.map((c) => c.expiresAt?.toISOString() ?? null),
        chunk.map((c) => c.ownerNodeId),
        chunk.map((c) => c.trainingId),
      ],
    );
    done += chunk.length;
    progress(done, total, "trainings");
  }
  // Their rollup by GROUP BY: the rows applying the events one by one would give.
  await sql.exec(TRAINING_ROLLUP_STEP);
  progress(total, total, "trainings");
}

/** `maillage seed`: seeds the storage of a hub built (not started) by the CLI. */
export function seedHub(
  hub: { config: unknown; db?: { store: SqlStore } },
  options: SeedOptions,
): Promise<SeedResult> {
  if (!hub.db) throw new TypeError("seedHub needs the hub createHub built");
  return seedNetwork(hub.db.store, options);
}
