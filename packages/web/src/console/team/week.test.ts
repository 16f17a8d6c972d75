import { describe, expect, it } from "vitest";
import { dayHours, mondayOf, placeInWeek, weekDays } from "./week.ts";

describe("week calendar in Europe/Paris", () => {
  it("finds the Monday across month and year ends", () => {
    expect(mondayOf("2026-12-07")).toBe("2026-12-07");
    expect(mondayOf("2026-12-13")).toBe("2026-12-07");
    expect(mondayOf("2027-01-01")).toBe("2026-12-28");
    expect(mondayOf("2026-03-01")).toBe("2026-02-23");
  });

  it("gives the spring-forward Sunday 23 hours and the fall-back one 25", () => {
    const spring = weekDays("2026-03-25");
    expect(spring.map((d) => d.day)).toEqual([
      "2026-03-23",
      "2026-03-24",
      "2026-03-25",
      "2026-03-26",
      "2026-03-27",
      "2026-03-28",
      "2026-03-29",
    ]);
    expect(spring.map(dayHours)).toEqual([24, 24, 24, 24, 24, 24, 23]);
    expect(spring[6]?.end.toISOString()).toBe("2026-03-29T22:00:00.000Z");
    const autumn = weekDays("2026-10-25");
    expect(autumn[0]?.day).toBe("2026-10-19");
    expect(autumn.map(dayHours)).toEqual([24, 24, 24, 24, 24, 24, 25]);
    expect(autumn[6]?.start.toISOString()).toBe("2026-10-24T22:00:00.000Z");
    expect(autumn[6]?.end.toISOString()).toBe("2026-10-25T23:00:00.000Z");
  });

  it("marks today in Paris", () => {
    const days = weekDays("2026-12-09", new Date("2026-12-09T23:30:00Z"));
    expect(days.filter((d) => d.isToday).map((d) => d.day)).toEqual(["2026-12-10"]);
  });

  it("places entries on their Paris days, clipped, across DST", () => {
    const days = weekDays("2026-10-25");
    const items = [
      // Sunday 25 Oct 01:30 (summer) → 04:00 (winter): crosses the fall-back hour
      { id: "a", startsAt: "2026-10-24T23:30:00Z", endsAt: "2026-10-25T03:00:00Z" },
      // Friday 23:00 → Saturday 02:00 Paris
      { id: "b", startsAt: "2026-10-23T21:00:00Z", endsAt: "2026-10-24T00:00:00Z" },
      // next week: not shown
      { id: "c", startsAt: "2026-10-26T09:00:00Z", endsAt: "2026-10-26T10:00:00Z" },
      // Monday 08:00 until midnight exactly: Monday only (the end is excluded)
      { id: "d", startsAt: "2026-10-19T06:00:00Z", endsAt: "2026-10-19T22:00:00Z" },
    ];
    const placed = placeInWeek(items, days);
    expect(placed[0]?.map((p) => [p.item.id, p.from, p.to])).toEqual([["d", "08:00", "24:00"]]);
    expect(placed[0]?.[0]?.continues).toBe(false);
    expect(placed[1]).toEqual([]);
    expect(placed[4]?.map((p) => [p.item.id, p.from, p.to, p.continues])).toEqual([
      ["b", "23:00", "24:00", true],
    ]);
    expect(placed[5]?.map((p) => [p.item.id, p.from, p.to, p.continued])).toEqual([
      ["b", "00:00", "02:00", true],
    ]);
    expect(placed[6]?.map((p) => [p.item.id, p.from, p.to])).toEqual([["a", "01:30", "04:00"]]);
    expect(placed.flat().some((p) => p.item.id === "c")).toBe(false);
  });
});
