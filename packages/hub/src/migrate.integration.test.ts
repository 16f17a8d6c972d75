import { afterAll, beforeAll, expect, it } from "vitest";
import { type Database, openDatabase } from "./db.ts";
import { migrate, readMigrations } from "./migrate.ts";
import { createThrowawayDatabase } from "./testing/fixture.ts";

let drop: () => Promise<void>;
let url: string;
beforeAll(async () => {
  ({ url, drop } = await createThrowawayDatabase());
});
afterAll(() => drop?.());

it("applies each migration once when two hubs start together on one PostgreSQL database", async () => {
  const all = await readMigrations();
  // A slow extra migration widens the window in which the two runners would race.
  const migrations = [...all, { name: "9999_slow", sql: "SELECT pg_sleep(0.3); CREATE TABLE slow_marker (id int);" }];
  const replicas: Database[] = await Promise.all(
    [1, 2].map(() => openDatabase({ databaseUrl: url, dataDir: "/nonexistent" })),
  );
  try {
    const applied = await Promise.all(replicas.map((db) => migrate(db, migrations)));
    // One replica applied everything, the other found nothing left to do.
    expect(applied.map((names) => names.length).sort()).toEqual([0, migrations.length]);
    const rows = await replicas[0]!.withSession((s) =>
      s.query<{ name: string }>("SELECT name FROM maillage_migration ORDER BY name"),
    );
    expect(rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
  } finally {
    await Promise.all(replicas.map((db) => db.close()));
  }
});
