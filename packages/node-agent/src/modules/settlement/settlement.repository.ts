import type { SqlSession } from "@maillage/storage";
import type { PricedVisit } from "./pricing.ts";

/**
 * A space's network: a fabrique is its own, a satellite its fabrique's; a space with no row
 * here (this node's own fabrique before its record came back) counts as its own.
 */
const NETWORK_OF = (s: string, id: string) =>
  `COALESCE(CASE WHEN ${s}.kind = 'SATELLITE' THEN ${s}.fabrique_id END, ${id})`;

/**
 * Reads what a settlement statement is computed from: the VISIT records this node holds (its
 * own spaces' visits, and its members' visits elsewhere, received from the visited nodes) and
 * the places' names. Nothing here writes.
 */
export const settlementRepository = {
  /**
   * The visits of a month between two networks, both directions (home in one, visited space in
   * the other), in id order.
   */
  async visitsBetween(
    db: SqlSession,
    month: string,
    networkA: string,
    networkB: string,
  ): Promise<PricedVisit[]> {
    const rows = await db.query<{
      id: string;
      member_id: string | null;
      erased_day_key: string | null;
      home_space_id: string;
      space_id: string;
      day: string;
    }>(
      `SELECT v.id, v.member_id, v.erased_day_key, v.home_space_id, v.space_id,
              to_char(v.day::date, 'YYYY-MM-DD') AS day
         FROM visit v
         LEFT JOIN space h ON h.id = v.home_space_id
         LEFT JOIN space s ON s.id = v.space_id
        WHERE v.day::date >= $1::date AND v.day::date < ($1::date + INTERVAL '1 month')::date
          AND ((${NETWORK_OF("h", "v.home_space_id")} = $2 AND ${NETWORK_OF("s", "v.space_id")} = $3)
            OR (${NETWORK_OF("h", "v.home_space_id")} = $3 AND ${NETWORK_OF("s", "v.space_id")} = $2))
        ORDER BY v.id`,
      [`${month}-01`, networkA, networkB],
    );
    return rows.map((r) => ({
      id: r.id,
      memberId: r.member_id,
      erasedDayKey: r.erased_day_key,
      homeSpaceId: r.home_space_id,
      spaceId: r.space_id,
      day: r.day,
    }));
  },

  /** The network (fabrique id) of each of these spaces known here, and its name. */
  async places(
    db: SqlSession,
    ids: string[],
  ): Promise<Map<string, { name: string; networkId: string }>> {
    if (ids.length === 0) return new Map();
    const rows = await db.query<{ id: string; name: string | null; network_id: string }>(
      `SELECT i.id, s.name, ${NETWORK_OF("s", "i.id")} AS network_id
         FROM unnest($1::text[]) AS i(id) LEFT JOIN space s ON s.id = i.id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { name: r.name ?? r.id, networkId: r.network_id }]));
  },
};
