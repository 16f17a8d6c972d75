// Part 7: the CLI's `hub token --role NATIONAL` (compiled bin/maillage.js, a child process as a
// user runs it, on a data dir holding only the hub's key file) against `node -e 0`, the
// floor: Node's own start-up on this machine now. Paired runs, alternating which goes first;
// wall time until the process exited. bench:cli measures more of the CLI (agent token, hub
// start).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { KeyRing } from "../../src/auth/keys.ts";
import type { BenchPart } from "../support/context.ts";
import type { PartResult } from "../support/report.ts";
import { fixed, formatSpread, latency, pairedRatios, spread } from "../support/stats.ts";

const repoRoot = path.resolve(import.meta.dirname, "../../../..");

function wallMs(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: "utf8" });
  const elapsed = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

export const tokenPart: BenchPart = {
  name: "token",
  title: "7. CLI `hub token` ÷ `node -e 0`",
  async run(ctx): Promise<PartResult> {
    const { buildCli } = (await import(path.join(repoRoot, "packages/cli/build.mjs"))) as {
      buildCli(o: { quiet: boolean }): Promise<void>;
    };
    await buildCli({ quiet: true });
    const dataDir = await ctx.scratch("token");
    await KeyRing.open({ dataDir });
    const token = [
      path.join(repoRoot, "bin/maillage.js"),
      "hub",
      "token",
      "--role",
      "NATIONAL",
      "--data-dir",
      dataDir,
    ];
    const bare = ["-e", "0"];
    wallMs(token); // warm-up: the file system cache
    wallMs(bare);
    const runs = Math.max(10, ctx.pairs * 5);
    const tokenMs: number[] = [];
    const bareMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        tokenMs.push(wallMs(token));
        bareMs.push(wallMs(bare));
      } else {
        bareMs.push(wallMs(bare));
        tokenMs.push(wallMs(token));
      }
    }
    const ratios = pairedRatios(tokenMs, bareMs);
    return {
      part: "token",
      title: "7. CLI `hub token` ÷ `node -e 0`",
      rows: [
        {
          measure: "wall time until exit (ms), median (min–max)",
          subject: formatSpread(spread(tokenMs), 0),
          floor: formatSpread(spread(bareMs), 0),
          ratio: formatSpread(spread(ratios), 2),
        },
        {
          measure: "p95 (ms)",
          subject: fixed(latency(tokenMs).p95, 0),
          floor: fixed(latency(bareMs).p95, 0),
          ratio: "–",
        },
      ],
      data: { tokenMs, bareMs, ratios },
    };
  },
};
