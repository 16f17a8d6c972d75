// `npm run bench:cli`: how long the real `maillage` command takes, run as a user runs it (a
// child process of `node bin/maillage.js`, so Node's own start-up is included):
//
// - `hub token --role NATIONAL` and `agent token --role FABRIQUE_ADMIN`, each run --runs times
//   (after one warm-up run) on an existing data dir: median and p95 of the wall-clock time until
//   the process exits;
// - `hub start` on an existing data dir (embedded PGlite, already migrated): from the spawn until
//   GET /ready answers 200, --starts times (median), each start stopped with SIGTERM.
//
// With the default bin it compiles the CLI first (`npm run build`) and says at the end whether a
// source changed meanwhile (bin/maillage.js would then have run the sources through tsx).
//
// Options: --runs N (default 20), --starts N (default 3), --bin FILE (another entry point, e.g. a
// copy of an older bin/maillage.js, to compare before and after on the same machine). Not a test:
// the figures depend on the machine and its load.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair } from "jose";

const repoRoot = path.resolve(import.meta.dirname, "../..");

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    starts: { type: "string", default: "3" },
    bin: { type: "string", default: path.join(repoRoot, "bin/maillage.js") },
  },
});
const RUNS = Number(values.runs);
const STARTS = Number(values.starts);
const BIN = path.resolve(values.bin);
const DEFAULT_BIN = BIN === path.join(repoRoot, "bin/maillage.js");

/** The sources changed since the CLI was compiled (bin/maillage.js's own check). */
async function staleSources(): Promise<string[]> {
  const build = JSON.parse(
    await fs.readFile(path.join(repoRoot, "packages/cli/dist/build.json"), "utf8"),
  ) as { builtAt: number; inputs: string[] };
  const stale: string[] = [];
  for (const input of build.inputs) {
    const stat = await fs.stat(path.join(repoRoot, input)).catch(() => undefined);
    if (stat === undefined || stat.mtimeMs > build.builtAt) stale.push(input);
  }
  return stale;
}

function percentile(sorted: readonly number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}
function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const f = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
  return `median ${f(percentile(sorted, 50))}  p95 ${f(percentile(sorted, 95))}  min ${f(sorted[0] ?? Number.NaN)}  (${sorted.length} runs)`;
}

/** Runs the CLI once to completion; throws on a non-zero exit. Returns the wall-clock ms. */
function timeCommand(
  args: string[],
  env: Record<string, string> = {},
  bin: string[] = [BIN],
): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [...bin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`maillage ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  }
  return elapsed;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once("exit", resolve));
}

/** Spawns `hub start` and polls /ready every 10 ms; resolves with the ms until it answers 200. */
async function timeHubStart(dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [BIN, "hub", "start", "--port", String(port), "--data-dir", dataDir],
    {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: "warn" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  try {
    const deadline = started + 120_000;
    while (performance.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`hub start exited ${child.exitCode}: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/ready`, {
        signal: AbortSignal.timeout(1000),
      })
        .then((response) => response.status === 200)
        .catch(() => false);
      if (ok) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error("the hub was not ready within 120 s");
  } finally {
    child.kill("SIGTERM");
    await waitForExit(child);
  }
}

/** An enrolled agent's identity and key files, as `maillage agent init` writes them. */
async function writeAgentFiles(dataDir: string): Promise<void> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  const nodeId = "01JBENCHN0DE000000000000AA";
  await fs.mkdir(path.join(dataDir, "keys"), { recursive: true, mode: 0o700 });
  await fs.writeFile(
    path.join(dataDir, "keys", "node-key.json"),
    JSON.stringify({
      kid: nodeId,
      createdAt: new Date().toISOString(),
      privateJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d },
    }),
    { mode: 0o600 },
  );
  await fs.writeFile(
    path.join(dataDir, "node.json"),
    JSON.stringify({
      nodeId,
      fabriqueId: "01JBENCHFABR1QUE0000000000",
      fabriqueName: "Fabrique du banc d'essai",
      hubUrl: "http://127.0.0.1:4000",
      enrolledAt: new Date().toISOString(),
    }),
  );
}

async function main() {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-cli-"));
  const hubDir = path.join(root, "hub");
  const agentDir = path.join(root, "agent");
  try {
    if (DEFAULT_BIN) {
      const { buildCli } = await import("../../packages/cli/build.mjs");
      await buildCli({ quiet: true });
    }
    console.log(`bin: ${path.relative(repoRoot, BIN) || BIN}  node ${process.version}`);
    console.log(
      `load average: ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}\n`,
    );

    // The first start creates the hub's key file and its embedded database, migrated.
    const first = await timeHubStart(hubDir);
    console.log(
      `hub start, fresh data dir, to /ready: ${(first / 1000).toFixed(3)} s (not counted)`,
    );
    await writeAgentFiles(agentDir);

    // What Node itself costs to start on this machine now: the floor of every figure below.
    const bare = Array.from({ length: RUNS }, () => timeCommand([], {}, ["-e", "0"]));
    console.log(`node -e 0  : ${summary(bare)}`);

    const hubToken = ["hub", "token", "--role", "NATIONAL", "--data-dir", hubDir];
    const agentToken = ["agent", "token", "--role", "FABRIQUE_ADMIN", "--data-dir", agentDir];
    for (const [name, args] of [
      ["hub token  ", hubToken],
      ["agent token", agentToken],
    ] as const) {
      timeCommand([...args]); // warm-up: the file system cache
      const times = Array.from({ length: RUNS }, () => timeCommand([...args]));
      console.log(`${name}: ${summary(times)}`);
    }

    const starts: number[] = [];
    for (let i = 0; i < STARTS; i++) starts.push(await timeHubStart(hubDir));
    console.log(`hub start, existing data dir, to /ready: ${summary(starts)}`);
    if (DEFAULT_BIN) {
      const stale = await staleSources();
      if (stale.length > 0) {
        console.log(
          `\nwarning: ${stale.length} sources changed during the run (${stale[0]}, ...): some runs went through tsx`,
        );
      }
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

await main();
