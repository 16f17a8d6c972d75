import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { type MigrationSet, migrate } from "./migrate.ts";
import { openSqlStore } from "./sql.ts";

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

/**
 * Where the test run keeps its PGlite templates (set by tests/support/pglite-templates.ts, the
 * vitest global setup, one directory per run). Unset: no templates, every store is made new.
 */
export const PGLITE_TEMPLATES_ENV = "MAILLAGE_TEST_PGLITE_TEMPLATES";

/** This process's templates, by key: built here, or awaited while another worker builds them. */
const templates = new Map<string, Promise<string>>();

/**
 * Starts the embedded store under `<dataDir>/pgdata` as a copy of a template: a data directory
 * made once per test run (initdb, about 3 s of WASM, 10 s or more on a loaded machine) with
 * `migrations` applied by the same runner, closed cleanly. The copy takes a fraction of a
 * second; the service opening it finds its migrations applied and runs none.
 *
 * Returns false, leaving `dataDir` alone, outside a test run that provides templates (then the
 * service makes its store as in production). `migrations` undefined: an empty database.
 */
export async function seedPgliteStore(
  dataDir: string,
  migrations?: MigrationSet,
): Promise<boolean> {
  const root = process.env[PGLITE_TEMPLATES_ENV];
  if (!root) return false;
  await copyDataDir(await pgliteTemplate(root, migrations), path.join(dataDir, "pgdata"));
  return true;
}

/**
 * Copies a data directory (about a thousand files) to `to`, which must not exist: `cp -R`
 * takes a tenth of the time and CPU of fs.cp here; fs.cp where there is no `cp`.
 */
async function copyDataDir(from: string, to: string): Promise<void> {
  if (await exists(to)) throw new Error(`${to} exists already: a store is seeded once`);
  await fs.mkdir(path.dirname(to), { recursive: true });
  try {
    await promisify(execFile)("cp", ["-R", from, to]);
  } catch {
    await fs.rm(to, { recursive: true, force: true });
    await fs.cp(from, to, { recursive: true });
  }
}

function templateKey(migrations: MigrationSet | undefined): string {
  if (!migrations) return "empty";
  const hash = createHash("sha256").update(String(migrations.lockKey));
  for (const m of migrations.migrations) hash.update(`\0${m.name}\0${m.sql}`);
  return `migrated-${hash.digest("hex").slice(0, 16)}`;
}

function pgliteTemplate(root: string, migrations: MigrationSet | undefined): Promise<string> {
  const key = templateKey(migrations);
  let template = templates.get(key);
  if (!template) {
    template = buildOrAwaitTemplate(root, key, migrations);
    templates.set(key, template);
    template.catch(() => templates.delete(key));
  }
  return template;
}

const exists = (file: string) =>
  fs.stat(file).then(
    () => true,
    () => false,
  );

/**
 * One builder per template across the run's workers: whoever creates `<key>.lock` builds into
 * `<key>.building` and renames it to `<key>` when closed; the others wait for `<key>` (or for
 * the lock to go, when the builder failed, and then try themselves).
 */
async function buildOrAwaitTemplate(
  root: string,
  key: string,
  migrations: MigrationSet | undefined,
): Promise<string> {
  const ready = path.join(root, key);
  const lock = path.join(root, `${key}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (await exists(ready)) return path.join(ready, "pgdata");
    try {
      await fs.mkdir(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (Date.now() > deadline) throw new Error(`PGlite template ${key}: still being built`);
      await new Promise((resolve) => setTimeout(resolve, 25));
      continue;
    }
    try {
      const work = path.join(root, `${key}.building`);
      await fs.rm(work, { recursive: true, force: true });
      // A migrated template starts from the empty one: one initdb per run.
      if (migrations) {
        await copyDataDir(await pgliteTemplate(root, undefined), path.join(work, "pgdata"));
      }
      const store = await openSqlStore({ databaseUrl: undefined, dataDir: work });
      try {
        if (migrations) await migrate(store, migrations);
      } finally {
        await store.close();
      }
      await fs.rename(work, ready);
      return path.join(ready, "pgdata");
    } finally {
      await fs.rm(lock, { recursive: true, force: true });
    }
  }
}
