import { freeSlots } from "@maillage/schema";
import { describe, expect, it } from "vitest";
import { checkRange, createOpeningCache, subtractBusy } from "./availability.ts";

/** The memoised path gives exactly the contract's freeSlots. */
describe("availability at the hub", () => {
  const schedules = [
    { windows: [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA", opens: "09:00", closes: "18:00" }] },
    {
      windows: [
        { rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", opens: "08:30", closes: "12:00" },
        { rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", opens: "13:30", closes: "19:00" },
      ],
    },
    { windows: [{ rrule: "FREQ=WEEKLY;BYDAY=SA,SU", opens: "00:00", closes: "24:00" }] },
    { windows: [] },
  ];
  const closureSets = [
    [],
    [{ from: "2025-10-22", to: "2025-10-22" }],
    [{ from: "2025-10-01", to: "2025-10-25" }],
    [{ from: "2025-12-24", to: "2025-12-31" }],
  ];
  const range = checkRange(
    new Date("2025-10-20T00:00:00+02:00"),
    new Date("2025-10-30T00:00:00+01:00"),
    { from: "from", to: "to" },
  );
  const busy = [
    { from: Date.parse("2025-10-23T10:00:00+02:00"), to: Date.parse("2025-10-23T12:30:00+02:00") },
    { from: Date.parse("2025-10-25T20:00:00+02:00"), to: Date.parse("2025-10-26T10:00:00+01:00") },
    { from: Date.parse("2025-10-23T09:00:00+02:00"), to: Date.parse("2025-10-23T11:00:00+02:00") },
    { from: Date.parse("2025-10-29T08:00:00+01:00"), to: Date.parse("2025-10-31T08:00:00+01:00") },
  ];

  it("matches freeSlots for every schedule, closures, bookings and minimum", () => {
    const openings = createOpeningCache(range);
    for (const schedule of schedules) {
      for (const closures of closureSets) {
        for (const minMinutes of [0, 60, 240]) {
          const resource = { windows: schedule.windows, closures };
          const expected = freeSlots(
            resource,
            busy.map((b) => ({ from: new Date(b.from), to: new Date(b.to) })),
            range.from,
            range.to,
            minMinutes,
          );
          expect(subtractBusy(openings(resource), busy, minMinutes)).toEqual(expected);
        }
      }
    }
  });

  it("refuses empty, backwards and over-31-day ranges", () => {
    const at = (iso: string) => new Date(iso);
    const fields = { from: "from", to: "to" };
    expect(() => checkRange(at("2025-10-02"), at("2025-10-02"), fields)).toThrow(
      expect.objectContaining({ code: "BAD_USER_INPUT" }),
    );
    expect(() => checkRange(at("2025-10-01"), at("2025-11-01T00:00:01Z"), fields)).toThrow(
      expect.objectContaining({
        code: "BAD_USER_INPUT",
        details: expect.objectContaining({ field: "to" }),
      }),
    );
    expect(checkRange(at("2025-10-01"), at("2025-11-01"), fields).to).toEqual(at("2025-11-01"));
  });
});
