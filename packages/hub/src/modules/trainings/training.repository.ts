import type { TrainingTopic } from "@maillage/schema";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { EnrolmentUpdateEvent, TrainingChangedEvent } from "../../realtime/pubsub.ts";
import type { Proximity } from "../resources/resource.repository.ts";
import type { Sql } from "../sync/change-log.repository.ts";

/**
 * The only file that reads the `training` table for discovery. Plain SQL through Prisma
 * (`$queryRawUnsafe`), as resources' discovery: the proximity order and the keyset over it are
 * not expressible in Prisma's query API.
 *
 * A training's place is its venue, or its organiser's space for an online one: filters by
 * region, department and proximity, and the order by proximity, use it. The place and the
 * organiser's network are kept on the training when it is written (training-sync.repository.ts),
 * so discovery reads the training table alone (and the few closed spaces); a venue space that
 * moves commune counts at its new place from its trainings' next write.
 */

/** A training as discovery shows it, with its organiser's network and its place. */
export type TrainingRow = {
  id: string;
  ownerNodeId: string;
  spaceId: string;
  title: string;
  topic: TrainingTopic;
  tags: string[];
  description: string | null;
  venueSpaceId: string | null;
  onlineUrl: string | null;
  startsAt: Date;
  endsAt: Date;
  seriesId: string | null;
  capacity: number;
  minimum: number;
  decisionAt: Date | null;
  scope: string;
  prerequisites: string[];
  grantsType: string | null;
  grantsValidityDays: number | null;
  trainerName: string | null;
  cancelDeadlineMinutes: number;
  offerHours: number | null;
  status: string;
  cancelReasonCode: string | null;
  taken: number;
  waitlisted: number;
  attended: number;
  noShow: number;
  /** When the hub first recorded it. */
  createdAt: Date;
  /** When the hub last recorded a change of it. */
  updatedAt: Date;
  /** The fabrique whose network organises it (the organiser itself for a fabrique). */
  networkId: string;
  /** The venue's network (null when online or the venue is unknown to the hub). */
  venueNetworkId: string | null;
  /** 0 same commune, 1 same EPCI, 2 same department, 3 same region (search with `near`). */
  tier: number | null;
};

/** Who is looking: the SQL form of canSeeTraining. */
export type TrainingAudience = { kind: "national" } | { kind: "network"; fabriqueId: string };

export type TrainingCriteria = {
  audience: TrainingAudience;
  topic?: TrainingTopic | undefined;
  tag?: string | undefined;
  region?: string | undefined;
  department?: string | undefined;
  near?: Proximity | undefined;
  /** Sessions starting at or after this instant. */
  from: Date;
  /** Sessions starting before this instant. */
  to?: Date | undefined;
  online?: boolean | undefined;
  hasSeats?: boolean | undefined;
  /** Sessions granting this credential type. */
  credential?: string | undefined;
};

/** Position in the (tier, startsAt, id) order. */
export type TrainingCursor = { tier: number; startsAt: string; id: string };

const COLUMNS = `t.id, t.owner_node_id AS "ownerNodeId", t.space_id AS "spaceId", t.title, t.topic,
  t.tags, t.description, t.venue_space_id AS "venueSpaceId", t.online_url AS "onlineUrl",
  t.starts_at AT TIME ZONE 'UTC' AS "startsAt", t.ends_at AT TIME ZONE 'UTC' AS "endsAt",
  t.series_id AS "seriesId", t.capacity, t.minimum,
  t.decision_at AT TIME ZONE 'UTC' AS "decisionAt", t.scope, t.prerequisites,
  t.grants_type AS "grantsType", t.grants_validity_days AS "grantsValidityDays",
  t.trainer_name AS "trainerName", t.cancel_deadline_minutes AS "cancelDeadlineMinutes",
  t.offer_hours AS "offerHours", t.status, t.cancel_reason_code AS "cancelReasonCode", t.taken,
  t.waitlisted, t.attended, t.no_show AS "noShow",
  t.created_at AT TIME ZONE 'UTC' AS "createdAt", t.updated_at AT TIME ZONE 'UTC' AS "updatedAt",
  t.network_id AS "networkId", t.venue_network_id AS "venueNetworkId"`;
