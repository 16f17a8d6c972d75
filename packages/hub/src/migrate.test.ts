import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./db.ts";
import { migrate, pendingMigrations, readMigrations } from "./migrate.ts";

describe("migration runner (PGlite)", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });
  async function tempDir() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-migrate-"));
    dirs.push(dir);
    return dir;
  }

  it("applies the committed migrations once, and keeps data across a restart", async () => {
    const dataDir = await tempDir();
    const all = await readMigrations();
    expect(all.map((m) => m.name)).toContain("0001_network_registry");

    const first = await openDatabase({ databaseUrl: undefined, dataDir });
    expect(await migrate(first, all)).toEqual(all.map((m) => m.name));
    expect(await migrate(first, all)).toEqual([]);
    await first.prisma.space.create({
      data: {
        id: "F1",
        kind: "FABRIQUE",
        name: "La Fabrique",
        communeCode: "07186",
        communeName: "Privas",
        departmentCode: "07",
        regionCode: "84",
        population: 8538,
        rural: false,
      },
    });
    await first.close();

    const second = await openDatabase({ databaseUrl: undefined, dataDir });
    expect(await migrate(second, all)).toEqual([]);
    expect(await pendingMigrations(second, all)).toEqual([]);
    expect((await second.prisma.space.findUniqueOrThrow({ where: { id: "F1" } })).name).toBe("La Fabrique");
    await second.close();
  });

  it("rolls a failing migration back whole and does not record it", async () => {
    const db = await openDatabase({ databaseUrl: undefined, dataDir: await tempDir() });
    const broken = [
      { name: "0001_ok", sql: "CREATE TABLE a (id int);" },
      { name: "0002_broken", sql: "CREATE TABLE b (id int); SELECT * FROM no_such_table;" },
    ];
    await expect(migrate(db, broken)).rejects.toThrow(/0002_broken/);
    const tables = await db.withSession((s) =>
      s.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"),
    );
    expect(tables.map((t) => t.name).sort()).toEqual(["a", "maillage_migration"]);
    expect(await pendingMigrations(db, broken)).toEqual(["0002_broken"]);
    await db.close();
  });
});
