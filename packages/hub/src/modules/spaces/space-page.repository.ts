import type { SqlSession } from "@maillage/storage";
import type { Space } from "../../generated/prisma/client.ts";

/**
 * The `spaces` connection's page in one SQL statement through the store, for the selections
 * that lists ask for most (a space's own fields, its commune, its fabrique's own fields):
 * Prisma's per-call query compiler cost more than the rest of the request on that path.
 * Anything else Pothos would have Prisma load (counts, deeper relations, backward pages) is
 * left to Prisma: `spacePageOf` answers undefined and the caller falls back.
 */

/** The conditions of `space` rows, as SQL on alias `s` with positional parameters. */
export type SpaceConditions = {
  /** What the caller sees: NATIONAL all, a fabrique's team its network, anyone else nothing. */
  visible: "all" | "nothing" | { network: string };
  kind?: "FABRIQUE" | "SATELLITE" | null | undefined;
  status?: "OPEN" | "CLOSED" | null | undefined;
  regionCode?: string | null | undefined;
  departmentCode?: string | null | undefined;
  rural?: boolean | null | undefined;
  /** Spaces of this fabrique's network (itself included). */
  fabriqueId?: string | null | undefined;
};

/** Pothos's findMany arguments for a connection page (plugin-prisma's `query`). */
export type PrismaPageQuery = {
  include?: Record<string, unknown>;
  select?: Record<string, unknown>;
  take?: number;
  skip?: number;
  cursor?: Record<string, unknown>;
};

/** Every column of `space` under its Prisma name; dates read as UTC like Prisma's. */
const COLUMNS: [field: keyof Space, sql: string][] = [
  ["id", "id"],
  ["kind", "kind"],
  ["name", "name"],
  ["communeCode", "commune_code"],
  ["communeName", "commune_name"],
  ["departmentCode", "department_code"],
  ["regionCode", "region_code"],
  ["population", "population"],
  ["rural", "rural"],
  ["services", "services"],
  ["openingHours", "opening_hours"],
  ["status", "status"],
  ["closedAt", "(#.closed_at AT TIME ZONE 'UTC')"],
  ["ownerNodeId", "owner_node_id"],
  ["lastActivityDay", "(#.last_activity_day::timestamp AT TIME ZONE 'UTC')"],
  ["fabriqueId", "fabrique_id"],
  ["createdAt", "(#.created_at AT TIME ZONE 'UTC')"],
  ["updatedAt", "(#.updated_at AT TIME ZONE 'UTC')"],
];

function columnsOf(alias: string, prefix: string): string {
  return COLUMNS.map(([field, sql]) => {
    const expr = sql.includes("#") ? sql.replaceAll("#", alias) : `${alias}.${sql}`;
    return `${expr} AS "${prefix}${field}"`;
  }).join(", ");
}

/** The statement's head, written once: the space's columns, and its fabrique's (prefix `f.`). */
const SELECT_SPACES = `SELECT ${columnsOf("s", "")} FROM space s`;
const SELECT_SPACES_WITH_FABRIQUE =
  `SELECT ${columnsOf("s", "")}, ${columnsOf("f", "f.")} ` +
  "FROM space s LEFT JOIN space f ON f.id = s.fabrique_id";

function rowOf(raw: Record<string, unknown>, prefix: string): Space {
  const row: Record<string, unknown> = {};
  for (const [field] of COLUMNS) row[field] = raw[`${prefix}${field}`];
  return row as Space;
}

/** Is this relation's Prisma selection the related row's own columns only? */
function scalarsOnly(selection: unknown): boolean {
  if (selection === true) return true;
  if (typeof selection !== "object" || selection === null) return false;
  const keys = Object.keys(selection);
  if (keys.length === 0) return true;
  if (keys.length !== 1 || keys[0] !== "include") return false;
  const include = (selection as { include: unknown }).include;
  return typeof include === "object" && include !== null && Object.keys(include).length === 0;
}

/**
 * The rows Prisma's `findMany({ ...query, where, orderBy: { id: "asc" } })` would return, or
 * undefined when `query` asks for something this statement does not load.
 */
export async function spacePageOf(
  sql: SqlSession,
  query: PrismaPageQuery,
  where: SpaceConditions,
): Promise<(Space & { fabrique?: Space | null })[] | undefined> {
  if (query.select !== undefined) return undefined;
  const include = query.include ?? {};
  for (const [relation, selection] of Object.entries(include)) {
    if (relation !== "fabrique" || !scalarsOnly(selection)) return undefined;
  }
  const take = query.take;
  const skip = query.skip ?? 0;
  if (take === undefined || take < 0 || skip < 0) return undefined;
  const cursor = query.cursor;
  if (
    cursor !== undefined &&
    (Object.keys(cursor).join() !== "id" || typeof cursor.id !== "string")
  ) {
    return undefined;
  }
  if (where.visible === "nothing") return [];

  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions: string[] = [];
  if (where.visible !== "all") {
    const p = param(where.visible.network);
    conditions.push(`(s.id = ${p} OR s.fabrique_id = ${p})`);
  }
  if (where.kind) conditions.push(`s.kind = ${param(where.kind)}::"SpaceKind"`);
  if (where.status) conditions.push(`s.status = ${param(where.status)}::"SpaceStatus"`);
  if (where.regionCode) conditions.push(`s.region_code = ${param(where.regionCode)}`);
  if (where.departmentCode) conditions.push(`s.department_code = ${param(where.departmentCode)}`);
  if (where.rural != null) conditions.push(`s.rural = ${param(where.rural)}`);
  if (where.fabriqueId) {
    const p = param(where.fabriqueId);
    conditions.push(`(s.id = ${p} OR s.fabrique_id = ${p})`);
  }
  // Prisma's cursor: from the cursor's row on, in the page's order (none if it is unknown).
  if (cursor)
    conditions.push(`s.id >= (SELECT c.id FROM space c WHERE c.id = ${param(cursor.id)})`);

  const withFabrique = "fabrique" in include;
  const text =
    (withFabrique ? SELECT_SPACES_WITH_FABRIQUE : SELECT_SPACES) +
    (conditions.length > 0 ? ` WHERE ${conditions.join(" AND ")}` : "") +
    ` ORDER BY s.id ASC LIMIT ${param(take)} OFFSET ${param(skip)}`;
  const rows = await sql.query<Record<string, unknown>>(text, params);
  return rows.map((raw) => {
    const space: Space & { fabrique?: Space | null } = rowOf(raw, "");
    if (withFabrique) space.fabrique = raw["f.id"] == null ? null : rowOf(raw, "f.");
    return space;
  });
}
