import type { ResourceCategory, ResourcePayload, SharingScope } from "@maillage/schema";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Busy, Range } from "./availability.ts";

/**
 * The only file that reads the `resource` and `booking` tables for discovery. Plain SQL
 * through Prisma (`$queryRawUnsafe`): the proximity order and the keyset over it are not
 * expressible in Prisma's query API, and statements stay visible to Prisma's query log.
 */

/** A resource with the place that hosts it, as discovery shows it. */
export type ResourceRow = ResourcePayload & {
  id: string;
  ownerNodeId: string;
  updatedAt: Date;
  spaceName: string;
  communeCode: string;
  communeName: string;
  departmentCode: string;
  regionCode: string;
  /** The fabrique whose network hosts it (the hosting space itself for a fabrique). */
  networkId: string;
  fabriqueName: string;
  /** 0 same commune, 1 same EPCI, 2 same department, 3 same region (search with `near`). */
  tier: number | null;
};

/** Who is looking: the SQL form of canSeeResource. */
export type ResourceAudience = { kind: "national" } | { kind: "network"; fabriqueId: string };

export type Proximity = {
  communeCode: string;
  /** The commune's EPCI members (the commune alone when it has none). */
  epciCommunes: string[];
  departmentCode: string;
  regionCode: string;
  /** Furthest tier included: 0 commune … 3 region. */
  maxTier: 0 | 1 | 2 | 3;
};

export type ResourceCriteria = {
  audience: ResourceAudience;
  category?: ResourceCategory | undefined;
  sharingScope?: SharingScope | undefined;
  region?: string | undefined;
  department?: string | undefined;
  /** Resources requiring exactly this credential type. */
  credential?: string | undefined;
  /** Resources requiring no credential or one of these. */
  bookableWith?: string[] | undefined;
  /** Resources whose maximum booking is at least this long. */
  minMinutes?: number | undefined;
  near?: Proximity | undefined;
  /** Only AVAILABLE ones (an availability search); otherwise every status but RETIRED. */
  availableOnly: boolean;
};

/** Position in the (tier, name, id) order. */
export type ResourceCursor = { tier: number; name: string; id: string };

const COLUMNS = `r.id, r.owner_node_id AS "ownerNodeId", r.space_id AS "spaceId", r.name,
  r.category, r.description, r.sharing_scope AS "sharingScope",
  r.required_credential AS "requiredCredential", r.min_minutes AS "minMinutes",
  r.max_minutes AS "maxMinutes", r.lead_minutes AS "leadMinutes",
  r.cancel_deadline_minutes AS "cancelDeadlineMinutes", r.status, r.movable,
  r.approval_required AS "approvalRequired", r.windows, r.closures, r.updated_at AS "updatedAt",
  s.name AS "spaceName", s.commune_code AS "communeCode", s.commune_name AS "communeName",
  s.department_code AS "departmentCode", s.region_code AS "regionCode",
  coalesce(s.fabrique_id, s.id) AS "networkId", coalesce(f.name, s.name) AS "fabriqueName"`;
const FROM = `resource r JOIN space s ON s.id = r.space_id LEFT JOIN space f ON f.id = s.fabrique_id`;

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

function audienceSql(audience: ResourceAudience, p: Params): string {
  if (audience.kind === "national") return `r.sharing_scope = 'NATIONAL'`;
  return `(r.sharing_scope <> 'LOCAL' OR coalesce(s.fabrique_id, s.id) = ${p.add(audience.fabriqueId)})`;
}

function whereSql(c: ResourceCriteria, p: Params): string {
  const where = [audienceSql(c.audience, p), `s.status = 'OPEN'`];
  where.push(c.availableOnly ? `r.status = 'AVAILABLE'` : `r.status <> 'RETIRED'`);
  if (c.category) where.push(`r.category = ${p.add(c.category)}`);
  if (c.sharingScope) where.push(`r.sharing_scope = ${p.add(c.sharingScope)}`);
  if (c.region) where.push(`s.region_code = ${p.add(c.region)}`);
  if (c.department) where.push(`s.department_code = ${p.add(c.department)}`);
  if (c.credential) where.push(`r.required_credential = ${p.add(c.credential)}`);
  if (c.bookableWith) {
    where.push(
      `(r.required_credential IS NULL OR r.required_credential = ANY(${p.add(c.bookableWith, "::text[]")}))`,
    );
  }
  if (c.minMinutes !== undefined) where.push(`r.max_minutes >= ${p.add(c.minMinutes, "::int")}`);
  if (c.near) {
    // Parameters are added only where used: an unused one has no type PostgreSQL can infer.
    const n = c.near;
    const epci = () => `s.commune_code = ANY(${p.add(n.epciCommunes, "::text[]")})`;
    if (n.maxTier === 0) where.push(`s.commune_code = ${p.add(n.communeCode)}`);
    else if (n.maxTier === 1) where.push(epci());
    else if (n.maxTier === 2)
      where.push(`(s.department_code = ${p.add(n.departmentCode)} OR ${epci()})`);
    else where.push(`(s.region_code = ${p.add(n.regionCode)} OR ${epci()})`);
  }
  return where.join(" AND ");
}

