import { MaillageError } from "@maillage/schema";
import { describe, expect, it } from "vitest";
import { backoffDelay, RATE_LIMIT_MAX_WAIT_MS, rateLimitWait } from "./backoff.ts";

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

describe("rateLimitWait", () => {
  const settings = { baseMs: 500, capMs: 30_000 };
  const limited = (details?: Record<string, unknown>) =>
    new MaillageError("RATE_LIMITED", "the hub refused: too many requests", details);

  it("waits what the hub announced, at least the backoff, at most 5 minutes", () => {
    expect(rateLimitWait(limited({ retryAfterSeconds: 42 }), 300, settings)).toBe(42_000);
    expect(rateLimitWait(limited({ retryAfterSeconds: 0 }), 300, settings)).toBe(300);
    expect(rateLimitWait(limited({ retryAfterSeconds: 0.2 }), 0, settings)).toBe(200);
    expect(rateLimitWait(limited({ retryAfterSeconds: 86_400 }), 300, settings)).toBe(
      RATE_LIMIT_MAX_WAIT_MS,
    );
    expect(RATE_LIMIT_MAX_WAIT_MS).toBe(300_000);
  });

  it("waits the backoff's cap when the hub announced nothing usable", () => {
    expect(rateLimitWait(limited(), 300, settings)).toBe(30_000);
    expect(rateLimitWait(limited({ retryAfterSeconds: "soon" }), 300, settings)).toBe(30_000);
  });

  it("is for RATE_LIMITED only", () => {
    expect(rateLimitWait(new MaillageError("HUB_UNREACHABLE", "down"), 300, settings)).toBe(
      undefined,
    );
    expect(rateLimitWait(new Error("RATE_LIMITED"), 300, settings)).toBe(undefined);
  });
});
