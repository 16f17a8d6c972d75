// The national network, seeded once per version of the seed and of the migrations, into a
// PostgreSQL database kept between runs on the server of DATABASE_URL (default: the machine's
// local server, database `test`): `maillage_bench_national_v<hash>`. The hash covers the seed's
// sources and the hub's migrations, so a change to either seeds a new database; the database is
// marked complete (a comment on it) only after the seed and ANALYZE finished, so a run killed
// midway seeds again. Benches that only read use it directly; those that write take a copy
// (CREATE DATABASE … TEMPLATE, dropped at the end).
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { postgresServerUrl } from "@maillage/storage/testing";
import pg from "pg";
import { pino } from "pino";
import { createHub } from "../../src/app.ts";
import { loadHubConfig } from "../../src/env.ts";
import { type SeedResult, seedNetwork } from "../../src/seed/generate.ts";

const hubRoot = path.resolve(import.meta.dirname, "../..");
/** `maillage_bench_national_v<hash>`, `maillage_bench_region_v<hash>`. */
const prefix = (scale: SeededScale) => `maillage_bench_${scale}_v`;
export type SeededScale = "national" | "region";
/** Seeds of two bench runs at once wait for each other (pg_advisory_lock on the server's db). */
const SEED_LOCK = 0x6d61696c; // "mail"
/** The PRNG seed every bench uses, so that two runs see the same network. */
export const NATIONAL_SEED = 1;
/** The region the benches query (Auvergne-Rhône-Alpes). */
export const BENCH_REGION = "84";

export type NationalDatabase = {
  name: string;
  url: string;
  /** What the seed reported when it ran (kept in the database's comment). */
  seed: SeedResult & { seededAt: string };
  /** True when this run seeded it, false when it was reused. */
  fresh: boolean;
};

function serverUrl(): string {
  return postgresServerUrl(process.env);
}

function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.includes(".test.") && !e.name.includes(".suite."))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** A hash of the seed's sources and the migrations: the database's version. */
export async function seedVersion(): Promise<string> {
  const hash = createHash("sha256");
  for (const dir of ["src/seed", "prisma/migrations"]) {
    for (const file of await filesUnder(path.join(hubRoot, dir))) {
      hash.update(path.relative(hubRoot, file));
      hash.update(await fs.readFile(file));
    }
  }
  return hash.digest("hex").slice(0, 8);
}

async function completeSeed(client: pg.Client, name: string) {
  const { rows } = await client.query<{ comment: string | null }>(
    "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
    [name],
  );
  if (rows.length === 0) return { exists: false as const };
  try {
    const marker = JSON.parse(rows[0]?.comment ?? "") as { complete?: boolean; seed?: unknown };
    if (marker.complete) {
      return { exists: true as const, seed: marker.seed as NationalDatabase["seed"] };
    }
  } catch {
    // no comment: a seed that did not finish
  }
  return { exists: true as const };
}

/**
 * The national database of this seed version: reused when present and complete, otherwise
 * (re)created and seeded (~165 s on an idle 2-core machine, more under load). `log` receives
 * progress lines.
 */
export function nationalDatabase(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<NationalDatabase> {
  return seededDatabase("national", log);
}

/** The same for any scale of the seed (`region`: one region's network, seeded in seconds). */
export async function seededDatabase(
  scale: SeededScale,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<NationalDatabase> {
  const name = `${prefix(scale)}${await seedVersion()}`;
  const lock = new pg.Client({ connectionString: serverUrl() });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [SEED_LOCK]);
    const found = await completeSeed(lock, name);
    if (found.seed) return { name, url: databaseUrl(name), seed: found.seed, fresh: false };
    const others = await lock.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
      [`${prefix(scale)}%`, name],
    );
    for (const { datname } of others.rows) {
      log(
        `  an older ${scale} bench database is still there: ${datname} (DROP DATABASE to free it)`,
      );
    }
    if (found.exists) await lock.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await lock.query(`CREATE DATABASE ${name}`);
    const seed = await seedInto(databaseUrl(name), scale, log);
    const marker = JSON.stringify({ complete: true, seed }).replaceAll("'", "''");
    await lock.query(`COMMENT ON DATABASE ${name} IS '${marker}'`);
    return { name, url: databaseUrl(name), seed, fresh: true };
  } finally {
    await lock.query("SELECT pg_advisory_unlock($1)", [SEED_LOCK]).catch(() => {});
    await lock.end();
  }
}

async function seedInto(
  url: string,
  scale: SeededScale,
  log: (line: string) => void,
): Promise<NationalDatabase["seed"]> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-seed-"));
  const config = loadHubConfig({}, { dataDir, databaseUrl: url, port: 0, logLevel: "silent" });
  const hub = await createHub(config, { logger: pino({ level: "silent" }) });
  try {
    let shown = "";
    let line = "";
    const seeded = await seedNetwork(hub.db.store, {
      scale,
      seed: NATIONAL_SEED,
      onProgress: (done, total, phase) => {
        const step = `${phase} ${Math.floor((done / total) * 10) * 10}%`;
        if (step !== shown) line += `${shown ? ", " : `  seeding the ${scale} network: `}${step}`;
        shown = step;
        if (line.length > 100) {
          log(line);
          line = "   ";
        }
      },
    });
    if (line.trim()) log(line);
    await hub.db.store.exec("ANALYZE");
    log(
      `  ${scale} seed: ${seeded.fabriques} fabriques, ${seeded.satellites} satellites, ` +
        `${seeded.reports.toLocaleString("en")} reports in ${seeded.seconds} s`,
    );
    return { ...seeded, seededAt: new Date().toISOString() };
  } finally {
    await hub.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * A copy of the national database for a bench that writes (CREATE DATABASE … TEMPLATE: nothing
 * may be connected to the original meanwhile). `drop()` removes it.
 */
export async function copyOfNational(
  national: NationalDatabase,
): Promise<{ url: string; seconds: number; drop(): Promise<void> }> {
  const name = `maillage_bench_copy_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const started = performance.now();
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${national.name}`));
  return {
    url: databaseUrl(name),
    seconds: (performance.now() - started) / 1000,
    drop: () =>
      withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

/** The first fabrique (by id) of the region the benches query: its id and commune. */
export async function benchFabrique(url: string): Promise<{ id: string; communeCode: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; commune_code: string }>(
      `SELECT id, commune_code FROM space WHERE kind = 'FABRIQUE' AND region_code = $1
       ORDER BY id LIMIT 1`,
      [BENCH_REGION],
    );
    const row = rows[0];
    if (!row) throw new Error(`no fabrique in region ${BENCH_REGION}`);
    return { id: row.id, communeCode: row.commune_code };
  } finally {
    await client.end();
  }
}
