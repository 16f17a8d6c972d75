import { byKey } from "../mutualisation/booking-rollup.repository.ts";
import type { Sql } from "../sync/change-log.repository.ts";

/**
 * The monthly mobility rollup (mobility_rollup), kept by deltas in the push transaction.
 *
 * Only visits AWAY from home count (the visited space is not the member's home space). Each
 * counts in its calendar month (of its `day`, the visited space's local date) under nine flows,
 * from the home side (origin) to the visited side (destination): territory → territory
 * (NETWORK: a fabrique and its satellites), territory → anywhere, anywhere → territory, the
 * same for the fabriques' DEPARTMENT and REGION, region → region, and ALL → ALL (the nation).
 * `visits` adds up; `members` is the number of distinct members behind the flow that month,
 * kept from member-level presence rows (mobility_presence: month, member, origin territory,
 * destination territory, visits): a member counts once per flow and month however many visits.
 *
 * Applying VISIT events reads the visits they touch before and after writing them and the
 * presence rows of the members and months concerned, and writes the difference (presence
 * rows, then rollup rows, each in primary-key order: concurrent pushes never deadlock).
 * Erasure deletes a member's presence rows and leaves the counts as they are (`erasePresence`).
 * One SQL definition of the rollup from the visits (`recomputeSql`) serves the seed and the
 * tests' recomputation.
 */

export type FlowLevel = "NETWORK" | "DEPARTMENT" | "REGION" | "ALL";

/** A visit away from home as the rollup sees it. */
export type VisitFact = {
  id: string;
  member_id: string | null;
  /** First day of the month, YYYY-MM-DD. */
  month: string;
  o: string;
  d: string;
  od: string;
  or: string;
  dd: string;
  dr: string;
};

export type PresenceRow = {
  month: string;
  member_id: string;
  o: string;
  d: string;
  od: string;
  or: string;
  dd: string;
  dr: string;
  visits: number;
};

export type RollupDelta = {
  month: string;
  origin_level: FlowLevel;
  origin_id: string;
  dest_level: FlowLevel;
  dest_id: string;
  visits: number;
  members: number;
};

type Geo = Pick<VisitFact, "o" | "d" | "od" | "or" | "dd" | "dr">;

/** The nine flows a visit (or a presence row) counts in: [originLevel, originId, destLevel, destId]. */
export function flowsOf(g: Geo): [FlowLevel, string, FlowLevel, string][] {
  return [
    ["NETWORK", g.o, "NETWORK", g.d],
    ["NETWORK", g.o, "ALL", "FR"],
    ["ALL", "FR", "NETWORK", g.d],
    ["DEPARTMENT", g.od, "ALL", "FR"],
    ["ALL", "FR", "DEPARTMENT", g.dd],
    ["REGION", g.or, "ALL", "FR"],
    ["ALL", "FR", "REGION", g.dr],
    ["REGION", g.or, "REGION", g.dr],
    ["ALL", "FR", "ALL", "FR"],
  ];
}

/** The same nine flows as SQL (a LATERAL VALUES over columns o, d, od, "or", dd, dr of `x`). */
export const FLOWS_SQL = `(VALUES ('NETWORK', x.o, 'NETWORK', x.d), ('NETWORK', x.o, 'ALL', 'FR'),
                           ('ALL', 'FR', 'NETWORK', x.d), ('DEPARTMENT', x.od, 'ALL', 'FR'),
                           ('ALL', 'FR', 'DEPARTMENT', x.dd), ('REGION', x."or", 'ALL', 'FR'),
                           ('ALL', 'FR', 'REGION', x.dr), ('REGION', x."or", 'REGION', x.dr),
                           ('ALL', 'FR', 'ALL', 'FR'))
      AS k(origin_level, origin_id, dest_level, dest_id)`;

const flowKey = (month: string, f: [string, string, string, string]) => `${month}|${f.join("|")}`;
const presenceKey = (p: { month: string; member_id: string; o: string; d: string }) =>
  `${p.month}|${p.member_id}|${p.o}|${p.d}`;
const memberMonth = (p: { month: string; member_id: string }) => `${p.month}|${p.member_id}`;

/**
 * What changes when visits go from `before` to `after` (the same ids; a missing one was
 * created or deleted), given the current presence rows of the members and months concerned.
 * Members in `erased` (their visits anonymised by this change) leave the distinct counts as
 * they are: their presence rows go (see erasePresence), their visits still count.
 */
