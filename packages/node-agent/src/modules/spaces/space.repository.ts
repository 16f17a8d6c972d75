import type { SpacePayload } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

/** A space as the agent stores it. */
export type SpaceRecord = {
  id: string;
  kind: "FABRIQUE" | "SATELLITE";
  name: string;
  communeCode: string;
  services: string[];
  openingHours: { day: number; opens: string; closes: string }[];
  status: "OPEN" | "CLOSED";
  fabriqueId: string | null;
  /** True for the records this node owns (and alone may change). */
  owned: boolean;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

type Row = {
  id: string;
  kind: SpaceRecord["kind"];
  name: string;
  commune_code: string;
  services: string[];
  opening_hours: SpaceRecord["openingHours"];
  status: SpaceRecord["status"];
  fabrique_id: string | null;
  owned: boolean;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = `id, kind, name, commune_code, services, opening_hours, status, fabrique_id, owned,
  closed_at, created_at, updated_at`;

function toRecord(row: Row): SpaceRecord {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    communeCode: row.commune_code,
    services: row.services ?? [],
    openingHours: row.opening_hours ?? [],
    status: row.status,
    fabriqueId: row.fabrique_id,
    owned: row.owned,
    closedAt: row.closed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The replicated part of a space: what its change events carry. */
export function spacePayloadOf(space: SpaceRecord): SpacePayload {
  return {
    kind: space.kind,
    fabriqueId: space.fabriqueId,
    name: space.name,
    communeCode: space.communeCode,
    services: space.services,
    openingHours: space.openingHours,
    status: space.status,
  };
}

/** The only file that reads and writes the `space` table. */
export const spaceRepository = {
  async find(db: SqlSession, id: string): Promise<SpaceRecord | undefined> {
    const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM space WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  },

  /** The satellites of a fabrique's network, by name. */
  async satellitesOf(
    db: SqlSession,
    fabriqueId: string,
    options: { includeClosed: boolean },
  ): Promise<SpaceRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM space
       WHERE fabrique_id = $1 AND kind = 'SATELLITE' AND ($2 OR status = 'OPEN')
       ORDER BY lower(name), id`,
      [fabriqueId, options.includeClosed],
    );
    return rows.map(toRecord);
  },

  /** Whether an open space of the network (the fabrique or a satellite) has this name. */
  async nameTaken(
    db: SqlSession,
    networkId: string,
    name: string,
    exceptId: string | undefined,
  ): Promise<boolean> {
    const rows = await db.query(
      `SELECT 1 FROM space
       WHERE COALESCE(fabrique_id, id) = $1 AND lower(name) = lower($2) AND status = 'OPEN'
         AND ($3::text IS NULL OR id <> $3::text)
       LIMIT 1`,
      [networkId, name, exceptId ?? null],
    );
    return rows.length > 0;
  },

  /** Writes a space this node owns (created here or changed here). */
  async saveOwned(db: SqlSession, id: string, state: SpacePayload): Promise<SpaceRecord> {
    const rows = await db.query<Row>(
      `INSERT INTO space (id, kind, name, commune_code, services, opening_hours, status,
         fabrique_id, owned, closed_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, TRUE,
         CASE WHEN $7 = 'CLOSED' THEN now() END)
       ON CONFLICT (id) DO UPDATE SET
         kind = EXCLUDED.kind, name = EXCLUDED.name, commune_code = EXCLUDED.commune_code,
         services = EXCLUDED.services, opening_hours = EXCLUDED.opening_hours,
         status = EXCLUDED.status, fabrique_id = EXCLUDED.fabrique_id, owned = TRUE,
         closed_at = CASE WHEN EXCLUDED.status = 'CLOSED'
           THEN COALESCE(space.closed_at, now()) END,
         updated_at = now()
       RETURNING ${COLUMNS}`,
      spaceParams(id, state),
    );
    return toRecord(rows[0] as Row);
  },

  /**
   * Applies a reference copy pulled from the hub. A record this node owns is never
   * overwritten by a copy of it. Returns false when the local record is owned (and kept).
   */
  async upsertReference(db: SqlSession, id: string, state: SpacePayload): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO space (id, kind, name, commune_code, services, opening_hours, status,
         fabrique_id, owned, closed_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, FALSE,
         CASE WHEN $7 = 'CLOSED' THEN now() END)
       ON CONFLICT (id) DO UPDATE SET
         kind = EXCLUDED.kind, name = EXCLUDED.name, commune_code = EXCLUDED.commune_code,
         services = EXCLUDED.services, opening_hours = EXCLUDED.opening_hours,
         status = EXCLUDED.status, fabrique_id = EXCLUDED.fabrique_id,
         closed_at = CASE WHEN EXCLUDED.status = 'CLOSED'
           THEN COALESCE(space.closed_at, now()) END,
         updated_at = now()
       WHERE NOT space.owned
       RETURNING id`,
      spaceParams(id, state),
    );
    return rows.length > 0;
  },

  /** Takes ownership of a record the hub hands over, unless this node already owns it. */
  async adoptHandover(db: SqlSession, id: string, state: SpacePayload): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO space (id, kind, name, commune_code, services, opening_hours, status,
         fabrique_id, owned, closed_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, TRUE,
         CASE WHEN $7 = 'CLOSED' THEN now() END)
       ON CONFLICT (id) DO UPDATE SET
         kind = EXCLUDED.kind, name = EXCLUDED.name, commune_code = EXCLUDED.commune_code,
         services = EXCLUDED.services, opening_hours = EXCLUDED.opening_hours,
         status = EXCLUDED.status, fabrique_id = EXCLUDED.fabrique_id, owned = TRUE,
         closed_at = EXCLUDED.closed_at, updated_at = now()
       WHERE NOT space.owned
       RETURNING id`,
      spaceParams(id, state),
    );
    return rows.length > 0;
  },

  /** Removes a reference copy (a tombstone from the hub); an owned record is kept. */
  async deleteReference(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query("DELETE FROM space WHERE id = $1 AND NOT owned RETURNING id", [id]);
    return rows.length > 0;
  },
};

function spaceParams(id: string, state: SpacePayload): unknown[] {
  return [
    id,
    state.kind,
    state.name,
    state.communeCode,
    state.services,
    JSON.stringify(state.openingHours),
    state.status,
    state.fabriqueId,
  ];
}
