import {
  MaillageError,
  parisInstant,
  parisWallClock,
  parseWeeklyRule,
  type Weekday,
} from "@maillage/schema";

/** A weekly series creates at most this many trainings. */
export const SERIES_MAX_SESSIONS = 52;

export type Occurrence = { startsAt: Date; endsAt: Date; decisionAt: Date | null };

const DAY_MS = 86_400_000;
const WEEKDAY_OF_UTC_DAY: Weekday[] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/**
 * The sessions of a weekly series: the first training's own dates, then every Paris date up to
 * `until` (YYYY-MM-DD, included) whose weekday is in the rule (the RRULE subset of
 * availability windows, FREQ=WEEKLY;BYDAY=…), at the same Europe/Paris wall-clock times as the
 * first (DST-safe: 18:00 stays 18:00 across the change of hour). A decision deadline keeps its
 * distance to the start. The first training's day must be one of the rule's; at most
 * SERIES_MAX_SESSIONS sessions. BAD_USER_INPUT naming the field otherwise.
 */
export function weeklyOccurrences(
  first: Occurrence,
  series: { rrule: string; until: string },
): Occurrence[] {
  const days = parseWeeklyRule(series.rrule);
  if (typeof days === "string") {
    throw new MaillageError("BAD_USER_INPUT", `series.rrule: ${days}`, { field: "series.rrule" });
  }
  const start = parisWallClock(first.startsAt);
  const end = parisWallClock(first.endsAt);
  if (!days.has(start.weekday)) {
    throw new MaillageError(
      "BAD_USER_INPUT",
      `series.rrule: the first session's day (${start.weekday}, Europe/Paris) is not one of the rule's (${[...days].join(",")})`,
      { field: "series.rrule" },
    );
  }
  if (series.until < start.date) {
    throw new MaillageError("BAD_USER_INPUT", "series.until: must not be before startsAt's day", {
      field: "series.until",
    });
  }
  const span = daysBetween(start.date, end.date);
  const lead =
    first.decisionAt === null ? null : first.startsAt.getTime() - first.decisionAt.getTime();
  const sessions: Occurrence[] = [];
  for (let date = start.date; date <= series.until; date = addDays(date, 1)) {
    const weekday = WEEKDAY_OF_UTC_DAY[new Date(`${date}T12:00:00Z`).getUTCDay()] as Weekday;
    if (!days.has(weekday)) continue;
    if (sessions.length === SERIES_MAX_SESSIONS) {
      throw new MaillageError(
        "BAD_USER_INPUT",
        `series.until: a series holds at most ${SERIES_MAX_SESSIONS} sessions`,
        { field: "series.until", max: SERIES_MAX_SESSIONS },
      );
    }
    const startsAt = date === start.date ? first.startsAt : parisInstant(date, start.minute);
    const endsAt =
      date === start.date ? first.endsAt : parisInstant(addDays(date, span), end.minute);
    sessions.push({
      startsAt,
      endsAt,
      decisionAt: lead === null ? null : new Date(startsAt.getTime() - lead),
    });
  }
  return sessions;
}
