import type { SqlSession } from "@maillage/storage";

/**
 * How long a used link's or an ended session's row outlives its expiry: the rows are purged by
 * the database's clock while `exp` is checked by the agent's, which may lag behind it.
 */
export const PURGE_MARGIN = "10 minutes";

/**
 * Records a login link as used: true the first time its `jti` is seen, false after (the link
 * was already used). Links past their expiry (plus PURGE_MARGIN) are forgotten on the way (they
 * are refused by their signature's `exp` anyway).
 */
export async function consumeLoginLink(
  sql: SqlSession,
  jti: string,
  expiresAt: Date,
): Promise<boolean> {
  await sql.query(
    `DELETE FROM login_link_use WHERE expires_at < now() - interval '${PURGE_MARGIN}'`,
  );
  const rows = await sql.query<{ jti: string }>(
    `INSERT INTO login_link_use (jti, expires_at) VALUES ($1, $2::timestamptz)
     ON CONFLICT (jti) DO NOTHING RETURNING jti`,
    [jti, expiresAt.toISOString()],
  );
  return rows.length === 1;
}

/** Whether a login link was used already (GET /login shows the error page at once). */
export async function isLoginLinkUsed(sql: SqlSession, jti: string): Promise<boolean> {
  const rows = await sql.query<{ jti: string }>("SELECT jti FROM login_link_use WHERE jti = $1", [
    jti,
  ]);
  return rows.length > 0;
}

/**
 * Records a session as ended (POST /logout): its cookie is refused from then on. Sessions past
 * their expiry (plus PURGE_MARGIN) are forgotten on the way.
 */
export async function endSession(sql: SqlSession, jti: string, expiresAt: Date): Promise<void> {
  await sql.query(`DELETE FROM session_end WHERE expires_at < now() - interval '${PURGE_MARGIN}'`);
  await sql.query(
    `INSERT INTO session_end (jti, expires_at) VALUES ($1, $2::timestamptz)
     ON CONFLICT (jti) DO NOTHING`,
    [jti, expiresAt.toISOString()],
  );
}

/** Whether a session was ended by /logout. */
export async function isSessionEnded(sql: SqlSession, jti: string): Promise<boolean> {
  const rows = await sql.query<{ jti: string }>("SELECT jti FROM session_end WHERE jti = $1", [
    jti,
  ]);
  return rows.length > 0;
}