const FROM = "training t";
/** The place's columns: the venue's, or the organiser's for an online training. */
const place = (column: string) => `t.place_${column}`;

/** Collects positional parameters while a statement is written. */
function params() {
  const values: unknown[] = [];
  return {
    values,
    add(value: unknown, cast = "::text"): string {
      values.push(value);
      return `$${values.length}${cast}`;
    },
  };
}

type Params = ReturnType<typeof params>;

const instant = (p: Params, value: Date | string) =>
  `(${p.add(value instanceof Date ? value.toISOString() : value, "::timestamptz")} AT TIME ZONE 'UTC')`;

function audienceSql(audience: TrainingAudience, p: Params): string {
  if (audience.kind === "national") return `t.scope = 'NATIONAL'`;
  return `(t.scope <> 'LOCAL' OR t.network_id = ${p.add(audience.fabriqueId)})`;
}

/** The organiser is open: the few closed spaces come from their index (space_status_idx). */
const ORGANISER_OPEN = `t.space_id NOT IN (SELECT c.id FROM space c WHERE c.status = 'CLOSED')`;

function whereSql(c: TrainingCriteria, p: Params, after?: TrainingCursor): string {
  const where = [audienceSql(c.audience, p), `t.status = 'SCHEDULED'`, ORGANISER_OPEN];
  // After a cursor in start order, the row comparison alone bounds the (starts_at, id) index
  // scan: with `from` beside it the planner multiplies two overlapping ranges' selectivities,
  // expects a handful of rows, and sorts them all instead of walking the index.
  if (after && Date.parse(after.startsAt) >= c.from.getTime()) {
    where.push(`(t.starts_at, t.id) > (${instant(p, after.startsAt)}, ${p.add(after.id)})`);
  } else {
    where.push(`t.starts_at >= ${instant(p, c.from)}`);
  }
  if (c.to) where.push(`t.starts_at < ${instant(p, c.to)}`);
  if (c.topic) where.push(`t.topic = ${p.add(c.topic)}`);
  if (c.tag) where.push(`${p.add(c.tag)} = ANY(t.tags)`);
  if (c.region) where.push(`${place("region_code")} = ${p.add(c.region)}`);
  if (c.department) where.push(`${place("department_code")} = ${p.add(c.department)}`);
  if (c.online === true) where.push("t.venue_space_id IS NULL");
  if (c.online === false) where.push("t.venue_space_id IS NOT NULL");
  if (c.hasSeats) where.push("t.taken < t.capacity");
  if (c.credential) where.push(`t.grants_type = ${p.add(c.credential)}`);
  if (c.near) {
    // Parameters are added only where used: an unused one has no type PostgreSQL can infer.
    const n = c.near;
    const epci = () => `${place("commune_code")} = ANY(${p.add(n.epciCommunes, "::text[]")})`;
    if (n.maxTier === 0) where.push(`${place("commune_code")} = ${p.add(n.communeCode)}`);
    else if (n.maxTier === 1) where.push(epci());
    else if (n.maxTier === 2)
      where.push(`(${place("department_code")} = ${p.add(n.departmentCode)} OR ${epci()})`);
    else where.push(`(${place("region_code")} = ${p.add(n.regionCode)} OR ${epci()})`);
  }
  return where.join(" AND ");
}

function tierSql(near: Proximity, p: Params): string {
  return `CASE WHEN ${place("commune_code")} = ${p.add(near.communeCode)} THEN 0
    WHEN ${place("commune_code")} = ANY(${p.add(near.epciCommunes, "::text[]")}) THEN 1
    WHEN ${place("department_code")} = ${p.add(near.departmentCode)} THEN 2
    WHEN ${place("region_code")} = ${p.add(near.regionCode)} THEN 3 ELSE 4 END`;
}

export type TrainingRepository = ReturnType<typeof createTrainingRepository>;

