import { describe, expect, it } from "vitest";
import { activityDateProblem, localDate, timeZoneOfCommune } from "./activity.ts";

const privas = { communeCode: "07186" };
const saintDenis = { communeCode: "97411" };

describe("an activity report's date", () => {
  it("finds each commune's zone, overseas included", () => {
    expect(timeZoneOfCommune("07186")).toBe("Europe/Paris");
    expect(timeZoneOfCommune("2A004")).toBe("Europe/Paris");
    expect(timeZoneOfCommune("97411")).toBe("Indian/Reunion");
    expect(timeZoneOfCommune("97302")).toBe("America/Cayenne");
    expect(timeZoneOfCommune("98818")).toBe("Pacific/Noumea");
  });

  it("is checked against the space's own today, not the server's", () => {
    // 23:30 UTC on 6 December is already 7 December in Paris (00:30).
    const now = new Date("2026-12-06T23:30:00Z");
    expect(localDate(now, "Europe/Paris")).toBe("2026-12-07");
    expect(activityDateProblem("2026-12-07", privas, now)).toBeNull();
    expect(activityDateProblem("2026-12-08", privas, now)).toMatch(/future/);
    // 21:00 UTC: 22:00 in Paris (still the 6th), 01:00 on the 7th in La Réunion.
    const evening = new Date("2026-12-06T21:00:00Z");
    expect(activityDateProblem("2026-12-07", privas, evening)).toMatch(/future/);
    expect(activityDateProblem("2026-12-07", saintDenis, evening)).toBeNull();
  });
});
