import type { SqlSession } from "@maillage/storage";

/** A node's status list as stored here: this node's own, or a replica of another node's. */
export type StatusListRecord = { nodeId: string; vc: string; updatedAt: Date; owned: boolean };

/** A node's public key as the hub published it (NODE_KEY). */
export type NodeKeyRecord = {
  nodeId: string;
  fabriqueId: string;
  publicJwk: { kty: "OKP"; crv: "Ed25519"; x: string };
};

/**
 * The only file that reads and writes `credential_status` (this node's status list entries),
 * `status_list` (signed lists, own and replicated) and `node_key` (the network's keys).
 */
export const credentialStatusRepository = {
  /** Takes `index` for a credential; false when the index is taken already. */
  async claimIndex(db: SqlSession, index: number, credentialId: string): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO credential_status (status_index, credential_id) VALUES ($1, $2)
       ON CONFLICT (status_index) DO NOTHING RETURNING status_index`,
      [index, credentialId],
    );
    return rows.length > 0;
  },

  /** A credential's index, if it has one. */
  async indexOf(db: SqlSession, credentialId: string): Promise<number | undefined> {
    const rows = await db.query<{ status_index: number }>(
      "SELECT status_index FROM credential_status WHERE credential_id = $1",
      [credentialId],
    );
    return rows[0]?.status_index;
  },

  async countEntries(db: SqlSession): Promise<number> {
    const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM credential_status");
    return rows[0]?.n ?? 0;
  },

  /** The highest index drawn (the list is at least that long), or -1. */
  async maxIndex(db: SqlSession): Promise<number> {
    const rows = await db.query<{ m: number | null }>(
      "SELECT max(status_index) AS m FROM credential_status",
    );
    return rows[0]?.m ?? -1;
  },

  /** Marks a credential's entry revoked; its index, or undefined when it has none. */
  async markRevoked(db: SqlSession, credentialId: string, at: Date): Promise<number | undefined> {
    const rows = await db.query<{ status_index: number }>(
      `UPDATE credential_status SET revoked_at = COALESCE(revoked_at, $2)
       WHERE credential_id = $1 RETURNING status_index`,
      [credentialId, at.toISOString()],
    );
    return rows[0]?.status_index;
  },

  async revokedIndexes(db: SqlSession): Promise<number[]> {
    const rows = await db.query<{ status_index: number }>(
      "SELECT status_index FROM credential_status WHERE revoked_at IS NOT NULL ORDER BY status_index",
    );
    return rows.map((r) => r.status_index);
  },

  async findList(db: SqlSession, nodeId: string): Promise<StatusListRecord | undefined> {
    const rows = await db.query<{
      node_id: string;
      vc: string;
      updated_at: Date;
      owned: boolean;
    }>("SELECT node_id, vc, updated_at, owned FROM status_list WHERE node_id = $1", [nodeId]);
    const row = rows[0];
    return (
      row && {
        nodeId: row.node_id,
        vc: row.vc,
        updatedAt: new Date(row.updated_at),
        owned: row.owned,
      }
    );
  },

  async saveOwnList(db: SqlSession, nodeId: string, vc: string, at: Date): Promise<void> {
    await db.query(
      `INSERT INTO status_list (node_id, vc, updated_at, owned) VALUES ($1, $2, $3, TRUE)
       ON CONFLICT (node_id) DO UPDATE SET vc = EXCLUDED.vc, updated_at = EXCLUDED.updated_at,
         owned = TRUE`,
      [nodeId, vc, at.toISOString()],
    );
  },

  /** Another node's list; an older one than the one stored never replaces it. */
  async upsertReplicaList(
    db: SqlSession,
    nodeId: string,
    vc: string,
    updatedAt: string,
  ): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO status_list (node_id, vc, updated_at, owned) VALUES ($1, $2, $3, FALSE)
       ON CONFLICT (node_id) DO UPDATE SET vc = EXCLUDED.vc, updated_at = EXCLUDED.updated_at
       WHERE NOT status_list.owned AND status_list.updated_at <= EXCLUDED.updated_at
       RETURNING node_id`,
      [nodeId, vc, updatedAt],
    );
    return rows.length > 0;
  },

  async deleteReplicaList(db: SqlSession, nodeId: string): Promise<void> {
    await db.query("DELETE FROM status_list WHERE node_id = $1 AND NOT owned", [nodeId]);
  },

  async upsertNodeKey(db: SqlSession, key: NodeKeyRecord): Promise<void> {
    await db.query(
      `INSERT INTO node_key (node_id, fabrique_id, public_jwk, updated_at)
       VALUES ($1, $2, $3::jsonb, now())
       ON CONFLICT (node_id) DO UPDATE SET fabrique_id = EXCLUDED.fabrique_id,
         public_jwk = EXCLUDED.public_jwk, updated_at = now()`,
      [key.nodeId, key.fabriqueId, JSON.stringify(key.publicJwk)],
    );
  },

  async deleteNodeKey(db: SqlSession, nodeId: string): Promise<void> {
    await db.query("DELETE FROM node_key WHERE node_id = $1", [nodeId]);
  },

  async nodeKeys(db: SqlSession): Promise<NodeKeyRecord[]> {
    const rows = await db.query<{
      node_id: string;
      fabrique_id: string;
      public_jwk: NodeKeyRecord["publicJwk"] | string;
    }>("SELECT node_id, fabrique_id, public_jwk FROM node_key ORDER BY node_id");
    return rows.map((r) => ({
      nodeId: r.node_id,
      fabriqueId: r.fabrique_id,
      publicJwk: typeof r.public_jwk === "string" ? JSON.parse(r.public_jwk) : r.public_jwk,
    }));
  },
};