function tierSql(near: Proximity | undefined, p: Params): string {
  if (!near) return "0";
  return `CASE WHEN s.commune_code = ${p.add(near.communeCode)} THEN 0
    WHEN s.commune_code = ANY(${p.add(near.epciCommunes, "::text[]")}) THEN 1
    WHEN s.department_code = ${p.add(near.departmentCode)} THEN 2
    WHEN s.region_code = ${p.add(near.regionCode)} THEN 3 ELSE 4 END`;
}

export type ResourceRepository = ReturnType<typeof createResourceRepository>;

export function createResourceRepository(prisma: PrismaClient) {
  const query = <Row>(sql: string, values: unknown[]) =>
    prisma.$queryRawUnsafe<Row[]>(sql, ...values);

  return {
    /** The next `limit` resources matching `criteria` after `after`, by (tier, name, id). */
    search(
      criteria: ResourceCriteria,
      after: ResourceCursor | null,
      limit: number,
    ): Promise<ResourceRow[]> {
      const p = params();
      const tier = tierSql(criteria.near, p);
      const where = whereSql(criteria, p);
      const keyset = after
        ? `WHERE (c.tier, c.name, c.id) > (${p.add(after.tier, "::int")}, ${p.add(after.name)}, ${p.add(after.id)})`
        : "";
      return query<ResourceRow>(
        `SELECT c.* FROM (SELECT ${COLUMNS}, ${tier} AS tier FROM ${FROM} WHERE ${where}) c
         ${keyset} ORDER BY c.tier, c.name, c.id LIMIT ${p.add(limit, "::int")}`,
        p.values,
      );
    },

    async count(criteria: ResourceCriteria): Promise<number> {
      const p = params();
      const [row] = await query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${FROM} WHERE ${whereSql(criteria, p)}`,
        p.values,
      );
      return row?.n ?? 0;
    },

    /** Resources by id, whatever their status (visibility is the caller's business). */
    byIds(ids: readonly string[]): Promise<ResourceRow[]> {
      if (ids.length === 0) return Promise.resolve([]);
      return query<ResourceRow>(
        `SELECT ${COLUMNS}, NULL::int AS tier FROM ${FROM} WHERE r.id = ANY($1::text[])`,
        [ids],
      );
    },

    /**
     * Confirmed bookings and loans of these resources overlapping the range: one statement,
     * walking the (resource_id, ends_at) index from the range's start (not each resource's
     * whole past). Overdue loans are not extended: BOOKING payloads carry no loan status.
     */
    async busy(resourceIds: readonly string[], range: Range): Promise<Map<string, Busy[]>> {
      const byResource = new Map<string, Busy[]>();
      if (resourceIds.length === 0) return byResource;
      const rows = await query<{ resourceId: string; from: number; to: number }>(
        `SELECT resource_id AS "resourceId",
                (extract(epoch FROM starts_at) * 1000)::float8 AS "from",
                (extract(epoch FROM ends_at) * 1000)::float8 AS "to"
         FROM booking
         WHERE resource_id = ANY($1::text[]) AND status = 'CONFIRMED'
           AND ends_at > $2::timestamp AND starts_at < $3::timestamp`,
        [resourceIds, range.from.toISOString(), range.to.toISOString()],
      );
      for (const row of rows) {
        const list = byResource.get(row.resourceId);
        const busy = { from: Number(row.from), to: Number(row.to) };
        if (list) list.push(busy);
        else byResource.set(row.resourceId, [busy]);
      }
      return byResource;
    },
  };
}
