import { afterAll, beforeAll, expect, it } from "vitest";
import { migrate } from "./migrate.ts";
import { openSqlStore, type SqlStore } from "./sql.ts";
import { createThrowawayDatabase } from "./testing.ts";

let drop: () => Promise<void>;
let url: string;
beforeAll(async () => {
  ({ url, drop } = await createThrowawayDatabase());
});
afterAll(() => drop?.());

it("applies each migration once when two services start together on one PostgreSQL database", async () => {
  // A slow migration widens the window in which two runners without the lock would race.
  const set = {
    lockKey: 7,
    migrations: [
      { name: "0001_slow", sql: "SELECT pg_sleep(0.3); CREATE TABLE slow_marker (id int);" },
      {
        name: "0002_more",
        sql: "CREATE TYPE colour AS ENUM ('red'); CREATE TABLE more (c colour);",
      },
    ],
  };
  const replicas: SqlStore[] = await Promise.all(
    [1, 2].map(() => openSqlStore({ databaseUrl: url, dataDir: "/nonexistent" })),
  );
  try {
    const applied = await Promise.all(replicas.map((store) => migrate(store, set)));
    // One replica applied everything, the other found nothing left to do.
    expect(applied.map((names) => names.length).sort()).toEqual([0, 2]);
    const rows = await replicas[0]?.query<{ name: string }>(
      "SELECT name FROM maillage_migration ORDER BY name",
    );
    expect(rows?.map((r) => r.name)).toEqual(["0001_slow", "0002_more"]);
  } finally {
    await Promise.all(replicas.map((store) => store.close()));
  }
});
