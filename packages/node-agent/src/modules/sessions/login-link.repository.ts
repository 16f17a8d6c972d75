import type { SqlSession } from "@maillage/storage";

/**
 * Records a login link as used: true the first time its `jti` is seen, false after (the link
 * was already used). Links past their expiry are forgotten on the way (they are refused by
 * their signature's `exp` anyway).
 */
export async function consumeLoginLink(
  sql: SqlSession,
  jti: string,
  expiresAt: Date,
): Promise<boolean> {
  await sql.query("DELETE FROM login_link_use WHERE expires_at < now()");
  const rows = await sql.query<{ jti: string }>(
    `INSERT INTO login_link_use (jti, expires_at) VALUES ($1, $2::timestamptz)
     ON CONFLICT (jti) DO NOTHING RETURNING jti`,
    [jti, expiresAt.toISOString()],
  );
  return rows.length === 1;
}
