import type { SqlSession } from "@maillage/storage";

/**
 * A member as the agent stores it. `displayName`, `email` and `phone` are personal data:
 * they live in this table only and are never put in a change event.
 */
export type MemberRecord = {
  id: string;
  homeSpaceId: string;
  displayName: string | null;
  /** Personal, like email and phone: what a pass may disclose (docs/mobility.md). */
  firstName: string | null;
  email: string | null;
  phone: string | null;
  organisation: string | null;
  owned: boolean;
  createdAt: Date;
  updatedAt: Date;
};

export type PersonalFields = Pick<
  MemberRecord,
  "displayName" | "firstName" | "email" | "phone" | "organisation"
>;

type Row = {
  id: string;
  home_space_id: string;
  display_name: string | null;
  first_name: string | null;
  email: string | null;
  phone: string | null;
  organisation: string | null;
  owned: boolean;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS =
  "id, home_space_id, display_name, first_name, email, phone, organisation, owned, created_at, updated_at";

function toRecord(row: Row): MemberRecord {
  return {
    id: row.id,
    homeSpaceId: row.home_space_id,
    displayName: row.display_name,
    firstName: row.first_name,
    email: row.email,
    phone: row.phone,
    organisation: row.organisation,
    owned: row.owned,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The only file that reads and writes the `member` table. */
export const memberRepository = {
  async find(db: SqlSession, id: string): Promise<MemberRecord | undefined> {
    const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM member WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  },

  async ofSpace(db: SqlSession, spaceId: string): Promise<MemberRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM member WHERE home_space_id = $1 ORDER BY id`,
      [spaceId],
    );
    return rows.map(toRecord);
  },

  async insertOwned(
    db: SqlSession,
    member: { id: string; homeSpaceId: string } & PersonalFields,
  ): Promise<MemberRecord> {
    const rows = await db.query<Row>(
      `INSERT INTO member (id, home_space_id, display_name, email, phone, first_name,
         organisation, owned)
       VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE)
       RETURNING ${COLUMNS}`,
      [
        member.id,
        member.homeSpaceId,
        member.displayName,
        member.email,
        member.phone,
        member.firstName,
        member.organisation,
      ],
    );
    return toRecord(rows[0] as Row);
  },

  async updateOwned(
    db: SqlSession,
    id: string,
    fields: { homeSpaceId: string } & PersonalFields,
  ): Promise<MemberRecord> {
    const rows = await db.query<Row>(
      `UPDATE member SET home_space_id = $2, display_name = $3, email = $4, phone = $5,
         first_name = $6, organisation = $7, updated_at = now()
       WHERE id = $1 AND owned
       RETURNING ${COLUMNS}`,
      [
        id,
        fields.homeSpaceId,
        fields.displayName,
        fields.email,
        fields.phone,
        fields.firstName,
        fields.organisation,
      ],
    );
    return toRecord(rows[0] as Row);
  },

  /** Erasure: the row goes, personal data with it. */
  async deleteOwned(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query("DELETE FROM member WHERE id = $1 AND owned RETURNING id", [id]);
    return rows.length > 0;
  },

  /** A reference copy pulled from the hub (no personal data); an owned record is kept. */
  async upsertReference(db: SqlSession, id: string, homeSpaceId: string): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO member (id, home_space_id, owned) VALUES ($1, $2, FALSE)
       ON CONFLICT (id) DO UPDATE SET home_space_id = EXCLUDED.home_space_id, updated_at = now()
       WHERE NOT member.owned
       RETURNING id`,
      [id, homeSpaceId],
    );
    return rows.length > 0;
  },

  /** A member the hub hands over: this node becomes its home (its personal data is unknown). */
  async adoptHandover(db: SqlSession, id: string, homeSpaceId: string): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO member (id, home_space_id, owned) VALUES ($1, $2, TRUE)
       ON CONFLICT (id) DO UPDATE SET home_space_id = EXCLUDED.home_space_id, owned = TRUE,
         updated_at = now()
       WHERE NOT member.owned
       RETURNING id`,
      [id, homeSpaceId],
    );
    return rows.length > 0;
  },

  async deleteReference(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query("DELETE FROM member WHERE id = $1 AND NOT owned RETURNING id", [
      id,
    ]);
    return rows.length > 0;
  },
};
