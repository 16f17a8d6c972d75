import { randomUUID } from "node:crypto";
import pg from "pg";

/** The integration suite's server: DATABASE_URL, else the machine's local PostgreSQL. */
export function postgresServerUrl(env: Record<string, string | undefined>): string {
  return env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
}

/**
 * A fresh database on the integration server, for one test file; `drop()` removes it, even
 * with connections still open.
 */
export async function createThrowawayDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = postgresServerUrl(process.env);
  const name = `maillage_t_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
