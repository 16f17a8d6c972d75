import type { BackoffSettings } from "../env.ts";

/**
 * Capped exponential backoff with full jitter: a delay drawn uniformly in
 * [0, min(cap, base × 2^attempt)). Many agents coming back after one hub outage spread their
 * retries instead of arriving together. `attempt` counts the failures so far, from 0.
 */
export function backoffDelay(
  attempt: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** Math.min(attempt, 40));
  return Math.floor(random() * ceiling);
}
