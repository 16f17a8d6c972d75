import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Database, SqlSession } from "./db.ts";

/**
 * Applies the committed SQL migrations (prisma/migrations/<name>/migration.sql, produced by
 * `prisma migrate diff`) in name order. Prisma's own `migrate deploy` cannot run through a
 * driver adapter offline (see shared/toolchain.md), so this small runner does it:
 * one table of applied migrations, one transaction per migration, and a session-level
 * advisory lock so that hub replicas starting together apply each migration once.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

/** Arbitrary constant shared by every hub: "maillage" as a 32-bit number. */
const LOCK_KEY = 0x6d61696c;

export type Migration = { name: string; sql: string };

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  names.sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      sql: await fs.readFile(path.join(dir, name, "migration.sql"), "utf8"),
    })),
  );
}

/** Returns the names of the migrations this call applied (empty when already up to date). */
export async function migrate(db: Database, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  return db.withSession(async (session) => {
    await session.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
    try {
      await session.exec(`CREATE TABLE IF NOT EXISTS maillage_migration (
        name TEXT PRIMARY KEY,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const done = new Set(
        (await session.query<{ name: string }>("SELECT name FROM maillage_migration")).map(
          (r) => r.name,
        ),
      );
      const applied: string[] = [];
      for (const migration of all) {
        if (done.has(migration.name)) continue;
        await applyOne(session, migration);
        applied.push(migration.name);
      }
      return applied;
    } finally {
      await session.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]);
    }
  });
}

async function applyOne(session: SqlSession, migration: Migration): Promise<void> {
  await session.exec("BEGIN");
  try {
    await session.exec(migration.sql);
    await session.query("INSERT INTO maillage_migration (name) VALUES ($1)", [migration.name]);
    await session.exec("COMMIT");
  } catch (error) {
    await session.exec("ROLLBACK");
    throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Names of committed migrations not yet applied; used by the readiness probe. */
export async function pendingMigrations(db: Database, migrations: Migration[]): Promise<string[]> {
  return db.withSession(async (session) => {
    const rows = await session.query<{ name: string }>(
      "SELECT name FROM maillage_migration",
    ).catch(() => []);
    const done = new Set(rows.map((r) => r.name));
    return migrations.map((m) => m.name).filter((name) => !done.has(name));
  });
}