export function mobilityDeltas(
  before: VisitFact[],
  after: VisitFact[],
  presence: PresenceRow[],
  erased: ReadonlySet<string> = new Set(),
): { presence: PresenceRow[]; rollup: RollupDelta[] } {
  const rollup = new Map<string, RollupDelta>();
  const delta = (month: string, f: [FlowLevel, string, FlowLevel, string]) => {
    const key = flowKey(month, f);
    let row = rollup.get(key);
    if (!row) {
      row = {
        month,
        origin_level: f[0],
        origin_id: f[1],
        dest_level: f[2],
        dest_id: f[3],
        visits: 0,
        members: 0,
      };
      rollup.set(key, row);
    }
    return row;
  };
  for (const v of before) for (const f of flowsOf(v)) delta(v.month, f).visits--;
  for (const v of after) for (const f of flowsOf(v)) delta(v.month, f).visits++;

  // Presence rows as they are, and as the change leaves them.
  const original = new Map(presence.map((p) => [presenceKey(p), p]));
  const final = new Map(presence.map((p) => [presenceKey(p), { ...p }]));
  const touched = new Set<string>();
  for (const [sign, list] of [
    [-1, before],
    [1, after],
  ] as const) {
    for (const v of list) {
      if (v.member_id === null || erased.has(v.member_id)) continue;
      const p = { ...v, member_id: v.member_id, visits: 0 };
      const key = presenceKey(p);
      const row = final.get(key) ?? p;
      row.visits += sign;
      final.set(key, row);
      touched.add(memberMonth(p));
    }
  }
  // Distinct members: each member-month concerned counts once in each flow of its rows.
  const countMembers = (rows: Iterable<PresenceRow>, sign: 1 | -1) => {
    const seen = new Set<string>();
    for (const p of rows) {
      if (p.visits <= 0 || !touched.has(memberMonth(p))) continue;
      for (const f of flowsOf(p)) {
        const key = `${memberMonth(p)}#${flowKey(p.month, f)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        delta(p.month, f).members += sign;
      }
    }
  };
  countMembers(original.values(), -1);
  countMembers(final.values(), 1);

  const changedPresence = [...final.entries()]
    .filter(([key, p]) => p.visits !== (original.get(key)?.visits ?? 0))
    .map(([, p]) => p)
    .sort(byKey((p) => [p.month, p.member_id, p.o, p.d]));
  return {
    presence: changedPresence,
    rollup: [...rollup.values()]
      .filter((r) => r.visits !== 0 || r.members !== 0)
      .sort(byKey((r) => [r.month, r.origin_level, r.origin_id, r.dest_level, r.dest_id])),
  };
}

/** The given visits as the rollup sees them (visits at the member's home space left out). */
export async function visitFacts(sql: Sql, ids: string[]): Promise<VisitFact[]> {
  if (ids.length === 0) return [];
  return sql.query<VisitFact>(
    `SELECT id, member_id, to_char(date_trunc('month', day), 'YYYY-MM-DD') AS month,
            home_network_id AS o, network_id AS d, home_department AS od, home_region AS "or",
            department AS dd, region AS dr
     FROM visit WHERE id = ANY($1::text[]) AND space_id <> home_space_id`,
    [ids],
  );
}

/**
 * Two pushes counting the same member in the same month (visits at two nodes) would both see
 * it absent from a shared flow (its region, the nation) and both add it: each takes these
 * member-months' transaction locks first, in one order (no deadlock), before reading presence.
 */
export async function lockMemberMonths(
  sql: Sql,
  keys: { month: string; member_id: string }[],
): Promise<void> {
  if (keys.length === 0) return;
  await sql.query(
    `SELECT count(*)::int AS locked
     FROM (SELECT pg_advisory_xact_lock(s.h)
           FROM (SELECT DISTINCT hashtextextended('mobility:' || k, 0) AS h
                 FROM unnest($1::text[]) AS k ORDER BY 1) s) l`,
    [[...new Set(keys.map((k) => `${k.month}|${k.member_id}`))]],
  );
}

/** Presence rows of these members in these months. */
export async function presenceOf(
  sql: Sql,
  keys: { month: string; member_id: string }[],
): Promise<PresenceRow[]> {
  if (keys.length === 0) return [];
  return sql.query<PresenceRow>(
    `SELECT to_char(p.month, 'YYYY-MM-DD') AS month, p.member_id, p.origin_network_id AS o,
            p.dest_network_id AS d, p.origin_department AS od, p.origin_region AS "or",
            p.dest_department AS dd, p.dest_region AS dr, p.visits
     FROM (SELECT DISTINCT month, member_id
           FROM jsonb_to_recordset($1::jsonb) AS k(month date, member_id text)) k
     JOIN mobility_presence p ON p.month = k.month AND p.member_id = k.member_id`,
    [JSON.stringify(keys)],
  );
}

/** Writes presence rows (their new visit counts; at 0 they go) and rollup deltas. */
export async function writeDeltas(
  sql: Sql,
  deltas: { presence: PresenceRow[]; rollup: RollupDelta[] },
): Promise<void> {
  const kept = deltas.presence.filter((p) => p.visits > 0);
  const gone = deltas.presence.filter((p) => p.visits <= 0);
  if (kept.length > 0) {
    await sql.query(
      `INSERT INTO mobility_presence (month, member_id, origin_network_id, dest_network_id,
                                      origin_department, origin_region, dest_department,
                                      dest_region, visits)
       SELECT p.month, p.member_id, p.o, p.d, p.od, p."or", p.dd, p.dr, p.visits
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (month date, member_id text, o text,
            d text, od text, "or" text, dd text, dr text, visits int)) WITH ORDINALITY
            AS p(month, member_id, o, d, od, "or", dd, dr, visits, n)
       ORDER BY p.n
       ON CONFLICT (month, member_id, origin_network_id, dest_network_id)
       DO UPDATE SET visits = EXCLUDED.visits`,
      [JSON.stringify(kept)],
    );
  }
  if (gone.length > 0) {
    await sql.query(
      `DELETE FROM mobility_presence p
       USING jsonb_to_recordset($1::jsonb) AS g(month date, member_id text, o text, d text)
       WHERE p.month = g.month AND p.member_id = g.member_id AND p.origin_network_id = g.o
         AND p.dest_network_id = g.d`,
      [JSON.stringify(gone)],
    );
  }
  if (deltas.rollup.length === 0) return;
  await sql.query(
    `INSERT INTO mobility_rollup (month, origin_level, origin_id, dest_level, dest_id, visits,
                                  members)
     SELECT d.month, d.origin_level, d.origin_id, d.dest_level, d.dest_id, d.visits, d.members
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (month date, origin_level text,
          origin_id text, dest_level text, dest_id text, visits int, members int))
          WITH ORDINALITY AS d(month, origin_level, origin_id, dest_level, dest_id, visits,
                               members, n)
     ORDER BY d.n
     ON CONFLICT (month, origin_level, origin_id, dest_level, dest_id) DO UPDATE SET
       visits = mobility_rollup.visits + EXCLUDED.visits,
       members = mobility_rollup.members + EXCLUDED.members`,
    [JSON.stringify(deltas.rollup)],
  );
  const emptied = deltas.rollup.filter((d) => d.visits < 0);
  if (emptied.length === 0) return;
  await sql.query(
    `DELETE FROM mobility_rollup r
     USING jsonb_to_recordset($1::jsonb) AS d(month date, origin_level text, origin_id text,
       dest_level text, dest_id text)
     WHERE r.month = d.month AND r.origin_level = d.origin_level AND r.origin_id = d.origin_id
       AND r.dest_level = d.dest_level AND r.dest_id = d.dest_id
       AND r.visits = 0 AND r.members = 0`,
    [JSON.stringify(emptied)],
  );
}

/**
 * Visits whose rollup contribution `write` may change, as written before and after, and the
 * difference added. `erased`: members whose visits `write` anonymises (counts kept).
 */
export async function withMobilityRollup(
  sql: Sql,
  visitIds: string[],
  write: () => Promise<void>,
  erased: ReadonlySet<string> = new Set(),
): Promise<void> {
  const ids = [...new Set(visitIds)];
  const before = await visitFacts(sql, ids);
  await write();
  const after = await visitFacts(sql, ids);
  const keys = [...before, ...after]
    .filter((v) => v.member_id !== null && !erased.has(v.member_id))
    .map((v) => ({ month: v.month, member_id: v.member_id as string }));
  await lockMemberMonths(sql, keys);
  const presence = await presenceOf(sql, keys);
  await writeDeltas(sql, mobilityDeltas(before, after, presence, erased));
  await erasePresence(sql, [...erased]);
}

/** Erasure: the members' presence rows go; the counts they made stay in the rollup. */
export async function erasePresence(sql: Sql, memberIds: string[]): Promise<void> {
  if (memberIds.length === 0) return;
  await sql.query("DELETE FROM mobility_presence WHERE member_id = ANY($1::text[])", [memberIds]);
}

/**
 * The presence rows and the rollup computed from the visits matching `where` (on `x`, the
 * visit), as SQL: what the deltas keep, for the seed and the tests. Columns of the rollup:
 * month, origin_level, origin_id, dest_level, dest_id, visits, members.
 */
export function presenceSql(where: string): string {
  return `
    SELECT date_trunc('month', x.day)::date AS month, x.member_id, x.home_network_id AS o,
           x.network_id AS d, x.home_department AS od, x.home_region AS "or",
           x.department AS dd, x.region AS dr, count(*)::int AS visits
    FROM visit x
    WHERE x.space_id <> x.home_space_id AND x.member_id IS NOT NULL AND (${where})
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`;
}

export function recomputeSql(where: string): string {
  return `
    WITH v AS (
      SELECT date_trunc('month', x.day)::date AS month, k.*, count(*)::int AS visits
      FROM (SELECT day, home_network_id AS o, network_id AS d, home_department AS od,
                   home_region AS "or", department AS dd, region AS dr
            FROM visit x WHERE x.space_id <> x.home_space_id AND (${where})) x
      CROSS JOIN LATERAL ${FLOWS_SQL}
      GROUP BY 1, 2, 3, 4, 5
    ), m AS (
      SELECT x.month, k.*, count(DISTINCT x.member_id)::int AS members
      FROM (${presenceSql(where)}) x
      CROSS JOIN LATERAL ${FLOWS_SQL}
      GROUP BY 1, 2, 3, 4, 5
    )
    SELECT v.month, v.origin_level, v.origin_id, v.dest_level, v.dest_id, v.visits,
           coalesce(m.members, 0) AS members
    FROM v LEFT JOIN m USING (month, origin_level, origin_id, dest_level, dest_id)`;
}
