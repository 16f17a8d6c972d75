import { describe, expect, it } from "vitest";
import { escapeText, foldLine, formatUtc, PRODID, renderCalendar } from "./ical.ts";

const octets = (s: string) => Buffer.byteLength(s, "utf8");
/** RFC 5545 §3.1 unfolding: a CRLF followed by one space or tab goes. */
const unfold = (s: string) => s.replace(/\r\n[ \t]/g, "");

describe("iCalendar text", () => {
  it("escapes backslashes, semicolons, commas and line breaks, and drops control characters", () => {
    expect(escapeText("a\\b;c,d")).toBe("a\\\\b\\;c\\,d");
    expect(escapeText("one\ntwo\r\nthree\rfour")).toBe("one\\ntwo\\nthree\\nfour");
    expect(escapeText("bell\u0007 tab\tend")).toBe("bell tab\tend");
    expect(escapeText("Découpeuse laser — Le Bercail")).toBe("Découpeuse laser — Le Bercail");
    // Escaped once only: a backslash in the input is not taken for an escape.
    expect(escapeText("\\n")).toBe("\\\\n");
  });

  it("leaves a line of 75 octets alone and folds a longer one", () => {
    const exact = `SUMMARY:${"x".repeat(67)}`;
    expect(octets(exact)).toBe(75);
    expect(foldLine(exact)).toBe(exact);
    const longer = `SUMMARY:${"x".repeat(200)}`;
    const folded = foldLine(longer);
    const lines = folded.split("\r\n");
    expect(lines.length).toBe(3);
    expect(lines.map(octets)).toEqual([75, 75, 208 - 75 - 74 + 1]);
    for (const line of lines.slice(1)) expect(line.startsWith(" ")).toBe(true);
    expect(unfold(folded)).toBe(longer);
  });

  it("folds at 75 octets without splitting a multi-byte character", () => {
    // "é" is 2 octets, "€" 3, "🚐" 4 (a surrogate pair in JavaScript).
    for (const char of ["é", "€", "🚐"]) {
      const line = `SUMMARY:Salle${char.repeat(80)}`;
      const folded = foldLine(line);
      const lines = folded.split("\r\n");
      expect(lines.length).toBeGreaterThan(1);
      for (const part of lines) {
        expect(octets(part)).toBeLessThanOrEqual(75);
        // A split character would show as U+FFFD once decoded alone.
        expect(Buffer.from(part, "utf8").toString("utf8")).toBe(part);
        expect(part).not.toContain("\uFFFD");
        expect(/[\uD800-\uDBFF]$/.test(part)).toBe(false);
      }
      // As full as possible: each line but the last leaves no room for one more character.
      for (const part of lines.slice(0, -1)) {
        expect(octets(part) + octets(char)).toBeGreaterThan(75);
      }
      expect(unfold(folded)).toBe(line);
    }
  });

  it("writes UTC date-times as YYYYMMDDTHHMMSSZ", () => {
    expect(formatUtc(new Date("2025-03-04T09:05:07.891Z"))).toBe("20250304T090507Z");
    expect(formatUtc(new Date("2025-12-31T23:59:59+02:00"))).toBe("20251231T215959Z");
    expect(() => formatUtc(new Date("nope"))).toThrow(RangeError);
  });

  it("renders a VCALENDAR with CRLF line endings, folded lines and one VEVENT per event", () => {
    const text = renderCalendar({
      name: "Découpeuse laser; atelier, Privas",
      stamp: new Date("2025-05-01T08:00:00Z"),
      events: [
        {
          uid: "01J0BOOKING@maillage",
          start: new Date("2025-05-02T07:00:00Z"),
          end: new Date("2025-05-02T09:30:00Z"),
          summary: `Découpeuse laser — ${"Fabrique des Boutières, ".repeat(4)}`,
          location: "Fabrique des Boutières",
          created: new Date("2025-04-30T10:00:00Z"),
        },
      ],
    });
    expect(text.endsWith("\r\n")).toBe(true);
    // Every line break is a CRLF.
    expect(text.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    const lines = text.split("\r\n").slice(0, -1);
    for (const line of lines) expect(octets(line)).toBeLessThanOrEqual(75);
    const unfolded = unfold(text).split("\r\n").slice(0, -1);
    expect(unfolded.slice(0, 6)).toEqual([
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      `PRODID:${PRODID}`,
      "CALSCALE:GREGORIAN",
      "METHOD:PUBLISH",
      "X-WR-CALNAME:Découpeuse laser\\; atelier\\, Privas",
    ]);
    expect(unfolded.at(-1)).toBe("END:VCALENDAR");
    const event = unfolded.slice(unfolded.indexOf("BEGIN:VEVENT"), unfolded.indexOf("END:VEVENT"));
    expect(event).toEqual([
      "BEGIN:VEVENT",
      "UID:01J0BOOKING@maillage",
      "DTSTAMP:20250501T080000Z",
      "CREATED:20250430T100000Z",
      "DTSTART:20250502T070000Z",
      "DTEND:20250502T093000Z",
      `SUMMARY:Découpeuse laser — ${"Fabrique des Boutières\\, ".repeat(4)}`,
      "LOCATION:Fabrique des Boutières",
      "STATUS:CONFIRMED",
      "TRANSP:OPAQUE",
    ]);
    // The long SUMMARY was folded in the raw text.
    expect(lines.some((l) => l.startsWith(" "))).toBe(true);
  });

  it("renders an empty calendar", () => {
    const text = renderCalendar({ name: "Rien", stamp: new Date(0), events: [] });
    expect(text).not.toContain("BEGIN:VEVENT");
    expect(text).toContain("BEGIN:VCALENDAR\r\n");
    expect(text).toContain("END:VCALENDAR\r\n");
  });
});
