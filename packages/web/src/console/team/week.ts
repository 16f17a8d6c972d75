/**
 * The week calendar's arithmetic, in Europe/Paris: days are "YYYY-MM-DD" strings (calendar
 * dates, computed in UTC so they never shift), instants are Dates. A Paris day lasts 23 hours on
 * the last Sunday of March and 25 on the last Sunday of October.
 */

export const PARIS = "Europe/Paris";

const partsFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: PARIS,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

function parisParts(instant: Date): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of partsFormat.formatToParts(instant)) {
    if (part.type !== "literal") out[part.type] = Number(part.value);
  }
  return out;
}

/** Paris's offset from UTC at an instant, in minutes (60 in winter, 120 in summer). */
export function parisOffsetMinutes(instant: Date): number {
  const p = parisParts(instant);
  const wall = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((wall - Math.floor(instant.getTime() / 1000) * 1000) / 60000);
}

const pad = (n: number) => String(n).padStart(2, "0");

/** The Paris calendar date of an instant. */
export function parisDay(instant: Date): string {
  const p = parisParts(instant);
  return `${p.year}-${pad(p.month ?? 0)}-${pad(p.day ?? 0)}`;
}

/** The Paris wall-clock time of an instant, "HH:MM". */
export function parisTime(instant: Date): string {
  const p = parisParts(instant);
  return `${pad(p.hour ?? 0)}:${pad(p.minute ?? 0)}`;
}

function dayToUtc(day: string): number {
  const [y, m, d] = day.split("-").map(Number);
  return Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1);
}

function utcToDay(ms: number): string {
  const date = new Date(ms);
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** A calendar date `n` days later (earlier when negative). */
export function addDays(day: string, n: number): string {
  return utcToDay(dayToUtc(day) + n * 86_400_000);
}

/** 1 = Monday … 7 = Sunday. */
export function isoWeekday(day: string): number {
  const w = new Date(dayToUtc(day)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** The Monday of the week holding `day`. */
export function mondayOf(day: string): string {
  return addDays(day, 1 - isoWeekday(day));
}

/** The instant a Paris wall-clock time happens on a day (local midnight by default). */
export function parisInstant(day: string, time = "00:00"): Date {
  const [h, min] = time.split(":").map(Number);
  const wall = dayToUtc(day) + ((h ?? 0) * 60 + (min ?? 0)) * 60_000;
  let guess = wall - parisOffsetMinutes(new Date(wall)) * 60_000;
  guess = wall - parisOffsetMinutes(new Date(guess)) * 60_000;
  return new Date(guess);
}

/**
 * A Paris wall-clock time as ISO 8601 with its offset (the API's DateTime):
 * ("2026-12-07", "14:30") → "2026-12-07T14:30:00+01:00". "24:00" is the next day's midnight.
 */
export function parisDateTime(day: string, time: string): string {
  const instant = parisInstant(day, time);
  const offset = parisOffsetMinutes(instant);
  const local = new Date(instant.getTime() + offset * 60_000);
  const abs = Math.abs(offset);
  return (
    `${utcToDay(local.getTime())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:00` +
    `${offset >= 0 ? "+" : "-"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Today's date in Paris, YYYY-MM-DD. */
export function todayInParis(now: Date = new Date()): string {
  return parisDay(now);
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
