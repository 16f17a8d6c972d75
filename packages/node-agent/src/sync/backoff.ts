import { MaillageError } from "@maillage/schema";
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

/**
 * The longest an agent waits on the hub's word when it is rate limited. The hub's windows last
 * a minute, so its announced wait is at most 60 s; a larger one (a misconfigured proxy, a bad
 * header) is cut to this, so an agent never goes quiet for longer.
 */
export const RATE_LIMIT_MAX_WAIT_MS = 5 * 60_000;

/**
 * When the hub refused a request for its rate limit (RATE_LIMITED), how long to wait before
 * the next one: the wait it announced (`retryAfterSeconds`), at most RATE_LIMIT_MAX_WAIT_MS,
 * and never less than `backoffMs` (the delay the failure would get anyway); without an
 * announced wait, the backoff's cap. Undefined for any other error.
 */
export function rateLimitWait(
  error: unknown,
  backoffMs: number,
  settings: BackoffSettings,
): number | undefined {
  if (!(error instanceof MaillageError) || error.code !== "RATE_LIMITED") return undefined;
  const seconds = error.details?.retryAfterSeconds;
  const announced =
    typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0
      ? Math.min(Math.ceil(seconds * 1000), RATE_LIMIT_MAX_WAIT_MS)
      : settings.capMs;
  return Math.max(announced, backoffMs);
}
