// What every part of the suite receives: the run's options, the national database (seeded or
// reused once per run, on first use), scratch directories removed at the end, a log.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type NationalDatabase, nationalDatabase } from "./national.ts";
import type { PartResult } from "./report.ts";

export type BenchOptions = {
  /** Seconds of load per run (RPS parts). */
  seconds: number;
  /** Paired runs (subject then floor, alternating which goes first). */
  pairs: number;
  /** Concurrent HTTP connections (RPS parts). */
  connections: number;
  /** Subscribers of the broadcast part. */
  subscribers: number;
  /** Broadcasts per server in the broadcast part. */
  broadcasts: number;
  /** Calls per case (networkHealth) and writes (cross-replica delivery). */
  rounds: number;
  /** Write CPU profiles of the hub (nested query part) here. */
  cpuProfileDir?: string;
};

export type BenchContext = BenchOptions & {
  national(): Promise<NationalDatabase>;
  scratch(prefix: string): Promise<string>;
  log(line: string): void;
};

export type BenchPart = {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<PartResult>;
};

export function createContext(options: BenchOptions): BenchContext & { cleanup(): Promise<void> } {
  const dirs: string[] = [];
  let national: Promise<NationalDatabase> | undefined;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  return {
    ...options,
    log,
    national() {
      national ??= nationalDatabase(log);
      return national;
    },
    async scratch(prefix) {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), `maillage-bench-${prefix}-`));
      dirs.push(dir);
      return dir;
    },
    async cleanup() {
      for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
