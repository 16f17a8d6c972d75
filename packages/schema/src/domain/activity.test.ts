import { describe, expect, it } from "vitest";
import { activityDateProblem, localDate, timeZoneOfCommune, ulidTime } from "./activity.ts";

/** A ULID made at `iso` (random part fixed). */
function ulidAt(iso: string): string {
  const chars = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let ms = new Date(iso).getTime();
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = chars.charAt(ms % 32) + time;
    ms = Math.floor(ms / 32);
  }
  return `${time}${"A".repeat(16)}`;
}

const privas = { id: ulidAt("2026-03-01T08:00:00Z"), communeCode: "07186" };
const saintDenis = { id: ulidAt("2026-03-01T08:00:00Z"), communeCode: "97411" };

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

  it("refuses a day before the space joined the network", () => {
    const now = new Date("2026-12-06T12:00:00Z");
    expect(ulidTime(privas.id)?.toISOString()).toBe("2026-03-01T08:00:00.000Z");
    expect(activityDateProblem("1990-01-01", privas, now)).toMatch(/before the space joined/);
    expect(activityDateProblem("2026-02-28", privas, now)).toMatch(/before the space joined/);
    expect(activityDateProblem("2026-03-01", privas, now)).toBeNull();
    // Ids that are not ULIDs (older fixtures) carry no registration time: no lower bound.
    expect(activityDateProblem("1990-01-01", { id: "FA", communeCode: "07186" }, now)).toBeNull();
  });
});
