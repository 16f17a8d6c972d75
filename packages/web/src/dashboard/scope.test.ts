import { describe, expect, it } from "vitest";
import { lastMonths, trendVariables } from "./scope.ts";

describe("dashboard periods", () => {
  it("lists the last 12 months, oldest first, the current one up to today", () => {
    const months = lastMonths("2026-03-15");
    expect(months).toHaveLength(12);
    expect(months[0]).toEqual({ month: "2025-04", from: "2025-04-01", to: "2025-04-30" });
    expect(months[10]).toEqual({ month: "2026-02", from: "2026-02-01", to: "2026-02-28" });
    expect(months[11]).toEqual({ month: "2026-03", from: "2026-03-01", to: "2026-03-15" });
  });

  it("builds one filter per alias with the scope", () => {
    const vars = trendVariables({ region: "84" }, "2026-12-07");
    expect(Object.keys(vars)).toHaveLength(12);
    expect(vars.m11).toEqual({ region: "84", from: "2026-12-01", to: "2026-12-07" });
  });
});

describe("periods", () => {
  it("gives each period's first and last day", async () => {
    const { periodRange } = await import("./scope.ts");
    expect(periodRange("30d", "2026-12-07")).toEqual({ from: "2026-11-08", to: "2026-12-07" });
    expect(periodRange("month", "2026-12-07")).toEqual({ from: "2026-12-01", to: "2026-12-07" });
    expect(periodRange("lastMonth", "2026-03-15")).toEqual({
      from: "2026-02-01",
      to: "2026-02-28",
    });
    expect(periodRange("90d", "2026-12-07")).toEqual({ from: "2026-09-09", to: "2026-12-07" });
    expect(periodRange("365d", "2026-12-07")).toEqual({ from: "2025-12-08", to: "2026-12-07" });
  });
});
