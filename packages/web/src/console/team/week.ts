/**
 * The week calendar's arithmetic, in Europe/Paris (days and instants as ui/paris-date.ts has
 * them): a week holds a 23-hour day on the last Sunday of March and a 25-hour one on the last
 * Sunday of October.
 */

import { addDays, dayToUtc, parisDay, parisInstant, parisTime } from "../../ui/paris-date.ts";

/** 1 = Monday … 7 = Sunday. */
export function isoWeekday(day: string): number {
  const w = new Date(dayToUtc(day)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** The Monday of the week holding `day`. */
export function mondayOf(day: string): string {
  return addDays(day, 1 - isoWeekday(day));
}

export interface WeekDay {
  /** YYYY-MM-DD */
  day: string;
  /** 1 = Monday … 7 = Sunday */
  weekday: number;
  /** Paris midnight starting it */
  start: Date;
  /** Paris midnight of the next day (excluded) */
  end: Date;
  isToday: boolean;
}

/** The seven Paris days, Monday to Sunday, of the week holding `day`. */
export function weekDays(day: string, now: Date = new Date()): WeekDay[] {
  const monday = mondayOf(day);
  const today = parisDay(now);
  return Array.from({ length: 7 }, (_, i) => {
    const d = addDays(monday, i);
    return {
      day: d,
      weekday: i + 1,
      start: parisInstant(d),
      end: parisInstant(addDays(d, 1)),
      isToday: d === today,
    };
  });
}

export interface Span {
  startsAt: string;
  endsAt: string;
}

export interface Placed<T> {
  item: T;
  /** "HH:MM" in Paris; "00:00" when it started on an earlier day */
  from: string;
  /** "HH:MM" in Paris; "24:00" when it goes on past midnight */
  to: string;
  /** It began before this day */
  continued: boolean;
  /** It goes on after this day */
  continues: boolean;
}

/**
 * Each day's entries of a week: every item overlapping [day start, day end) in Paris, clipped to
 * the day, by start. An item over several days shows on each of them.
 */
export function placeInWeek<T extends Span>(
  items: readonly T[],
  days: readonly WeekDay[],
): Placed<T>[][] {
  return days.map((d) => {
    const placed: Placed<T>[] = [];
    for (const item of items) {
      const start = new Date(item.startsAt);
      const end = new Date(item.endsAt);
      if (!(start < d.end && end > d.start)) continue;
      const continued = start < d.start;
      const continues = end > d.end;
      placed.push({
        item,
        from: continued ? "00:00" : parisTime(start),
        to: end >= d.end ? "24:00" : parisTime(end),
        continued,
        continues,
      });
    }
    return placed.sort(
      (a, b) =>
        new Date(a.item.startsAt).getTime() - new Date(b.item.startsAt).getTime() ||
        a.to.localeCompare(b.to),
    );
  });
}

/** The length of a Paris day in hours (23, 24 or 25). */
export function dayHours(d: WeekDay): number {
  return (d.end.getTime() - d.start.getTime()) / 3_600_000;
}
