import { describe, expect, it } from "vitest";
import { upsertById } from "./merge.ts";

describe("upsertById", () => {
  const a = { id: "a", createdAt: "2026-12-07T08:00:00Z", status: "PENDING" };
  const b = { id: "b", createdAt: "2026-12-07T09:00:00Z", status: "PENDING" };

  it("replaces a known record in place (a decision arriving)", () => {
    const next = upsertById([a, b], { ...a, status: "CONFIRMED" });
    expect(next.map((r) => [r.id, r.status])).toEqual([
      ["a", "CONFIRMED"],
      ["b", "PENDING"],
    ]);
  });

  it("adds a new record in creation order (an incoming request)", () => {
    const early = { id: "c", createdAt: "2026-12-07T07:00:00Z", status: "PENDING" };
    expect(upsertById([a, b], early).map((r) => r.id)).toEqual(["c", "a", "b"]);
  });
});