export function createTrainingRepository(prisma: PrismaClient) {
  const query = <Row>(sql: string, values: unknown[]) =>
    prisma.$queryRawUnsafe<Row[]>(sql, ...values);

  return {
    /**
     * The next `limit` trainings matching `criteria` after `after`: by start then id (walking
     * the (starts_at, id) index), or by proximity first with `near`.
     */
    search(
      criteria: TrainingCriteria,
      after: TrainingCursor | null,
      limit: number,
    ): Promise<TrainingRow[]> {
      const p = params();
      if (!criteria.near) {
        const where = whereSql(criteria, p, after ?? undefined);
        return query<TrainingRow>(
          `SELECT ${COLUMNS}, 0 AS tier FROM ${FROM} WHERE ${where}
           ORDER BY t.starts_at, t.id LIMIT ${p.add(limit, "::int")}`,
          p.values,
        );
      }
      const tier = tierSql(criteria.near, p);
      const where = whereSql(criteria, p);
      const keyset = after
        ? `WHERE (c.tier, c."startsAt", c.id) > (${p.add(after.tier, "::int")}, ${p.add(after.startsAt, "::timestamptz")}, ${p.add(after.id)})`
        : "";
      return query<TrainingRow>(
        `SELECT c.* FROM (SELECT ${COLUMNS}, ${tier} AS tier FROM ${FROM} WHERE ${where}) c
         ${keyset} ORDER BY c.tier, c."startsAt", c.id LIMIT ${p.add(limit, "::int")}`,
        p.values,
      );
    },

    async count(criteria: TrainingCriteria): Promise<number> {
      const p = params();
      const [row] = await query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${FROM} WHERE ${whereSql(criteria, p)}`,
        p.values,
      );
      return row?.n ?? 0;
    },

    /** Trainings by id, whatever their status (visibility is the caller's business). */
    byIds(ids: readonly string[]): Promise<TrainingRow[]> {
      if (ids.length === 0) return Promise.resolve([]);
      return query<TrainingRow>(
        `SELECT ${COLUMNS}, NULL::int AS tier FROM ${FROM} WHERE t.id = ANY($1::text[])`,
        [ids],
      );
    },
  };
}

// ── Live updates, read in the push transaction (instants as ISO strings: they cross Redis) ──

const iso = (value: Date | string | null): string | null =>
  value === null ? null : (value instanceof Date ? value : new Date(value)).toISOString();

/** Trainings by id as trainingSeatsChanged shows them. */
export async function trainingViews(sql: Sql, ids: string[]): Promise<TrainingChangedEvent[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<TrainingRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE t.id = ANY($1::text[]) ORDER BY t.id`,
    [ids],
  );
  return rows.map(({ tier: _tier, ...r }) => ({
    ...r,
    startsAt: iso(r.startsAt) as string,
    endsAt: iso(r.endsAt) as string,
    decisionAt: iso(r.decisionAt),
    createdAt: iso(r.createdAt) as string,
    updatedAt: iso(r.updatedAt) as string,
  }));
}

/** Enrolments by id with the fabriques of both sides (organiser, member's home). */
export async function enrolmentViews(sql: Sql, ids: string[]): Promise<EnrolmentUpdateEvent[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<
    Omit<EnrolmentUpdateEvent, "offerExpiresAt" | "requestedAt" | "updatedAt"> & {
      offerExpiresAt: Date | null;
      requestedAt: Date;
      updatedAt: Date;
    }
  >(
    `SELECT e.id, e.training_id AS "trainingId", e.member_id AS "memberId", e.status, e.position,
            e.offer_expires_at AT TIME ZONE 'UTC' AS "offerExpiresAt",
            e.reason_code AS "reasonCode", e.reason, e.credential_id AS "credentialId",
            e.requested_at AT TIME ZONE 'UTC' AS "requestedAt",
            e.updated_at AT TIME ZONE 'UTC' AS "updatedAt",
            coalesce(s.fabrique_id, s.id) AS "organiserNetworkId",
            coalesce(h.fabrique_id, h.id, mn.fabrique_id) AS "memberNetworkId",
            t.scope AS "trainingScope"
     FROM enrolment e
     JOIN training t ON t.id = e.training_id
     JOIN space s ON s.id = t.space_id
     LEFT JOIN member m ON m.id = e.member_id
     LEFT JOIN space h ON h.id = m.home_space_id
     LEFT JOIN node mn ON mn.id = e.member_node_id
     WHERE e.id = ANY($1::text[]) ORDER BY e.id`,
    [ids],
  );
  return rows.map((r) => ({
    ...r,
    offerExpiresAt: iso(r.offerExpiresAt),
    requestedAt: iso(r.requestedAt) as string,
    updatedAt: iso(r.updatedAt) as string,
  }));
}
