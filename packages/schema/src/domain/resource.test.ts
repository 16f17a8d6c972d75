import { describe, expect, it } from "vitest";
import {
  BookingRequestPayload,
  freeSlots,
  IsoDate,
  isWithinAvailability,
  openIntervals,
  parisInstant,
} from "./resource.ts";

const tueToSat = {
  windows: [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA", opens: "09:00", closes: "18:00" }],
  closures: [{ from: "2026-12-24", to: "2026-12-25" }],
};
const iso = (d: Date) => d.toISOString();

describe("Paris wall clock", () => {
  it("converts across both offsets and midnight", () => {
    expect(iso(parisInstant("2026-01-15", 9 * 60))).toBe("2026-01-15T08:00:00.000Z");
    expect(iso(parisInstant("2026-07-15", 9 * 60))).toBe("2026-07-15T07:00:00.000Z");
    expect(iso(parisInstant("2026-07-15", 24 * 60))).toBe("2026-07-15T22:00:00.000Z");
    // The day clocks go back (25 hours): 18:00 is at +1.
    expect(iso(parisInstant("2026-10-25", 18 * 60))).toBe("2026-10-25T17:00:00.000Z");
  });
});

describe("open intervals and free slots", () => {
  it("lists Tue–Sat windows for a week and skips the closure days", () => {
    // Mon 21 Dec 2026 → Mon 28 Dec: Tue 22, Wed 23, Sat 26 open; Thu 24 and Fri 25 closed.
    const open = openIntervals(
      tueToSat,
      new Date("2026-12-21T00:00:00+01:00"),
      new Date("2026-12-28T00:00:00+01:00"),
    );
    expect(open.map((i) => iso(i.from))).toEqual([
      "2026-12-22T08:00:00.000Z",
      "2026-12-23T08:00:00.000Z",
      "2026-12-26T08:00:00.000Z",
    ]);
    expect(open.every((i) => i.to.getTime() - i.from.getTime() === 9 * 3_600_000)).toBe(true);
    expect(
      isWithinAvailability(
        tueToSat,
        new Date("2026-12-24T10:00:00+01:00"),
        new Date("2026-12-24T11:00:00+01:00"),
      ),
    ).toBe(false);
  });

  it("takes busy slots out, clips to the range and drops slivers below the minimum", () => {
    const from = new Date("2026-12-22T00:00:00+01:00");
    const to = new Date("2026-12-23T00:00:00+01:00");
    const busy = [
      { from: new Date("2026-12-22T10:00:00+01:00"), to: new Date("2026-12-22T12:00:00+01:00") },
      { from: new Date("2026-12-22T11:00:00+01:00"), to: new Date("2026-12-22T13:00:00+01:00") },
      { from: new Date("2026-12-22T17:50:00+01:00"), to: new Date("2026-12-22T19:00:00+01:00") },
    ];
    const slots = freeSlots(tueToSat, busy, from, to, 15);
    expect(slots.map((s) => [iso(s.from), iso(s.to)])).toEqual([
      ["2026-12-22T08:00:00.000Z", "2026-12-22T09:00:00.000Z"],
      ["2026-12-22T12:00:00.000Z", "2026-12-22T16:50:00.000Z"],
    ]);
  });

  it("is the whole range when the resource has no window", () => {
    const from = new Date("2026-12-22T00:00:00Z");
    const to = new Date("2026-12-23T00:00:00Z");
    expect(freeSlots({ windows: [], closures: [] }, [], from, to)).toEqual([{ from, to }]);
  });
});

describe("booking request payload", () => {
  const base = {
    resourceId: "r1",
    kind: "BOOKING",
    startsAt: "2026-12-22T09:00:00Z",
    endsAt: "2026-12-22T10:00:00Z",
    forMemberId: "m1",
    forSpaceId: null,
    cancelled: false,
  };
  it("is for exactly one member or space, and a loan goes to a space", () => {
    expect(BookingRequestPayload.safeParse(base).success).toBe(true);
    expect(BookingRequestPayload.safeParse({ ...base, forSpaceId: "s1" }).success).toBe(false);
    expect(BookingRequestPayload.safeParse({ ...base, kind: "LOAN" }).success).toBe(false);
    expect(BookingRequestPayload.safeParse({ ...base, name: "Ada" }).success).toBe(false);
  });
});

describe("IsoDate", () => {
  it("refuses malformed and impossible days without throwing", () => {
    for (const bad of ["bad", "2026-13-45", "2026-02-30", "2026-1-1"]) {
      expect(IsoDate.safeParse(bad).success).toBe(false);
    }
    expect(IsoDate.parse("2028-02-29")).toBe("2028-02-29");
  });
});
