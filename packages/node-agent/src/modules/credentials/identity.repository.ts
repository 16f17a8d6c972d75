import type { SqlSession } from "@maillage/storage";

/**
 * The only file that reads and writes `member.identity_salt`: the salt of a member's hashed
 * identity (Open Badges 3.0 IdentityObject), kept at the member's home node only.
 */
export const identityRepository = {
  /** A member homed here, with its name and salt (locked: the salt is made once). */
  async findHomeMemberForUpdate(
    db: SqlSession,
    memberId: string,
  ): Promise<{ displayName: string | null; salt: string | null } | undefined> {
    const rows = await db.query<{ display_name: string | null; identity_salt: string | null }>(
      "SELECT display_name, identity_salt FROM member WHERE id = $1 AND owned FOR UPDATE",
      [memberId],
    );
    const row = rows[0];
    return row && { displayName: row.display_name, salt: row.identity_salt };
  },

  /** A member homed here, with its name and salt (read only). */
  async findHomeMember(
    db: SqlSession,
    memberId: string,
  ): Promise<{ displayName: string | null; salt: string | null } | undefined> {
    const rows = await db.query<{ display_name: string | null; identity_salt: string | null }>(
      "SELECT display_name, identity_salt FROM member WHERE id = $1 AND owned",
      [memberId],
    );
    const row = rows[0];
    return row && { displayName: row.display_name, salt: row.identity_salt };
  },

  /** Sets the salt once; answers the one stored (another transaction may have set it first). */
  async setSalt(db: SqlSession, memberId: string, salt: string): Promise<string> {
    const rows = await db.query<{ identity_salt: string }>(
      `UPDATE member SET identity_salt = COALESCE(identity_salt, $2)
       WHERE id = $1 AND owned RETURNING identity_salt`,
      [memberId, salt],
    );
    return rows[0]?.identity_salt ?? salt;
  },
};
