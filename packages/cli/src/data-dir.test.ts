import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { capturedIo, hubSigningKeysJson } from "./test-support.ts";

// The commands that need an existing hub or agent, run with the real hub and agent code on a
// data dir that does not exist: one line naming it and how to point elsewhere, exit 1, and
// nothing created (a new signing key there would sign tokens the running hub refuses).

let root: string;
let csv: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-no-data-dir-"));
  csv = path.join(root, "activity.csv");
  await fs.writeFile(csv, "space_id,date,visitors,events,participants,open_hours\n");
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

const HUB_COMMANDS = [
  ["hub", "token", "--role", "NATIONAL"],
  ["hub", "token", "--role", "FABRIQUE_ADMIN", "--fabrique", "01JC4Z8Q6X1V9T2B3N4M5P6R7S"],
  ["hub", "report"],
  ["hub", "keys", "list"],
  ["hub", "keys", "rotate"],
  ["hub", "keys", "remove", "--kid", "k"],
];
const AGENT_COMMANDS = [
  ["agent", "token", "--role", "FABRIQUE_ADMIN"],
  ["agent", "status"],
  ["agent", "import-activity", "CSV"],
];

async function runIn(argv: string[], env: Record<string, string>) {
  const io = capturedIo({ PORT: "1", ...env }, root);
  const code = await main(
    argv.map((arg) => (arg === "CSV" ? csv : arg)),
    io.io,
  );
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe("a command that needs an existing hub or agent, given none", () => {
  it.each(HUB_COMMANDS)(
    "%s %s %s: one line naming --data-dir's directory, exit 1",
    async (...argv) => {
      const missing = path.join(root, "typo");
      const hubDir = path.join(missing, "hub");
      const result = await runIn([...argv, "--data-dir", hubDir], {});
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^maillage: [^\n]+\n$/);
      expect(result.stderr).toContain(`no hub in ${hubDir} `);
      expect(result.stderr).toContain("--data-dir");
      expect(result.stderr).toContain("DATA_DIR");
      expect(existsSync(missing)).toBe(false);
    },
  );

  it.each(AGENT_COMMANDS)(
    "%s %s: one line naming --data-dir's directory, exit 1",
    async (...argv) => {
      const missing = path.join(root, "elsewhere");
      const agentDir = path.join(missing, "agent");
      const result = await runIn([...argv, "--data-dir", agentDir], {});
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^maillage: [^\n]+\n$/);
      expect(result.stderr).toContain(`no node agent in ${agentDir} `);
      expect(result.stderr).toContain("--data-dir");
      expect(result.stderr).toContain("DATA_DIR");
      expect(existsSync(missing)).toBe(false);
    },
  );

  it("looks in DATA_DIR/hub and DATA_DIR/agent without --data-dir", async () => {
    const dataDir = path.join(root, "unset");
    const hub = await runIn(["hub", "token", "--role", "NATIONAL"], { DATA_DIR: dataDir });
    expect(hub.code).toBe(1);
    expect(hub.stderr).toContain(`no hub in ${path.join(dataDir, "hub")} `);
    const agent = await runIn(["agent", "token", "--role", "FABRIQUE_ADMIN"], {
      DATA_DIR: dataDir,
    });
    expect(agent.code).toBe(1);
    expect(agent.stderr).toContain(`no node agent in ${path.join(dataDir, "agent")} `);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("signs with HUB_SIGNING_KEYS without any data dir", async () => {
    const missing = path.join(root, "keys-from-env");
    const result = await runIn(["hub", "token", "--role", "NATIONAL", "--data-dir", missing], {
      HUB_SIGNING_KEYS: hubSigningKeysJson(),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(existsSync(missing)).toBe(false);
  });
});
