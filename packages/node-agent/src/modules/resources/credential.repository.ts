import type { CredentialPayload } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

/** A credential a member holds: granted here (owned) or replicated from the member's home node. */
export type CredentialRecord = {
  id: string;
  memberId: string;
  type: string;
  issuedAt: Date;
  expiresAt: Date | null;
  /** The training whose attendance issued it (owned by its organiser); null: the home team's. */
  trainingId: string | null;
  /** The signed Open Badges 3.0 credential (VC-JWT); null for those issued before signing. */
  vc: string | null;
  owned: boolean;
};

type Row = {
  id: string;
  member_id: string;
  type: string;
  issued_at: Date;
  expires_at: Date | null;
  training_id: string | null;
  vc: string | null;
  owned: boolean;
};

const COLUMNS = "id, member_id, type, issued_at, expires_at, training_id, vc, owned";

function toRecord(row: Row): CredentialRecord {
  return {
    id: row.id,
    memberId: row.member_id,
    type: row.type,
    issuedAt: new Date(row.issued_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    trainingId: row.training_id,
    vc: row.vc,
    owned: row.owned,
  };
}

/** What a credential's CREDENTIAL events carry. */
export function credentialPayloadOf(c: CredentialRecord): CredentialPayload {
  return {
    memberId: c.memberId,
    type: c.type,
    issuedAt: c.issuedAt.toISOString(),
    expiresAt: c.expiresAt?.toISOString() ?? null,
    trainingId: c.trainingId,
    vc: c.vc,
  };
}

/** The only file that reads and writes `credential`. */
export const credentialRepository = {
  async find(db: SqlSession, id: string): Promise<CredentialRecord | undefined> {
    const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM credential WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  },

  /** A member's credentials (owned and replicated), by type and expiry. */
  async ofMember(db: SqlSession, memberId: string): Promise<CredentialRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM credential WHERE member_id = $1 ORDER BY type, expires_at, id`,
      [memberId],
    );
    return rows.map(toRecord);
  },

  /** A credential this node issues; `signedBy`: the node whose key signed its vc. */
  async insertOwned(
    db: SqlSession,
    c: Omit<CredentialRecord, "owned">,
    signedBy: string,
  ): Promise<CredentialRecord> {
    const rows = await db.query<Row>(
      `INSERT INTO credential (id, member_id, type, issued_at, expires_at, training_id, vc, owned,
                               signed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8) RETURNING ${COLUMNS}`,
      [
        c.id,
        c.memberId,
        c.type,
        c.issuedAt.toISOString(),
        c.expiresAt?.toISOString() ?? null,
        c.trainingId,
        c.vc,
        signedBy,
      ],
    );
    return toRecord(rows[0] as Row);
  },

  /**
   * Owned credentials this node has not signed (granted before signing existed, or handed
   * over from the node it replaced): `signed_by` is null for those (set only when this node
   * signs; a handover clears it).
   */
  async ownedUnsigned(db: SqlSession, limit: number): Promise<CredentialRecord[]> {
    const rows = await db.query<Row>(
      `SELECT ${COLUMNS} FROM credential WHERE owned AND signed_by IS NULL
       ORDER BY id LIMIT $1 FOR UPDATE`,
      [limit],
    );
    return rows.map(toRecord);
  },

  async setSignature(db: SqlSession, id: string, vc: string, signedBy: string): Promise<void> {
    await db.query(
      "UPDATE credential SET vc = $2, signed_by = $3, updated_at = now() WHERE id = $1 AND owned",
      [id, vc, signedBy],
    );
  },

  async deleteOwned(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query("DELETE FROM credential WHERE id = $1 AND owned RETURNING id", [
      id,
    ]);
    return rows.length > 0;
  },

  /** A replica from the member's home node; a credential granted here is kept. */
  async upsertReplica(db: SqlSession, id: string, state: CredentialPayload): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO credential (id, member_id, type, issued_at, expires_at, training_id, vc, owned)
       VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE)
       ON CONFLICT (id) DO UPDATE SET member_id = EXCLUDED.member_id, type = EXCLUDED.type,
         issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at,
         training_id = EXCLUDED.training_id, vc = EXCLUDED.vc, updated_at = now()
       WHERE NOT credential.owned
       RETURNING id`,
      [id, state.memberId, state.type, state.issuedAt, state.expiresAt, state.trainingId, state.vc],
    );
    return rows.length > 0;
  },

  /**
   * A CREDENTIAL event handing a credential of this network's member over to this node
   * (re-enrolment): it becomes owned here. One granted here already is kept as it is.
   */
  async adoptHandover(db: SqlSession, id: string, state: CredentialPayload): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO credential (id, member_id, type, issued_at, expires_at, training_id, vc, owned)
       VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE)
       ON CONFLICT (id) DO UPDATE SET member_id = EXCLUDED.member_id, type = EXCLUDED.type,
         issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at,
         training_id = EXCLUDED.training_id, vc = EXCLUDED.vc, owned = TRUE, signed_by = NULL,
         updated_at = now()
       WHERE NOT credential.owned
       RETURNING id`,
      [id, state.memberId, state.type, state.issuedAt, state.expiresAt, state.trainingId, state.vc],
    );
    return rows.length > 0;
  },

  /** Erasure of a member homed here: the credentials granted here, deleted; their ids. */
  async deleteOwnedOfMember(db: SqlSession, memberId: string): Promise<string[]> {
    const rows = await db.query<{ id: string }>(
      "DELETE FROM credential WHERE member_id = $1 AND owned RETURNING id",
      [memberId],
    );
    return rows.map((r) => r.id).sort();
  },

  /** Another node erased its member: the replicas of that member's credentials go too. */
  async deleteReplicasOfMember(db: SqlSession, memberId: string): Promise<number> {
    const rows = await db.query(
      "DELETE FROM credential WHERE member_id = $1 AND NOT owned RETURNING id",
      [memberId],
    );
    return rows.length;
  },

  async deleteReplica(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query("DELETE FROM credential WHERE id = $1 AND NOT owned RETURNING id", [
      id,
    ]);
    return rows.length > 0;
  },
};
