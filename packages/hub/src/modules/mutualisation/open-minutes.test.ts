import { describe, expect, it } from "vitest";
import { WEEK_MINUTES, weeklyOpenMinutes } from "./open-minutes.ts";

describe("weeklyOpenMinutes", () => {
  it("sums each window over its days, overlaps once, around the clock without windows", () => {
    expect(weeklyOpenMinutes([])).toBe(WEEK_MINUTES);
    expect(
      weeklyOpenMinutes([{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE", opens: "09:00", closes: "18:00" }]),
    ).toBe(2 * 9 * 60);
    expect(
      weeklyOpenMinutes([
        { rrule: "BYDAY=MO;FREQ=WEEKLY", opens: "09:00", closes: "12:00" },
        { rrule: "FREQ=WEEKLY;BYDAY=MO,SU", opens: "11:00", closes: "24:00" },
      ]),
    ).toBe(15 * 60 + 13 * 60);
  });
});
