import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hubMigrations } from "../../hub/src/migrate.ts";
import { seedPgliteStore } from "../../storage/src/testing.ts";
import { buildCli } from "../build.mjs";
import { hubSigningKeysJson, writeHubKeyFile } from "./test-support.ts";

// The compiled CLI (packages/cli/build.mjs), built into a temporary directory: what each command
// loads, and the compiled commands themselves run in child processes.

let root: string;
let outdir: string;
let metafiles: Awaited<ReturnType<typeof buildCli>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // Inside the checkout, so that the compiled code finds node_modules as dist/ does.
  const cache = fileURLToPath(new URL("../../../node_modules/.cache/", import.meta.url));
  await fs.mkdir(cache, { recursive: true });
  root = await fs.mkdtemp(path.join(cache, "maillage-cli-build-"));
  outdir = path.join(root, "dist");
  metafiles = await buildCli({ outdir, quiet: true });
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await fs.rm(root, { recursive: true, force: true });
});
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Runs the compiled main.js as bin/maillage.js does. */
const RUNNER =
  "const { main } = await import(process.argv[1]); process.exit(await main(process.argv.slice(2)));";

function compiled(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", RUNNER, path.join(outdir, "main.js"), ...args],
      { env: { ...process.env, PORT: "1", ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
      },
    );
  });
}

describe("the compiled CLI", () => {
  it("loads zod and jose for the token, keys, report and status commands, and the servers only on demand", () => {
    const main = Object.entries(metafiles.main.outputs).find(([file]) =>
      file.endsWith("main.js"),
    )?.[1];
    const imports = main?.imports ?? [];
    const packages = new Set(
      imports
        .filter((i) => i.kind === "import-statement" && !i.path.startsWith("node:"))
        .map((i) => i.path),
    );
    expect([...packages].sort()).toEqual(["jose", "zod"]);
    expect(
      imports
        .filter((i) => i.kind === "dynamic-import")
        .map((i) => i.path)
        .sort(),
    ).toEqual(["./server/agent.js", "./server/hub.js"]);
    // The servers, apart: Prisma and PGlite are there, not in main.js.
    const serverPackages = Object.values(metafiles.servers.outputs).flatMap((o) =>
      o.imports.map((i) => i.path),
    );
    expect(serverPackages).toContain("@electric-sql/pglite");
    expect(serverPackages).toContain("@prisma/client/runtime/client");
  });

  it("signs hub and agent tokens, and refuses a missing data dir in one line", async () => {
    const hubDir = path.join(root, "hub");
    await writeHubKeyFile(hubDir);
    const hub = await compiled(["hub", "token", "--role", "NATIONAL", "--data-dir", hubDir]);
    expect(hub.stderr).toBe("");
    expect(hub.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);

    const fromEnv = await compiled(["hub", "token", "--role", "NATIONAL"], {
      HUB_SIGNING_KEYS: hubSigningKeysJson(),
      DATA_DIR: path.join(root, "none"),
    });
    expect(fromEnv.code).toBe(0);

    const agent = await compiled([
      "agent",
      "token",
      "--role",
      "FABRIQUE_ADMIN",
      "--data-dir",
      hubDir,
    ]);
    expect(agent.code).toBe(1);
    expect(agent.stderr).toMatch(/^maillage: no node agent in [^\n]+\n$/);
    expect(existsSync(path.join(root, "none"))).toBe(false);
  });

  it("starts the hub from its own chunk, writes its run file, and stops cleanly", {
    timeout: 120_000,
  }, async () => {
    const dataDir = path.join(root, "started");
    await seedPgliteStore(dataDir, await hubMigrations());
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        RUNNER,
        path.join(outdir, "main.js"),
        "hub",
        "start",
        "--port",
        "0",
        "--data-dir",
        dataDir,
      ],
      { env: { ...process.env, LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const found = /listening on (http:\/\/\S+) /.exec(stdout)?.[1];
        if (found) resolve(found);
        if (child.exitCode !== null) reject(new Error(`hub start exited: ${stderr}`));
      }, 50);
      exited.finally(() => clearInterval(timer));
      setTimeout(() => clearInterval(timer), 60_000);
    });
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    const run = JSON.parse(await fs.readFile(path.join(dataDir, "hub.run.json"), "utf8"));
    expect(run).toMatchObject({ url, pid: child.pid });

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(existsSync(path.join(dataDir, "hub.run.json"))).toBe(false);
  });
});
