import { describe, expect, it } from "vitest";
import { type PricedVisit, priceVisits, type TariffVersion, tariffFor } from "./pricing.ts";

const visit = (id: string, memberId: string | null, day: string, spaceId = "s-b"): PricedVisit => ({
  id,
  memberId,
  homeSpaceId: "s-a",
  spaceId,
  day,
});

describe("settlement pricing", () => {
  const versions: TariffVersion[] = [
    { spaceId: "s-b", validFrom: "2026-03-01", perVisitCents: 450, perDayCents: null },
    { spaceId: "s-b", validFrom: "2026-03-15", perVisitCents: null, perDayCents: 800 },
    { spaceId: "s-c", validFrom: "2026-04-01", perVisitCents: 999, perDayCents: null },
  ];

  it("takes the latest version starting on or before the visit's day", () => {
    expect(tariffFor(versions, "s-b", "2026-02-28")).toBeNull();
    expect(tariffFor(versions, "s-b", "2026-03-01")?.perVisitCents).toBe(450);
    expect(tariffFor(versions, "s-b", "2026-03-14")?.perVisitCents).toBe(450);
    expect(tariffFor(versions, "s-b", "2026-03-15")?.perDayCents).toBe(800);
    expect(tariffFor(versions, "s-c", "2026-03-31")).toBeNull();
  });

  it("prices per visit and per distinct member-day, a line per version, in integer cents", () => {
    const lines = priceVisits(
      [
        visit("v1", "m1", "2026-03-02"),
        visit("v2", "m1", "2026-03-02"), // twice the same day, per visit: two
        visit("v3", "m2", "2026-03-14"),
        visit("v4", "m1", "2026-03-16"),
        visit("v5", "m1", "2026-03-16"), // twice the same day, per day: one
        visit("v6", "m2", "2026-03-16"),
        visit("v7", null, "2026-03-16"), // erased, before their day keys: a member-day each
        visit("v8", null, "2026-03-16"),
        { ...visit("v10", null, "2026-03-16"), erasedDayKey: "v10" }, // erased with its day:
        { ...visit("v11", null, "2026-03-16"), erasedDayKey: "v10" }, // one member-day
        visit("v9", "m3", "2026-03-20", "s-c"), // no tariff yet: nothing charged
      ],
      versions,
    );
    expect(lines).toEqual([
      {
        homeSpaceId: "s-a",
        spaceId: "s-b",
        tariffValidFrom: "2026-03-01",
        unit: "VISIT",
        unitCents: 450,
        visits: 3,
        days: 2,
        amountCents: 1350,
      },
      {
        homeSpaceId: "s-a",
        spaceId: "s-b",
        tariffValidFrom: "2026-03-15",
        unit: "DAY",
        unitCents: 800,
        visits: 7,
        days: 5,
        amountCents: 4000,
      },
      {
        homeSpaceId: "s-a",
        spaceId: "s-c",
        tariffValidFrom: null,
        unit: "NONE",
        unitCents: 0,
        visits: 1,
        days: 1,
        amountCents: 0,
      },
    ]);
  });

  it("gives the same lines whatever order the records come in", () => {
    const records = Array.from({ length: 40 }, (_, i) =>
      visit(`v${i}`, `m${i % 7}`, `2026-03-${String((i % 28) + 1).padStart(2, "0")}`),
    );
    const shuffled = [...records].sort(() => Math.random() - 0.5);
    expect(priceVisits(shuffled, [...versions].reverse())).toEqual(priceVisits(records, versions));
  });
});
