import { GraphQLError } from "graphql";

/**
 * The scalars both servers share, so that an instant reads the same at the hub and at every
 * agent.
 */

/** ISO 8601 with a date, a time and an explicit offset: `Z` or `±hh:mm` (or `±hhmm`). */
const WITH_OFFSET =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;

export const DATE_TIME_DESCRIPTION =
  "An instant, as ISO 8601 with an explicit offset (`2026-12-15T10:00:00+01:00`, or `Z` for " +
  "UTC); answered in UTC. A time without an offset is refused (BAD_USER_INPUT): it would be " +
  "read in some zone the caller did not choose.";

/**
 * Reads a DateTime input. An ISO string without an offset is refused rather than read as UTC
 * (or as the server's zone): availability windows are Paris wall-clock time, and a booking made
 * with `2026-12-15T10:00:00` would land an hour off without a word. graphql-js names the
 * variable and the path of the field in the message (`Variable "$input" got invalid value …
 * at "input.startsAt"`).
 */
export function parseDateTime(value: unknown): Date {
  if (typeof value !== "string") {
    throw new GraphQLError("DateTime must be an ISO 8601 string with an offset", {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  if (!WITH_OFFSET.test(value)) {
    throw new GraphQLError(
      `DateTime needs an explicit offset: "${value}" has none (write e.g. ` +
        `2026-12-15T10:00:00+01:00 for Paris in winter, or …Z for UTC)`,
      { extensions: { code: "BAD_USER_INPUT" } },
    );
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime "${value}" is not a valid instant`, {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  return date;
}

export function serializeDateTime(value: unknown): string {
  return new Date(value as Date | string).toISOString();
}
