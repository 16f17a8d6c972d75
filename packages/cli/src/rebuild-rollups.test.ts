import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hubMigrations } from "../../hub/src/migrate.ts";
import { seedPgliteStore } from "../../storage/src/testing.ts";
import { main } from "./main.ts";
import { capturedIo, fakeContext, fakeHubApi } from "./test-support.ts";

describe("hub rebuild-rollups", () => {
  it("rebuilds the database of DATABASE_URL, then prints each rollup's rows and the time taken", async () => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api, { DATABASE_URL: "postgresql://hub@db/maillage" });
    expect(await main(["hub", "rebuild-rollups"], io.ctx)).toBe(0);
    expect(calls.rebuilds).toEqual(["DATABASE_URL"]);
    expect(calls.createHub).toEqual([]);
    expect(io.stderr()).toBe("");
    expect(io.stdout()).toBe(
      [
        "activity_rollup       12,345 rows",
        "space_commune_rollup  67 rows",
        "rebuilt 2 rollups (PostgreSQL (DATABASE_URL)) in 1.23 s (tables locked 1.20 s)",
        "",
      ].join("\n"),
    );
  });

  it("rebuilds the embedded database of --data-dir, and says when it had to try again", async () => {
    const { api, calls } = fakeHubApi({ rebuildAttempts: 3 });
    const io = fakeContext(api);
    expect(await main(["hub", "rebuild-rollups", "--data-dir", "hub"], io.ctx)).toBe(0);
    expect(calls.rebuilds).toEqual(["/work/here/hub"]);
    expect(io.stdout()).toContain(
      "(embedded PGlite in /work/here/hub) in 1.23 s (tables locked 1.20 s, after 3 attempts)\n",
    );
  });

  it.each([
    "NoHubDatabaseError",
    "HubSchemaMismatchError",
    "RollupsBusyError",
    "DataDirInUseError",
  ])("reports a refusal (%s) in one line, exit 1", async (name) => {
    const refusal = Object.assign(new Error("refused: the reason"), { name });
    const { api } = fakeHubApi({ rebuildRefused: refusal });
    const io = fakeContext(api);
    expect(await main(["hub", "rebuild-rollups"], io.ctx)).toBe(1);
    expect(io.stdout()).toBe("");
    expect(io.stderr()).toBe("maillage: refused: the reason\n");
  });

  it("answers --help, and refuses an unknown option with exit 2", async () => {
    const { api, calls } = fakeHubApi();
    const help = fakeContext(api);
    expect(await main(["hub", "rebuild-rollups", "--help"], help.ctx)).toBe(0);
    expect(help.stdout()).toContain("maillage hub rebuild-rollups [--data-dir DIR]");
    expect(help.stdout()).toContain("DATABASE_URL");
    const bad = fakeContext(api);
    expect(await main(["hub", "rebuild-rollups", "--force"], bad.ctx)).toBe(2);
    expect(calls.rebuilds).toEqual([]);
    const group = fakeContext(api);
    expect(await main(["hub", "--help"], group.ctx)).toBe(0);
    expect(group.stdout()).toContain("rebuild-rollups");
  });
});

// The real hub code on an embedded data dir seeded with the demo network.
describe("hub rebuild-rollups on embedded storage", () => {
  let root: string;
  let dataDir: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-rebuild-rollups-"));
    dataDir = path.join(root, "hub");
    await seedPgliteStore(dataDir, await hubMigrations());
    const { createHub, loadHubConfig, seedHub } = await import("@maillage/hub");
    const hub = await createHub(loadHubConfig({}, { dataDir, logLevel: "silent" }));
    try {
      await seedHub(hub, { scale: "demo", until: "2025-03-31", seed: 3 });
      await hub.db.store.exec("DELETE FROM booking_rollup; UPDATE space_rollup SET fabriques = 0");
    } finally {
      await hub.stop();
    }
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it("rebuilds every rollup, the hub stopped, and prints their rows", async () => {
    const io = capturedIo({}, root);
    expect(await main(["hub", "rebuild-rollups", "--data-dir", "hub"], io.io)).toBe(0);
    expect(io.stderr()).toBe("");
    const lines = io.stdout().trimEnd().split("\n");
    expect(lines.slice(0, -1).map((line) => line.split(/\s+/)[0])).toEqual([
      "activity_rollup",
      "booking_rollup",
      "resource_rollup",
      "training_rollup",
      "mobility_presence",
      "mobility_rollup",
      "space_rollup",
      "space_activity_rollup",
      "space_commune_rollup",
    ]);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/ [1-9][\d,]* rows$/);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^rebuilt 9 rollups \\(embedded PGlite in ${dataDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\) in \\d+\\.\\d\\d s \\(tables locked \\d+\\.\\d\\d s\\)$`,
      ),
    );
    const { createHub, loadHubConfig } = await import("@maillage/hub");
    const hub = await createHub(loadHubConfig({}, { dataDir, logLevel: "silent" }));
    try {
      const [check] = await hub.db.store.query<{ bookings: number; fabriques: number }>(
        `SELECT (SELECT count(*)::int FROM booking_rollup) AS bookings,
                (SELECT sum(fabriques)::int FROM space_rollup WHERE scope = 'NATION') AS fabriques`,
      );
      expect(check?.bookings).toBeGreaterThan(0);
      expect(check?.fabriques).toBe(4);
    } finally {
      await hub.stop();
    }
  });

  it("is refused in one line while another process (a running hub) holds the embedded database", async () => {
    // What a running hub leaves there: its lock file with its pid (this test's parent here).
    const lock = path.join(dataDir, "pgdata", "maillage.lock");
    await fs.writeFile(lock, String(process.ppid));
    try {
      const io = capturedIo({}, root);
      expect(await main(["hub", "rebuild-rollups", "--data-dir", "hub"], io.io)).toBe(1);
      expect(io.stdout()).toBe("");
      expect(io.stderr()).toMatch(
        new RegExp(
          `^maillage: the embedded database in [^\\n]+ is in use by process ${process.ppid}`,
        ),
      );
    } finally {
      await fs.rm(lock, { force: true });
    }
  });

  it("refuses a data dir without a hub database in one line, creating nothing", async () => {
    const missing = path.join(root, "typo", "hub");
    const io = capturedIo({}, root);
    expect(await main(["hub", "rebuild-rollups", "--data-dir", missing], io.io)).toBe(1);
    expect(io.stdout()).toBe("");
    expect(io.stderr()).toMatch(/^maillage: no hub database in [^\n]+ --data-dir [^\n]+\n$/);
    expect(io.stderr()).toContain(missing);
    expect(existsSync(path.join(root, "typo"))).toBe(false);
  });
});
