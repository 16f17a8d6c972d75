import type { Sql } from "../sync/change-log.repository.ts";

/**
 * Records a login link as used: true the first time its `jti` is seen, false after (the link
 * was already used). Links past their expiry are forgotten on the way (they are refused by
 * their signature's `exp` anyway).
 */
export async function consumeLoginLink(sql: Sql, jti: string, expiresAt: Date): Promise<boolean> {
  await sql.query("DELETE FROM login_link_use WHERE expires_at < now() AT TIME ZONE 'UTC'");
  const rows = await sql.query<{ jti: string }>(
    `INSERT INTO login_link_use (jti, expires_at)
     VALUES ($1, $2::timestamptz AT TIME ZONE 'UTC')
     ON CONFLICT (jti) DO NOTHING RETURNING jti`,
    [jti, expiresAt.toISOString()],
  );
  return rows.length === 1;
}

/** A fabrique's name, for the session's description (null when the hub does not know it). */
export async function fabriqueNameOf(sql: Sql, fabriqueId: string): Promise<string | null> {
  const rows = await sql.query<{ name: string }>(
    "SELECT name FROM space WHERE id = $1 AND kind = 'FABRIQUE'",
    [fabriqueId],
  );
  return rows[0]?.name ?? null;
}
