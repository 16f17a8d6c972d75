import { describe, expect, it } from "vitest";
import { applyActivity } from "../activity/activity.repository.ts";
import type { Sql } from "../sync/change-log.repository.ts";
import { addContributionDeltas, type Contribution } from "./booking-rollup.repository.ts";

/**
 * Rollup upserts take their rows in primary-key order, whatever order the changes came in:
 * PostgreSQL locks the rows as the statement's input comes, so two concurrent pushes touching
 * the same rows in opposite orders would otherwise deadlock. (The locking itself cannot be
 * raced deterministically here: the statements' input and its kept order are checked.)
 */

type Call = { sql: string; params: unknown[] };

function recording(answer: (sql: string) => unknown[] = () => []): { sql: Sql; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    sql: {
      async query<Row>(sql: string, params: unknown[] = []) {
        calls.push({ sql, params });
        return answer(sql) as Row[];
      },
    },
  };
}

const keysOf = (call: Call | undefined, key: (row: Record<string, string>) => string[]) =>
  (JSON.parse(call?.params[0] as string) as Record<string, string>[]).map(key);

describe("rollup upserts", () => {
  it("add booking deltas in (scope, scope_id, day) order, kept by the statement", async () => {
    const row = (scope: string, scope_id: string, day: string): Contribution => ({
      scope,
      scope_id,
      day,
      bookings: 1,
      booked_minutes: 60,
      cross_node: 0,
      loans: 0,
    });
    const { sql, calls } = recording();
    await addContributionDeltas(
      sql,
      [row("REGION", "84", "2031-03-04"), row("NATION", "FR", "2031-03-04")],
      [
        row("NATION", "FR", "2031-03-05"),
        row("DEPARTMENT", "07", "2031-03-05"),
        row("FABRIQUE", "F2", "2031-03-05"),
        row("FABRIQUE", "F1", "2031-03-05"),
        row("NATION", "FR", "2031-03-01"),
      ],
    );
    const upsert = calls.find((c) => c.sql.includes("INSERT INTO booking_rollup"));
    expect(upsert?.sql).toMatch(/WITH ORDINALITY[\s\S]*ORDER BY d\.n\s+ON CONFLICT/);
    expect(keysOf(upsert, (d) => [d.scope, d.scope_id, d.day] as string[])).toEqual([
      ["DEPARTMENT", "07", "2031-03-05"],
      ["FABRIQUE", "F1", "2031-03-05"],
      ["FABRIQUE", "F2", "2031-03-05"],
      ["NATION", "FR", "2031-03-01"],
      ["NATION", "FR", "2031-03-04"],
      ["NATION", "FR", "2031-03-05"],
      ["REGION", "84", "2031-03-04"],
    ]);
  });

  it("add activity deltas in (scope, scope_id, period, period_start) order, kept by the statement", async () => {
    const { sql, calls } = recording((text) =>
      text.includes("FROM space")
        ? [
            { id: "S2", network_id: "F2", department_code: "23", region_code: "75" },
            { id: "S1", network_id: "F1", department_code: "07", region_code: "84" },
          ]
        : [],
    );
    const report = (spaceId: string, date: string) => ({
      spaceId,
      date,
      visitors: 3,
      events: 1,
      participants: 2,
      openHours: 4,
    });
    await applyActivity(sql, "node", [
      { spaceId: "S2", day: "2031-04-02", report: report("S2", "2031-04-02") },
      { spaceId: "S1", day: "2031-03-31", report: report("S1", "2031-03-31") },
    ]);
    const upsert = calls.find((c) => c.sql.includes("INSERT INTO activity_rollup"));
    expect(upsert?.sql).toMatch(/WITH ORDINALITY[\s\S]*ORDER BY d\.n\s+ON CONFLICT/);
    const keys = keysOf(upsert, (d) => [d.scope, d.scope_id, d.period, d.start] as string[]);
    expect(keys).toHaveLength(18);
    expect(keys.slice(0, 4)).toEqual([
      ["DEPARTMENT", "07", "DAY", "2031-03-31"],
      ["DEPARTMENT", "07", "MONTH", "2031-03-01"],
      ["DEPARTMENT", "23", "DAY", "2031-04-02"],
      ["DEPARTMENT", "23", "MONTH", "2031-04-01"],
    ]);
    const sorted = [...keys].sort((a, b) => (a.join("|") < b.join("|") ? -1 : 1));
    expect(keys).toEqual(sorted);
  });
});
