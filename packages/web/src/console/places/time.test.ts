import { describe, expect, it } from "vitest";
import { nextDay, parisDateTime, parisDay, parisTime } from "./time.ts";

describe("Paris wall-clock times", () => {
  it("gives the winter and summer offsets", () => {
    expect(parisDateTime("2026-12-07", "14:30")).toBe("2026-12-07T14:30:00+01:00");
    expect(parisDateTime("2026-07-01", "09:00")).toBe("2026-07-01T09:00:00+02:00");
  });

  it("reads 24:00 as the next midnight", () => {
    expect(new Date(parisDateTime("2026-12-31", "24:00")).toISOString()).toBe(
      "2026-12-31T23:00:00.000Z",
    );
  });

  it("reads instants back in Paris time", () => {
    expect(parisTime("2026-12-07T13:30:00Z")).toBe("14:30");
    expect(parisDay("2026-12-31T23:30:00Z")).toBe("2027-01-01");
    expect(nextDay("2026-02-28")).toBe("2026-03-01");
  });
});
