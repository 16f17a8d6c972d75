import { describe, expect, it } from "vitest";
import type { Sql } from "../sync/change-log.repository.ts";
import { addTrainingDeltas, type TrainingContribution } from "./training-rollup.repository.ts";

/**
 * The training rollup's upsert takes its rows in primary-key order whatever order the changes
 * came in (two concurrent pushes touching the same rows in opposite orders would otherwise
 * deadlock, as booking-rollup's), writes only rows that change, and removes the rows a move
 * emptied.
 */

type Call = { sql: string; params: unknown[] };

function recording(): { sql: Sql; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    sql: {
      async query<Row>(sql: string, params: unknown[] = []) {
        calls.push({ sql, params });
        return [] as Row[];
      },
    },
  };
}

const row = (
  scope: string,
  scope_id: string,
  day: string,
  topic: string,
  extra: Partial<TrainingContribution> = {},
): TrainingContribution => ({
  scope,
  scope_id,
  day,
  topic,
  trainings: 1,
  cancelled_trainings: 0,
  seats_offered: 9,
  seats_filled: 9,
  cross_node: 1,
  waitlisted: 0,
  attended: 0,
  no_show: 0,
  attended_minutes: 0,
  credentials: 0,
  cancellations: 2,
  ...extra,
});

describe("training rollup deltas", () => {
  it("upsert in (scope, scope_id, day, topic) order, kept by the statement, and delete emptied rows", async () => {
    const { sql, calls } = recording();
    await addTrainingDeltas(
      sql,
      [
        row("REGION", "84", "2031-03-04", "WOODWORKING"),
        row("NATION", "FR", "2031-03-04", "WOODWORKING"),
      ],
      [
        row("NATION", "FR", "2031-03-05", "WOODWORKING"),
        row("FABRIQUE", "F2", "2031-03-05", "FOOD"),
        row("FABRIQUE", "F1", "2031-03-05", "FOOD"),
        row("NATION", "FR", "2031-03-04", "WOODWORKING"),
        row("NATION", "FR", "2031-03-04", "FOOD"),
      ],
    );
    const upsert = calls.find((c) => c.sql.includes("INSERT INTO training_rollup"));
    expect(upsert?.sql).toMatch(/WITH ORDINALITY[\s\S]*ORDER BY d\.n\s+ON CONFLICT/);
    const keys = (call: Call | undefined) =>
      (JSON.parse(call?.params[0] as string) as TrainingContribution[]).map((d) => [
        d.scope,
        d.scope_id,
        d.day,
        d.topic,
        d.trainings,
      ]);
    // The unchanged NATION row of the 4th is not written; the REGION one moved away is.
    expect(keys(upsert)).toEqual([
      ["FABRIQUE", "F1", "2031-03-05", "FOOD", 1],
      ["FABRIQUE", "F2", "2031-03-05", "FOOD", 1],
      ["NATION", "FR", "2031-03-04", "FOOD", 1],
      ["NATION", "FR", "2031-03-05", "WOODWORKING", 1],
      ["REGION", "84", "2031-03-04", "WOODWORKING", -1],
    ]);
    const emptied = calls.find((c) => c.sql.includes("DELETE FROM training_rollup"));
    expect(keys(emptied)).toEqual([["REGION", "84", "2031-03-04", "WOODWORKING", -1]]);
  });

  it("writes nothing when nothing changed", async () => {
    const { sql, calls } = recording();
    const same = [row("NATION", "FR", "2031-03-04", "FOOD")];
    await addTrainingDeltas(sql, same, same);
    expect(calls).toEqual([]);
  });
});
