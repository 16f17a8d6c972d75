import { type AvailabilityWindow, openIntervals, parisInstant } from "@maillage/schema";

/**
 * A resource's minutes open in a week, as its windows say (overlapping windows of a day
 * counted once): the week of Monday 2024-01-08, which has no clock change, read through the
 * contract's `openIntervals`. No window: open around the clock, 7 × 24 × 60. Closures are left
 * out — utilisation takes weekly × days / 7 as the open time of a period, an approximation
 * that ignores them (see health.service.ts).
 */
export const WEEK_MINUTES = 7 * 24 * 60;

const WEEK_START = parisInstant("2024-01-08", 0);
const WEEK_END = parisInstant("2024-01-15", 0);

export function weeklyOpenMinutes(windows: readonly AvailabilityWindow[]): number {
  const intervals = openIntervals({ windows, closures: [] }, WEEK_START, WEEK_END);
  const ms = intervals.reduce((n, i) => n + (i.to.getTime() - i.from.getTime()), 0);
  return Math.round(ms / 60_000);
}
