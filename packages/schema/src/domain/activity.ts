import { z } from "zod";

/**
 * A satellite's (or fabrique's) activity for one day: what the national body's health view is
 * built from. One report per space and day; a later revision replaces the earlier one
 * everywhere, and the statistics count it once. Counts only: the free-text note a place may
 * keep with its report stays at its node.
 */
export const ActivityDate = z.iso.date("a date YYYY-MM-DD");

export const ActivityCounts = z
  .object({
    visitors: z.number().int().min(0, "cannot be negative").max(100_000),
    events: z.number().int().min(0, "cannot be negative").max(1_000),
    participants: z.number().int().min(0, "cannot be negative").max(100_000),
    /** Hours the place was open that day, 0 to 24, in quarters of an hour at most. */
    openHours: z.number().min(0, "cannot be negative").max(24, "at most 24"),
  })
  .strict();

export const ActivityPayload = ActivityCounts.extend({
  spaceId: z.string().min(1),
  date: ActivityDate,
}).strict();
export type ActivityPayload = z.infer<typeof ActivityPayload>;

/** The sync entity id of a space's report for a day: one record per space and day. */
export function activityEntityId(spaceId: string, date: string): string {
  return `${spaceId}:${date}`;
}

/**
 * Is `date` (YYYY-MM-DD) after today? A day is accepted up to the end of the day in the
 * easternmost French time zone (UTC+12 for Wallis-et-Futuna), so no place is refused its today.
 */
export function isFutureDate(date: string, now = new Date()): boolean {
  const latestToday = new Date(now.getTime() + 12 * 3600_000).toISOString().slice(0, 10);
  return date > latestToday;
}
