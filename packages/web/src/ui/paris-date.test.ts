import { describe, expect, it } from "vitest";
import {
  addDays,
  parisDateTime,
  parisDay,
  parisInstant,
  parisOffsetMinutes,
  parisTime,
  todayInParis,
} from "./paris-date.ts";

const hoursBetween = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 3_600_000;

describe("Paris dates", () => {
  it("walks calendar days across month and year ends", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
    expect(addDays("2026-03-29", 1)).toBe("2026-03-30");
    expect(addDays("2026-10-25", -1)).toBe("2026-10-24");
  });

  it("takes the Paris date of an instant, not the UTC one", () => {
    expect(todayInParis(new Date("2026-12-31T23:30:00Z"))).toBe("2027-01-01");
    expect(parisDay(new Date("2026-12-06T23:30:00Z"))).toBe("2026-12-07");
    expect(parisDay(new Date("2026-07-06T22:30:00Z"))).toBe("2026-07-07");
    expect(parisTime(new Date("2026-07-06T22:30:00Z"))).toBe("00:30");
    expect(parisTime(new Date("2026-12-07T13:30:00Z"))).toBe("14:30");
  });

  it("puts Paris midnight at 23:00 UTC in winter and 22:00 UTC in summer", () => {
    expect(parisInstant("2026-12-07").toISOString()).toBe("2026-12-06T23:00:00.000Z");
    expect(parisInstant("2026-07-07").toISOString()).toBe("2026-07-06T22:00:00.000Z");
    expect(parisInstant("2026-07-07", "14:30").toISOString()).toBe("2026-07-07T12:30:00.000Z");
  });

  it("gives the winter and summer offsets to the API, 24:00 as the next midnight", () => {
    expect(parisDateTime("2026-12-07", "14:30")).toBe("2026-12-07T14:30:00+01:00");
    expect(parisDateTime("2026-07-01", "09:00")).toBe("2026-07-01T09:00:00+02:00");
    expect(new Date(parisDateTime("2026-12-31", "24:00")).toISOString()).toBe(
      "2026-12-31T23:00:00.000Z",
    );
  });
});

describe("Paris dates on the clock changes", () => {
  it("springs forward at 01:00 UTC on the last Sunday of March (02:00 → 03:00)", () => {
    expect(parisOffsetMinutes(new Date("2026-03-29T00:59:59Z"))).toBe(60);
    expect(parisOffsetMinutes(new Date("2026-03-29T01:00:00Z"))).toBe(120);
    expect(parisTime(new Date("2026-03-29T00:59:00Z"))).toBe("01:59");
    expect(parisTime(new Date("2026-03-29T01:00:00Z"))).toBe("03:00");
  });

  it("falls back at 01:00 UTC on the last Sunday of October (03:00 → 02:00)", () => {
    expect(parisOffsetMinutes(new Date("2026-10-25T00:59:59Z"))).toBe(120);
    expect(parisOffsetMinutes(new Date("2026-10-25T01:00:00Z"))).toBe(60);
    expect(parisTime(new Date("2026-10-25T00:30:00Z"))).toBe("02:30");
    expect(parisTime(new Date("2026-10-25T01:30:00Z"))).toBe("02:30");
  });

  it("changes today's date at Paris midnight around the last Sunday of March", () => {
    expect(todayInParis(new Date("2026-03-28T22:59:59Z"))).toBe("2026-03-28");
    expect(todayInParis(new Date("2026-03-28T23:00:00Z"))).toBe("2026-03-29");
    expect(todayInParis(new Date("2026-03-29T21:59:59Z"))).toBe("2026-03-29");
    expect(todayInParis(new Date("2026-03-29T22:00:00Z"))).toBe("2026-03-30");
  });

  it("changes today's date at Paris midnight around the last Sunday of October", () => {
    expect(todayInParis(new Date("2026-10-24T21:59:59Z"))).toBe("2026-10-24");
    expect(todayInParis(new Date("2026-10-24T22:00:00Z"))).toBe("2026-10-25");
    expect(todayInParis(new Date("2026-10-25T22:59:59Z"))).toBe("2026-10-25");
    expect(todayInParis(new Date("2026-10-25T23:00:00Z"))).toBe("2026-10-26");
  });

  it("bounds the spring-forward Sunday to 23 hours and the fall-back one to 25", () => {
    const spring = [parisInstant("2026-03-29"), parisInstant(addDays("2026-03-29", 1))] as const;
    expect(spring.map((d) => d.toISOString())).toEqual([
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
    ]);
    expect(hoursBetween(...spring)).toBe(23);
    const autumn = [parisInstant("2026-10-25"), parisInstant(addDays("2026-10-25", 1))] as const;
    expect(autumn.map((d) => d.toISOString())).toEqual([
      "2026-10-24T22:00:00.000Z",
      "2026-10-25T23:00:00.000Z",
    ]);
    expect(hoursBetween(...autumn)).toBe(25);
  });

  it("gives each side of the change its own offset, 24:00 the next day's", () => {
    expect(parisDateTime("2026-03-29", "01:30")).toBe("2026-03-29T01:30:00+01:00");
    expect(parisDateTime("2026-03-29", "03:00")).toBe("2026-03-29T03:00:00+02:00");
    expect(parisDateTime("2026-03-29", "24:00")).toBe("2026-03-30T00:00:00+02:00");
    expect(parisDateTime("2026-10-25", "01:30")).toBe("2026-10-25T01:30:00+02:00");
    expect(parisDateTime("2026-10-25", "03:00")).toBe("2026-10-25T03:00:00+01:00");
    expect(parisDateTime("2026-10-25", "24:00")).toBe("2026-10-26T00:00:00+01:00");
  });
});
