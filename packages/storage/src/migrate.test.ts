import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, pendingMigrations } from "./migrate.ts";
import { DataDirInUseError, openSqlStore } from "./sql.ts";
import { seedPgliteStore } from "./testing.ts";

const SET = {
  lockKey: 42,
  migrations: [
    { name: "0001_place", sql: "CREATE TABLE place (id text PRIMARY KEY, name text NOT NULL);" },
    {
      name: "0002_place_rural",
      sql: "ALTER TABLE place ADD COLUMN rural boolean NOT NULL DEFAULT false;",
    },
  ],
};

describe("SQL store and migration runner (PGlite)", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });
  /** A data dir; `seeded`: holding an empty database already (a copy of the run's template). */
  async function tempDir(seeded = false) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-store-"));
    dirs.push(dir);
    if (seeded) await seedPgliteStore(dir);
    return dir;
  }

  it("applies migrations once, in order, and keeps data across a restart", async () => {
    const dataDir = await tempDir();
    const first = await openSqlStore({ databaseUrl: undefined, dataDir });
    expect(await migrate(first, SET)).toEqual(["0001_place", "0002_place_rural"]);
    expect(await migrate(first, SET)).toEqual([]);
    await first.query("INSERT INTO place (id, name, rural) VALUES ('p1', 'Jaujac', true)");
    await first.close();

    const second = await openSqlStore({ databaseUrl: undefined, dataDir });
    expect(await migrate(second, SET)).toEqual([]);
    expect(await pendingMigrations(second, SET.migrations)).toEqual([]);
    expect(await second.query("SELECT name, rural FROM place")).toEqual([
      { name: "Jaujac", rural: true },
    ]);
    await second.close();
  });

  it("rolls a failing migration back whole and does not record it", async () => {
    const store = await openSqlStore({ databaseUrl: undefined, dataDir: await tempDir(true) });
    const broken = {
      lockKey: 42,
      migrations: [
        { name: "0001_ok", sql: "CREATE TABLE a (id int);" },
        { name: "0002_broken", sql: "CREATE TABLE b (id int); SELECT * FROM no_such_table;" },
      ],
    };
    await expect(migrate(store, broken)).rejects.toThrow(/0002_broken/);
    const tables = await store.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.map((t) => t.name)).toEqual(["a", "maillage_migration"]);
    expect(await pendingMigrations(store, broken.migrations)).toEqual(["0002_broken"]);
    await store.close();
  });

  it("rolls a transaction back when its function throws", async () => {
    const store = await openSqlStore({ databaseUrl: undefined, dataDir: await tempDir(true) });
    await migrate(store, SET);
    await expect(
      store.transaction(async (tx) => {
        await tx.query("INSERT INTO place (id, name) VALUES ('p1', 'Privas')");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await store.query("SELECT * FROM place")).toEqual([]);
    await store.close();
  });

  it("refuses a data directory another live process holds, with a clear error", async () => {
    const dataDir = await tempDir(true);
    const lockDir = path.join(dataDir, "pgdata");
    await fs.mkdir(lockDir, { recursive: true });
    // PID 1 is always alive: another process holds the directory.
    await fs.writeFile(path.join(lockDir, "maillage.lock"), "1");
    await expect(openSqlStore({ databaseUrl: undefined, dataDir })).rejects.toBeInstanceOf(
      DataDirInUseError,
    );
    // A lock left by a dead process is taken over.
    await fs.writeFile(path.join(lockDir, "maillage.lock"), "999999999");
    const store = await openSqlStore({ databaseUrl: undefined, dataDir });
    await store.close();
  });
});
