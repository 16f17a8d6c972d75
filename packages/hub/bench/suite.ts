// `npm run bench` (every part) or `npm run bench:<part>` (one): the hub against its floors in
// the same run, printed as a Markdown table and written as bench-results/<timestamp>.json.
// See docs/benchmarks.md. Options (after `--`): --seconds N (load per run, default 10),
// --pairs N (paired runs, default 3), --connections N (default 20), --subscribers N (default
// 5000), --broadcasts N (default 4), --rounds N (calls per latency case, default 100),
// --cpu-prof DIR (CPU profile of the hub during the nested query parts), --out DIR.
// Parts: nested, nested-uncached, typename, broadcast, ingest, networkhealth, replicas, token.
import path from "node:path";
import { parseArgs } from "node:util";
import { broadcastPart } from "./parts/broadcast.ts";
import { healthPart } from "./parts/health.ts";
import { ingestPart } from "./parts/ingest.ts";
import { replicasPart } from "./parts/replicas.ts";
import { nestedPart, nestedUncachedPart, typenamePart } from "./parts/rps.ts";
import { tokenPart } from "./parts/token.ts";
import { type BenchPart, createContext } from "./support/context.ts";
import {
  type BenchReport,
  describeMachine,
  loadAverage,
  renderMarkdown,
  writeJson,
} from "./support/report.ts";

const PARTS: BenchPart[] = [
  nestedPart,
  nestedUncachedPart,
  typenamePart,
  broadcastPart,
  ingestPart,
  healthPart,
  replicasPart,
  tokenPart,
];
const repoRoot = path.resolve(import.meta.dirname, "../../..");

const { values, positionals } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    pairs: { type: "string", default: "3" },
    connections: { type: "string", default: "20" },
    subscribers: { type: "string", default: "5000" },
    broadcasts: { type: "string", default: "4" },
    rounds: { type: "string", default: "100" },
    "cpu-prof": { type: "string" },
    out: { type: "string", default: path.join(repoRoot, "bench-results") },
  },
  allowPositionals: true,
});
const unknown = positionals.filter((name) => !PARTS.some((p) => p.name === name));
if (unknown.length > 0) {
  console.error(
    `unknown part ${unknown.join(", ")}; parts: ${PARTS.map((p) => p.name).join(", ")}`,
  );
  process.exit(2);
}
const selected =
  positionals.length === 0 ? PARTS : PARTS.filter((p) => positionals.includes(p.name));
const positive = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name}: a positive number`);
    process.exit(2);
  }
  return n;
};
const options = {
  seconds: positive("seconds"),
  pairs: Math.round(positive("pairs")),
  connections: Math.round(positive("connections")),
  subscribers: Math.round(positive("subscribers")),
  broadcasts: Math.round(positive("broadcasts")),
  rounds: Math.round(positive("rounds")),
  cpuProfileDir: values["cpu-prof"] ? path.resolve(values["cpu-prof"]) : undefined,
};
const ctx = createContext(options);
const report: BenchReport = {
  startedAt: new Date().toISOString(),
  machine: describeMachine(),
  options: Object.fromEntries(
    Object.entries({ parts: selected.map((p) => p.name).join(" "), ...options }).filter(
      ([, v]) => v !== undefined,
    ),
  ),
  parts: [],
  failures: [],
};
try {
  for (const part of selected) {
    ctx.log(`${part.title} (load average ${loadAverage().join(" ")})`);
    const started = performance.now();
    try {
      report.parts.push(await part.run(ctx));
    } catch (error) {
      ctx.log(`  failed: ${(error as Error).stack ?? error}`);
      report.failures.push({ part: part.name, error: String((error as Error).message ?? error) });
    }
    ctx.log(`  ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
} finally {
  await ctx.cleanup();
}
report.finishedAt = new Date().toISOString();
report.machine.loadAverageEnd = loadAverage();
console.log(renderMarkdown(report));
const file = await writeJson(report, values.out as string);
console.log(`\nJSON: ${path.relative(process.cwd(), file) || file}`);
process.exit(report.failures.length > 0 ? 1 : 0);
