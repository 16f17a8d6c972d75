// The bench harness's statistics and report shapes (packages/hub/bench/support): the helpers
// every ratio goes through. No figure of a real run is asserted anywhere.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  type BenchReport,
  renderMarkdown,
  writeJson,
} from "../../packages/hub/bench/support/report.ts";
import {
  formatSpread,
  latency,
  median,
  pairedRatios,
  percentile,
  spread,
} from "../../packages/hub/bench/support/stats.ts";

describe("bench statistics", () => {
  it("takes the median of odd and even counts, unsorted", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("takes nearest-rank percentiles", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 95)).toBe(95);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 95)).toBeNaN();
    expect(latency([1, 2, 3, 4])).toEqual({ p50: 2, p95: 4, p99: 4, max: 4, count: 4 });
  });

  it("pairs ratios run by run and skips incomplete or zero pairs", () => {
    expect(pairedRatios([10, 20, 30], [100, 100, 0])).toEqual([0.1, 0.2]);
    expect(pairedRatios([10, 20], [100])).toEqual([0.1]);
    expect(pairedRatios([Number.NaN], [1])).toEqual([]);
  });

  it("reports a spread as median (min–max, runs)", () => {
    const s = spread([0.07, 0.05, 0.09]);
    expect(s).toEqual({ median: 0.07, min: 0.05, max: 0.09, runs: 3 });
    expect(formatSpread(s, 2)).toBe("0.07 (0.05–0.09, 3 runs)");
    expect(formatSpread(spread([1]), 1)).toBe("1.0 (1 run)");
    expect(formatSpread(spread([]), 1)).toBe("–");
  });
});

describe("bench report", () => {
  const report: BenchReport = {
    startedAt: "2026-12-07T04:00:00.000Z",
    finishedAt: "2026-12-07T04:10:00.000Z",
    machine: {
      cpus: 2,
      cpuModel: "test cpu",
      totalMemoryGB: 8,
      node: "v20.20.2",
      platform: "linux",
      loadAverageStart: [1.5, 1, 0.5],
      loadAverageEnd: [2, 1.5, 1],
    },
    options: { seconds: 10, pairs: 3 },
    parts: [
      {
        part: "nested",
        title: "1. nested | query",
        rows: [
          { measure: "RPS", subject: "300", floor: "4000", ratio: "0.075 (0.07–0.08, 3 runs)" },
        ],
        data: { hubRuns: [1, 2, 3] },
        notes: ["a note"],
      },
    ],
    failures: [{ part: "broadcast", error: "boom" }],
  };

  it("renders one Markdown table with the machine and its load", () => {
    const text = renderMarkdown(report);
    expect(text).toContain("2 cores (test cpu)");
    expect(text).toContain("load average 1.5 1 0.5 at the start, 2 1.5 1 at the end");
    const table = text.split("\n").filter((line) => line.startsWith("|"));
    expect(table[0]).toBe("| part | measure | hub | floor | hub ÷ floor |");
    expect(table[2]).toBe("| 1. nested \\| query | RPS | 300 | 4000 | 0.075 (0.07–0.08, 3 runs) |");
    expect(table[3]).toBe("| broadcast | failed | boom | – | – |");
    for (const row of table) expect(row.split(/(?<!\\)\|/).length).toBe(7);
    expect(text).toContain("- 1. nested | query: a note");
  });

  it("writes the report as JSON named by its start time", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-report-"));
    try {
      const file = await writeJson(report, dir);
      expect(path.basename(file)).toBe("2026-12-07T04-00-00Z.json");
      expect(JSON.parse(await fs.readFile(file, "utf8"))).toEqual(report);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
