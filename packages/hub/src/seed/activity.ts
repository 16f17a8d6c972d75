import type { PlannedSpace } from "./plan.ts";
import { createRandom } from "./random.ts";

/**
 * A space's daily reports over the seeded period: on its opening days only, not every one of
 * them (people forget), fewer in August and none between Christmas and New Year, slowly
 * growing year on year.
 */

export type GeneratedReport = {
  day: string;
  visitors: number;
  events: number;
  participants: number;
  openHours: number;
};

/** Visitors (and bookings) by month, January first: summer and the end-of-year holidays are quiet. */
export const SEASON = [0.9, 0.95, 1.05, 1, 1, 1.05, 0.8, 0.55, 1.1, 1.1, 1.05, 0.85];
const DAY_MS = 86_400_000;
/** How much busier the network gets in a year. */
export const GROWTH_PER_YEAR = 0.12;

export function* reportsOf(
  space: PlannedSpace,
  firstDay: string,
  days: number,
): Generator<GeneratedReport> {
  const random = createRandom(space.activitySeed);
  const { profile } = space;
  const start = Date.parse(`${firstDay}T00:00:00Z`);
  for (let index = profile.startIndex; index < days; index++) {
    if (index > profile.stopIndex) break;
    const date = new Date(start + index * DAY_MS);
    const weekday = ((date.getUTCDay() + 6) % 7) + 1;
    const hours = profile.hoursByWeekday[weekday - 1] ?? 0;
    // Draw the same number of values every day, so a day's numbers do not depend on the days before being open or not.
    const reported = random.next();
    const noise = 0.6 + random.next() * 0.8;
    const eventDraw = random.next();
    const hourShift = random.int(-2, 2);
    if (hours === 0 || reported >= profile.reportRate) continue;
    const month = date.getUTCMonth();
    const dayOfMonth = date.getUTCDate();
    if ((month === 11 && dayOfMonth >= 24) || (month === 0 && dayOfMonth === 1)) continue;
    if (
      month === 7 &&
      profile.summerClosureDay !== null &&
      dayOfMonth >= profile.summerClosureDay &&
      dayOfMonth < profile.summerClosureDay + 14
    ) {
      continue;
    }
    const growth = 1 + (GROWTH_PER_YEAR * index) / 365;
    const visitors = Math.round(
      profile.baseVisitors * (SEASON[month] ?? 1) * growth * noise * (hours / 8),
    );
    const eventRandom = createRandom(Math.floor(eventDraw * 2 ** 32));
    const events = eventRandom.poisson(profile.eventsPerDay * (SEASON[month] ?? 1));
    let participants = 0;
    for (let e = 0; e < events; e++) participants += eventRandom.int(4, 20);
    const openHours = Math.min(24, Math.max(0.25, hours + hourShift * 0.25));
    yield {
      day: date.toISOString().slice(0, 10),
      visitors,
      events,
      participants,
      openHours,
    };
  }
}
