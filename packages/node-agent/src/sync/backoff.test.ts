import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.ts";

describe("backoffDelay", () => {
  const settings = { baseMs: 500, capMs: 30_000 };
  const almostOne = () => 0.999_999;

  it("doubles its ceiling per failure from the base, up to the cap", () => {
    const ceilings = Array.from({ length: 10 }, (_, attempt) =>
      backoffDelay(attempt, settings, almostOne),
    );
    expect(ceilings).toEqual([499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999, 29_999]);
    expect(backoffDelay(10_000, settings, almostOne)).toBe(29_999);
  });

  it("draws the whole interval (full jitter), from 0", () => {
    expect(backoffDelay(3, settings, () => 0)).toBe(0);
    expect(backoffDelay(3, settings, () => 0.5)).toBe(2000);
    const draws = Array.from({ length: 1000 }, () => backoffDelay(4, settings));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(8000);
    expect(new Set(draws).size).toBeGreaterThan(100);
  });
});
