import fs from "node:fs/promises";
import path from "node:path";
import type { SqlSession, SqlStore } from "./sql.ts";

/**
 * Applies committed SQL migrations (<dir>/<name>/migration.sql) in name order. Prisma's own
 * `migrate deploy` cannot run through a driver adapter offline (see shared/toolchain.md), so
 * this small runner does it for the hub and the node agent alike: one table of applied
 * migrations, one transaction per migration, and a session-level advisory lock so that
 * replicas starting together apply each migration once.
 */
export type Migration = { name: string; sql: string };

export type MigrationSet = {
  /** Distinguishes the services' advisory locks should they ever share a database. */
  lockKey: number;
  migrations: Migration[];
};

export async function readMigrations(dir: string): Promise<Migration[]> {
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
export async function migrate(store: SqlStore, set: MigrationSet): Promise<string[]> {
  return store.withSession(async (session) => {
    await session.query("SELECT pg_advisory_lock($1)", [set.lockKey]);
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
      for (const migration of set.migrations) {
        if (done.has(migration.name)) continue;
        await applyOne(session, migration);
        applied.push(migration.name);
      }
      return applied;
    } finally {
      await session.query("SELECT pg_advisory_unlock($1)", [set.lockKey]);
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

/** Names of the migrations applied to the database; null when it has no migration table. */
export async function appliedMigrations(store: SqlStore): Promise<Set<string> | null> {
  const rows = await store
    .query<{ name: string }>("SELECT name FROM maillage_migration")
    .catch((error: unknown) => {
      if ((error as { code?: string }).code === "42P01") return null; // no table yet
      throw error;
    });
  return rows && new Set(rows.map((r) => r.name));
}

/** Names of the migrations not yet applied; used by the readiness probes. */
export async function pendingMigrations(
  store: SqlStore,
  migrations: Migration[],
): Promise<string[]> {
  const done = (await appliedMigrations(store)) ?? new Set<string>();
  return migrations.map((m) => m.name).filter((name) => !done.has(name));
}
