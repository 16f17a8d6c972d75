// The statistics every bench reports: medians, percentiles (nearest rank), ratios and their
// spread. Pure functions (tested in tests/bench/stats.test.ts).

/** Nearest-rank percentile of unsorted samples (p in 0–100); NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** The median (the mean of the two middle values for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export type Spread = { median: number; min: number; max: number; runs: number };

/** Median, min and max of a set of runs' figures. */
export function spread(samples: readonly number[]): Spread {
  return {
    median: median(samples),
    min: samples.length ? Math.min(...samples) : Number.NaN,
    max: samples.length ? Math.max(...samples) : Number.NaN,
    runs: samples.length,
  };
}

export type Latency = { p50: number; p95: number; p99: number; max: number; count: number };

export function latency(samples: readonly number[]): Latency {
  return {
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: samples.length ? Math.max(...samples) : Number.NaN,
    count: samples.length,
  };
}

/**
 * Paired ratios: `subject[i] / floor[i]` for each pair run back to back, so that a change of
 * the machine's load between pairs moves both sides. Pairs missing either side are skipped.
 */
export function pairedRatios(subject: readonly number[], floor: readonly number[]): number[] {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(subject.length, floor.length); i++) {
    const s = subject[i] as number;
    const f = floor[i] as number;
    if (Number.isFinite(s) && Number.isFinite(f) && f !== 0) ratios.push(s / f);
  }
  return ratios;
}

/** `1.234` → "1.23"; NaN → "–". */
export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/** "median (min–max, n runs)". */
export function formatSpread(s: Spread, digits = 2, unit = ""): string {
  if (s.runs === 0) return "–";
  if (s.runs === 1) return `${fixed(s.median, digits)}${unit} (1 run)`;
  return `${fixed(s.median, digits)}${unit} (${fixed(s.min, digits)}–${fixed(s.max, digits)}, ${s.runs} runs)`;
}
