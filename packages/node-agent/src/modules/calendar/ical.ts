/**
 * iCalendar (RFC 5545) output, pure: a VCALENDAR of VEVENTs in UTC, for the calendar feeds.
 * Only what a read-only published feed needs: no time zones (every time is UTC, `…Z`), no
 * recurrence, no attendees.
 */

/** Identifies the product that wrote the calendar (RFC 5545 §3.7.3). */
export const PRODID = "-//Maillage//Maillage node agent//EN";

/** A content line is at most this many octets, CRLF excluded (RFC 5545 §3.1). */
const MAX_LINE_OCTETS = 75;

export type CalendarEvent = {
  /** Globally unique and stable across fetches: a client updates the event it already has. */
  uid: string;
  start: Date;
  end: Date;
  summary: string;
  location?: string;
  created?: Date;
  /** RFC 5545 §3.8.1.11; default CONFIRMED (TENTATIVE: a place in line or not answered yet). */
  status?: "CONFIRMED" | "TENTATIVE" | "CANCELLED";
};

export type Calendar = {
  /** Shown by clients as the calendar's name (X-WR-CALNAME). */
  name: string;
  description?: string;
  /** When this instance of the calendar was written: every event's DTSTAMP. */
  stamp: Date;
  events: CalendarEvent[];
};

/**
 * A TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma escaped, line breaks as `\n`,
 * other control characters (not allowed in TEXT) dropped.
 */
export function escapeText(value: string): string {
  return value
    .replace(/[\\;,]/g, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, "\\n")
    .replace(/(?!\t)\p{Cc}/gu, "");
}

/**
 * Folds a content line into lines of at most 75 octets, each continuation starting with one
 * space (which counts in its 75), never inside a UTF-8 character (RFC 5545 §3.1).
 */
export function foldLine(line: string): string {
  const lines: string[] = [];
  let current = "";
  let octets = 0;
  let limit = MAX_LINE_OCTETS;
  for (const char of line) {
    const size = Buffer.byteLength(char, "utf8");
    if (octets + size > limit) {
      lines.push(current);
      current = "";
      octets = 0;
      limit = MAX_LINE_OCTETS - 1;
    }
    current += char;
    octets += size;
  }
  lines.push(current);
  return lines.join("\r\n ");
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A DATE-TIME in UTC form, `YYYYMMDDTHHMMSSZ` (RFC 5545 §3.3.5); milliseconds dropped. */
export function formatUtc(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("invalid date");
  return (
    `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
  );
}

/** The whole calendar as iCalendar text: CRLF line endings, folded lines, UTF-8. */
export function renderCalendar(calendar: Calendar): string {
  const stamp = formatUtc(calendar.stamp);
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    `PRODID:${PRODID}`,
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${escapeText(calendar.name)}`,
    ...(calendar.description === undefined
      ? []
      : [`X-WR-CALDESC:${escapeText(calendar.description)}`]),
  ];
  for (const event of calendar.events) {
    lines.push(
      "BEGIN:VEVENT",
      `UID:${escapeText(event.uid)}`,
      `DTSTAMP:${stamp}`,
      ...(event.created === undefined ? [] : [`CREATED:${formatUtc(event.created)}`]),
      `DTSTART:${formatUtc(event.start)}`,
      `DTEND:${formatUtc(event.end)}`,
      `SUMMARY:${escapeText(event.summary)}`,
      ...(event.location === undefined ? [] : [`LOCATION:${escapeText(event.location)}`]),
      `STATUS:${event.status ?? "CONFIRMED"}`,
      "TRANSP:OPAQUE",
      "END:VEVENT",
    );
  }
  lines.push("END:VCALENDAR");
  return `${lines.map(foldLine).join("\r\n")}\r\n`;
}
