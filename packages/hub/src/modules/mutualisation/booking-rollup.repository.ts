import type { Sql } from "../sync/change-log.repository.ts";

/**
 * The daily rollup of confirmed bookings (booking_rollup), per scope — the nation, the region,
 * department and fabrique territory of the resource's host space — and Europe/Paris day of the
 * booking's start: bookings (loans included), booked minutes (the whole slot, on its first
 * day), cross-node bookings (answering another node's request) and loans.
 *
 * Applying BOOKING events reads the contributions of the bookings it touches before and after
 * writing them, and adds the difference, in the same transaction: a booking cancelled, moved,
 * deleted or re-sent counts once, with its latest state. One SQL definition of a booking's
 * contribution (`contributions`) serves this path, the seed and the migration's backfill.
 */

export type Contribution = {
  scope: string;
  scope_id: string;
  day: string;
  bookings: number;
  booked_minutes: number;
  cross_node: number;
  loans: number;
};

/**
 * Rollup rows of the CONFIRMED bookings matching `where` (on `b`, the booking row), grouped
 * per scope and day, as SQL. Columns: scope, scope_id, day (date), bookings, booked_minutes,
 * cross_node, loans.
 */
export function contributionsSql(where: string): string {
  return `
    SELECT k.scope, k.scope_id, c.day, count(*)::int AS bookings,
           sum(c.minutes)::bigint AS booked_minutes,
           count(*) FILTER (WHERE c.cross_node)::int AS cross_node,
           count(*) FILTER (WHERE c.loan)::int AS loans
    FROM (
      SELECT ((b.starts_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Paris')::date AS day,
             floor(extract(epoch FROM b.ends_at - b.starts_at) / 60)::bigint AS minutes,
             b.request_id IS NOT NULL AS cross_node, b.kind = 'LOAN' AS loan,
             s.region_code, s.department_code, coalesce(s.fabrique_id, s.id) AS network_id
      FROM booking b JOIN resource r ON r.id = b.resource_id JOIN space s ON s.id = r.space_id
      WHERE b.status = 'CONFIRMED' AND (${where})
    ) c
    CROSS JOIN LATERAL (VALUES ('NATION', 'FR'), ('REGION', c.region_code),
                               ('DEPARTMENT', c.department_code), ('FABRIQUE', c.network_id))
      AS k(scope, scope_id)
    GROUP BY k.scope, k.scope_id, c.day`;
}

async function contributions(sql: Sql, where: string, ids: string[]): Promise<Contribution[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<Omit<Contribution, "booked_minutes"> & { booked_minutes: string }>(
    `SELECT scope, scope_id, to_char(day, 'YYYY-MM-DD') AS day, bookings,
            booked_minutes::text AS booked_minutes, cross_node, loans
     FROM (${contributionsSql(where)}) x`,
    [ids],
  );
  return rows.map((r) => ({ ...r, booked_minutes: Number(r.booked_minutes) }));
}

/** What the given bookings (by id) count for in the rollup, as the hub holds them now. */
export function contributionsOfBookings(sql: Sql, ids: string[]): Promise<Contribution[]> {
  return contributions(sql, "b.id = ANY($1::text[])", ids);
}

/** What the bookings of the given resources count for, as the hub holds them now. */
export function contributionsOfResources(sql: Sql, ids: string[]): Promise<Contribution[]> {
  return contributions(sql, "b.resource_id = ANY($1::text[])", ids);
}

/** What the bookings of the resources hosted at the given spaces count for, as held now. */
export function contributionsOfSpaces(sql: Sql, spaceIds: string[]): Promise<Contribution[]> {
  return contributions(sql, "r.space_id = ANY($1::text[])", spaceIds);
}

/**
 * A comparator of rows by a key (a tuple of strings, compared in turn by code point): the one
 * order every upsert of a rollup takes its rows in.
 */
export function byKey<T>(key: (row: T) => string[]): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      const x = ka[i] ?? "";
      const y = kb[i] ?? "";
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

/** Adds `after` minus `before` to the rollup (rows with no difference are not written). */
export async function addContributionDeltas(
  sql: Sql,
  before: Contribution[],
  after: Contribution[],
): Promise<void> {
  const deltas = new Map<string, Contribution>();
  const add = (row: Contribution, sign: 1 | -1) => {
    const key = `${row.scope}|${row.scope_id}|${row.day}`;
    const delta = deltas.get(key) ?? {
      scope: row.scope,
      scope_id: row.scope_id,
      day: row.day,
      bookings: 0,
      booked_minutes: 0,
      cross_node: 0,
      loans: 0,
    };
    delta.bookings += sign * row.bookings;
    delta.booked_minutes += sign * row.booked_minutes;
    delta.cross_node += sign * row.cross_node;
    delta.loans += sign * row.loans;
    deltas.set(key, delta);
  };
  for (const row of before) add(row, -1);
  for (const row of after) add(row, 1);
  // In primary-key order, kept by the statement (WITH ORDINALITY … ORDER BY): PostgreSQL locks
  // the rows as the input comes, so two pushes touching the same rows lock them in the same
  // order and never deadlock.
  const changed = [...deltas.values()]
    .filter((d) => d.bookings || d.booked_minutes || d.cross_node || d.loans)
    .sort(byKey((d) => [d.scope, d.scope_id, d.day]));
  if (changed.length === 0) return;
  await sql.query(
    `INSERT INTO booking_rollup (scope, scope_id, day, bookings, booked_minutes, cross_node, loans)
     SELECT d.scope::"RollupScope", d.scope_id, d.day, d.bookings, d.booked_minutes, d.cross_node,
            d.loans
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (scope text, scope_id text, day date,
          bookings int, booked_minutes bigint, cross_node int, loans int))
          WITH ORDINALITY AS d(scope, scope_id, day, bookings, booked_minutes, cross_node, loans, n)
     ORDER BY d.n
     ON CONFLICT (scope, scope_id, day) DO UPDATE SET
       bookings = booking_rollup.bookings + EXCLUDED.bookings,
       booked_minutes = booking_rollup.booked_minutes + EXCLUDED.booked_minutes,
       cross_node = booking_rollup.cross_node + EXCLUDED.cross_node,
       loans = booking_rollup.loans + EXCLUDED.loans`,
    [JSON.stringify(changed)],
  );
  // A day whose bookings all went leaves no row behind (the seed writes none for it either).
  const emptied = changed.filter((d) => d.bookings < 0);
  if (emptied.length === 0) return;
  await sql.query(
    `DELETE FROM booking_rollup r USING jsonb_to_recordset($1::jsonb) AS d(scope text, scope_id text, day date)
     WHERE r.scope = d.scope::"RollupScope" AND r.scope_id = d.scope_id AND r.day = d.day
       AND r.bookings = 0 AND r.booked_minutes = 0 AND r.cross_node = 0 AND r.loans = 0`,
    [JSON.stringify(emptied)],
  );
}

/** Spaces whose resources `ids` are hosted at, before a write moves them. */
export async function hostsOf(sql: Sql, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.query<{ id: string; space_id: string }>(
    "SELECT id, space_id FROM resource WHERE id = ANY($1::text[])",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.space_id]));
}
