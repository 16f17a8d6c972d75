import type { TariffPayload } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

/** A tariff version of a space as the agent stores it (amounts in integer euro cents). */
export type TariffRecord = {
  spaceId: string;
  /** YYYY-MM-DD: the first day (the visited space's local date) it applies to. */
  validFrom: string;
  perVisitCents: number | null;
  perDayCents: number | null;
  /** True at the space's node (the only one that sets it); replicas elsewhere. */
  owned: boolean;
  updatedAt: Date;
};

type Row = {
  space_id: string;
  valid_from: string;
  per_visit_cents: number | null;
  per_day_cents: number | null;
  owned: boolean;
  updated_at: Date;
};

const COLUMNS =
  "space_id, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, per_visit_cents, per_day_cents, owned, updated_at";

function toRecord(row: Row): TariffRecord {
  return {
    spaceId: row.space_id,
    validFrom: row.valid_from,
    perVisitCents: row.per_visit_cents === null ? null : Number(row.per_visit_cents),
    perDayCents: row.per_day_cents === null ? null : Number(row.per_day_cents),
    owned: row.owned,
    updatedAt: new Date(row.updated_at),
  };
}

export function tariffPayloadOf(t: TariffRecord): TariffPayload {
  return {
    spaceId: t.spaceId,
    validFrom: t.validFrom,
    perVisitCents: t.perVisitCents,
    perDayCents: t.perDayCents,
  };
}

/** The only file that reads and writes `tariff`. */
export const tariffRepository = {
  async ofSpace(db: SqlSession, spaceId: string): Promise<TariffRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM tariff WHERE space_id = $1 ORDER BY valid_from`,
      [spaceId],
    );
    return rows.map(toRecord);
  },

  /** Every version of these spaces starting on or before `until` (YYYY-MM-DD). */
  async ofSpacesUntil(db: SqlSession, spaceIds: string[], until: string): Promise<TariffRecord[]> {
    if (spaceIds.length === 0) return [];
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM tariff WHERE space_id = ANY($1::text[]) AND valid_from <= $2::date
       ORDER BY space_id, valid_from`,
      [spaceIds, until],
    );
    return rows.map(toRecord);
  },

  async saveOwned(db: SqlSession, t: TariffPayload): Promise<TariffRecord> {
    const rows = await db.query<Row>(
      `INSERT INTO tariff (space_id, valid_from, per_visit_cents, per_day_cents, owned)
       VALUES ($1, $2::date, $3, $4, TRUE)
       ON CONFLICT (space_id, valid_from) DO UPDATE SET per_visit_cents = EXCLUDED.per_visit_cents,
         per_day_cents = EXCLUDED.per_day_cents, owned = TRUE, updated_at = now()
       RETURNING ${COLUMNS}`,
      [t.spaceId, t.validFrom, t.perVisitCents, t.perDayCents],
    );
    return toRecord(rows[0] as Row);
  },

  /** A version pulled from the space's node; one set here is never overwritten. */
  async upsertReplica(db: SqlSession, t: TariffPayload): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO tariff (space_id, valid_from, per_visit_cents, per_day_cents, owned)
       VALUES ($1, $2::date, $3, $4, FALSE)
       ON CONFLICT (space_id, valid_from) DO UPDATE SET per_visit_cents = EXCLUDED.per_visit_cents,
         per_day_cents = EXCLUDED.per_day_cents, updated_at = now()
       WHERE NOT tariff.owned
       RETURNING space_id`,
      [t.spaceId, t.validFrom, t.perVisitCents, t.perDayCents],
    );
    return rows.length > 0;
  },

  async deleteReplica(db: SqlSession, spaceId: string, validFrom: string): Promise<boolean> {
    const rows = await db.query(
      "DELETE FROM tariff WHERE space_id = $1 AND valid_from = $2::date AND NOT owned RETURNING space_id",
      [spaceId, validFrom],
    );
    return rows.length > 0;
  },
};
