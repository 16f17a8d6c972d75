/**
 * A load test is one caller sending thousands of requests a minute: the benches run the hub
 * with every rate-limit budget off (RATE_LIMIT_* = 0, docs/rate-limits.md).
 */
export const NO_RATE_LIMITS = {
  RATE_LIMIT_PERSON_PER_MINUTE: "0",
  RATE_LIMIT_NODE_PER_MINUTE: "0",
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: "0",
} as const;
