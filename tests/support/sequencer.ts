import fs from "node:fs";
import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Longest files first, so that both workers finish together. vitest's own order does that
 * from the durations of the previous run (node_modules/.vite/vitest); without them (a fresh
 * checkout, a new file) it falls back on file size, and the three-line `<name>.test.ts` that
 * run a `<name>.suite.ts` — the end-to-end suites, the longest of all — would start last.
 *
 * Here a file without a recorded duration is given one: its size, with the suites it imports
 * (three times that when it starts a real hub and agents, tests/support/sync-cluster.ts), at
 * the median milliseconds per byte of the files that have one (or by size alone when none
 * has). Everything else is vitest's order.
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const recorded = (file: TestSpecification) =>
      this.ctx.cache.getFileTestResults(
        `${file.project.name}:${path.relative(root, file.moduleId)}`,
      );
    if (sorted.every((file) => recorded(file) !== undefined)) return sorted;

    const weight = new Map(sorted.map((file) => [file, weightOf(file.moduleId)]));
    const rates = sorted
      .flatMap((file) => {
        const duration = recorded(file)?.duration;
        return duration ? [duration / (weight.get(file) as number)] : [];
      })
      .sort((a, b) => a - b);
    const rate = rates[Math.floor(rates.length / 2)] ?? 1;
    const estimate = (file: TestSpecification) =>
      recorded(file)?.duration ?? (weight.get(file) as number) * rate;
    // Stable: projects keep their order, files of one project go longest first.
    return sorted
      .map((file, index) => ({ file, index }))
      .sort(
        (a, b) =>
          (a.file.project.name === b.file.project.name ? estimate(b.file) - estimate(a.file) : 0) ||
          a.index - b.index,
      )
      .map(({ file }) => file);
  }
}

/** A test file's size plus that of the `*.suite.ts` files it imports; ×3 end to end. */
function weightOf(file: string): number {
  const read = (name: string) => {
    try {
      return fs.readFileSync(name, "utf8");
    } catch {
      return ""; // a file that cannot be read fails by itself
    }
  };
  const texts = [read(file)];
  for (const [, spec] of (texts[0] as string).matchAll(
    /from\s+["'](\.{1,2}\/[^"']+\.suite\.ts)["']/g,
  )) {
    texts.push(read(path.resolve(path.dirname(file), spec as string)));
  }
  const size = texts.reduce((sum, text) => sum + text.length, 0);
  return texts.some((text) => text.includes("support/sync-cluster.ts")) ? 3 * size : size;
}
