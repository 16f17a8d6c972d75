import { z } from "zod";
import { ULID_PATTERN } from "../ids.ts";

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

/**
 * The time zone of a French commune, by its INSEE code: Europe/Paris for metropolitan France
 * and Corsica, each overseas department's and collectivity's own zone otherwise.
 */
const OVERSEAS_ZONES: Record<string, string> = {
  "971": "America/Guadeloupe",
  "972": "America/Martinique",
  "973": "America/Cayenne",
  "974": "Indian/Reunion",
  "975": "America/Miquelon",
  "976": "Indian/Mayotte",
  "977": "America/St_Barthelemy",
  "978": "America/Marigot",
  "986": "Pacific/Wallis",
  "987": "Pacific/Tahiti",
  "988": "Pacific/Noumea",
};

export function timeZoneOfCommune(communeCode: string): string {
  return OVERSEAS_ZONES[communeCode.slice(0, 3)] ?? "Europe/Paris";
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(instant);
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** When a ULID was made (its first 10 characters), or null for an id that is not a ULID. */
export function ulidTime(id: string): Date | null {
  if (!ULID_PATTERN.test(id)) return null;
  let ms = 0;
  for (const char of id.slice(0, 10)) ms = ms * 32 + CROCKFORD.indexOf(char);
  return new Date(ms);
}

/**
 * Why a space may not report activity for `date`, or null when it may.
 * - "Today" is the space's own local date (timeZoneOfCommune): a report dated tomorrow there
 *   is refused, whatever the server's clock zone.
 * - A day before the space joined the network is refused: the network's statistics describe
 *   the network, and a place counts from the day it was registered (the time its id, a ULID,
 *   was made, in its own zone). Ids that are not ULIDs (older fixtures) set no such bound.
 */
export function activityDateProblem(
  date: string,
  space: { id: string; communeCode: string },
  now: Date,
): string | null {
  const zone = timeZoneOfCommune(space.communeCode);
  const today = localDate(now, zone);
  if (date > today) return `${date} is in the future (today is ${today} at the space, ${zone})`;
  const registered = ulidTime(space.id);
  const firstDay = registered && localDate(registered, zone);
  if (firstDay && date < firstDay) {
    return `${date} is before the space joined the network (registered on ${firstDay})`;
  }
  return null;
}
