/**
 * Dates and times in Europe/Paris, for the dashboard and the console: days are "YYYY-MM-DD"
 * strings (calendar dates, computed in UTC so they never shift), instants are Dates. A Paris day
 * lasts 23 hours on the last Sunday of March and 25 on the last Sunday of October.
 */

const PARIS = "Europe/Paris";

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

/** Today's date in Paris, YYYY-MM-DD. */
export function todayInParis(now: Date = new Date()): string {
  return parisDay(now);
}

/** The Paris wall-clock time of an instant, "HH:MM". */
export function parisTime(instant: Date): string {
  const p = parisParts(instant);
  return `${pad(p.hour ?? 0)}:${pad(p.minute ?? 0)}`;
}

/** A calendar date's midnight in UTC, in milliseconds (its weekday, day arithmetic). */
export function dayToUtc(day: string): number {
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
