import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ARTIFACTS } from "./browser.ts";

const FILE = path.join(ARTIFACTS, "measures.json");

/** Where and under what load the measures were taken. */
export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
    node: process.version,
  };
}

/**
 * Adds `values` under `key` to test-results/web/measures.json (the other keys kept: the
 * browser test files write one after another) and prints them. Measures are not asserted.
 */
export async function recordMeasure(key: string, values: Record<string, unknown>): Promise<void> {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(await fs.readFile(FILE, "utf8")) as Record<string, unknown>;
  } catch {
    // first measure of the run
  }
  all[key] = { ...values, at: new Date().toISOString(), machine: machine() };
  await fs.writeFile(FILE, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`[measure] ${key}: ${JSON.stringify(values)}`);
}
