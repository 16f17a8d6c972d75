import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { expect, it } from "vitest";
import type { RateLimitSettings } from "../env.ts";
import { createRateLimits, rateLimitKeyOf } from "./rate-limits.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const silent = pino({ level: "silent" });

/** Budgets under a prefix of this run alone: other runs on the same Redis count apart. */
const settings = (personPerMinute: number): RateLimitSettings => ({
  personPerMinute,
  nodePerMinute: 0,
  anonymousPerMinute: 0,
  keyPrefix: `maillage-test:${randomUUID()}`,
});

it("two replicas' limiters on one Redis share one budget", async () => {
  const shared = settings(4);
  const a = createRateLimits(shared, { redisUrl: REDIS_URL, logger: silent });
  const b = createRateLimits(shared, { redisUrl: REDIS_URL, logger: silent });
  const alice = rateLimitKeyOf({ sub: "alice", role: "NATIONAL" }, undefined);
  try {
    // Until its connection is ready a replica counts on its own (the insurance limiter).
    await Promise.all([a.ready(), b.ready()]);
    const verdicts = [];
    for (let i = 0; i < 6; i++) verdicts.push((await (i % 2 ? b : a).consume(alice)).allowed);
    // With a count per replica each would allow 4 (8 in all); shared, the fifth is refused.
    expect(verdicts).toEqual([true, true, true, true, false, false]);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

it("fails open when Redis is unreachable: counts per replica and logs a warning", async () => {
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
  // Nothing listens on port 1.
  const limits = createRateLimits(settings(2), { redisUrl: "redis://127.0.0.1:1", logger });
  const bob = rateLimitKeyOf({ sub: "bob", role: "NATIONAL" }, undefined);
  try {
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push((await limits.consume(bob)).allowed);
    // Never refused because Redis is down; the budget still holds on this replica.
    expect(verdicts).toEqual([true, true, false]);
    expect(lines.join("\n")).toMatch(/rate limits: Redis (unavailable|connection error)/);
  } finally {
    await limits.close();
  }
});
