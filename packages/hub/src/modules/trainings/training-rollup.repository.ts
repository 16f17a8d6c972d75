import { byKey } from "../mutualisation/booking-rollup.repository.ts";
import type { Sql } from "../sync/change-log.repository.ts";

/**
 * The daily training rollup (training_rollup), per scope — the nation, the region, department
 * and fabrique territory of the ORGANISER's space — Europe/Paris day of the SESSION's start, and
 * topic, and the same per scope and day over every topic (topic "*", ALL_TOPICS: what totals
 * and per-region figures read, one row a day). A training counts as a SCHEDULED session (with its capacity as seats offered) or a
 * cancelled one; its enrolments count by their status as the hub last heard it from the
 * organiser: seats filled (holding a seat: ENROLLED, OFFERED, ATTENDED, NO_SHOW — a cancelled
 * or declined one never), cross-node ones among them, waitlisted, attended, no-shows, attended
 * minutes (attended × the session's length), credentials issued (ATTENDED with a credential)
 * and cancellations. A cancelled session's enrolments count as cancellations only.
 *
 * Applying TRAINING or ENROLMENT events reads the contributions of the trainings they touch
 * before and after writing them, and adds the difference, in the same transaction: a training
 * moved to another day, topic or space takes its enrolments' counts along; a re-sent state
 * changes nothing. One SQL definition of a training's contribution (`contributionsSql`) serves
 * this path, the seed and the tests' recomputation.
 */

export type TrainingContribution = {
  scope: string;
  scope_id: string;
  day: string;
  topic: string;
  trainings: number;
  cancelled_trainings: number;
  seats_offered: number;
  seats_filled: number;
  cross_node: number;
  waitlisted: number;
  attended: number;
  no_show: number;
  attended_minutes: number;
  credentials: number;
  cancellations: number;
};

const COUNTS = [
  "trainings",
  "cancelled_trainings",
  "seats_offered",
  "seats_filled",
  "cross_node",
  "waitlisted",
  "attended",
  "no_show",
  "attended_minutes",
  "credentials",
  "cancellations",
] as const;

/**
 * The topic of the rows that sum every topic of their scope and day: totals and per-region
 * figures read these (one row a day), only the per-topic figures read the others.
 */
export const ALL_TOPICS = "*";

/**
 * Rollup rows of the trainings matching `where` (on `t`, the training row), grouped per scope,
 * day and topic, and per scope and day over every topic (topic ALL_TOPICS), as SQL. Columns:
 * scope, scope_id, day (date), topic, then COUNTS.
 */
export function contributionsSql(where: string): string {
  return `
    SELECT k.scope, k.scope_id, c.day, coalesce(c.topic, '${ALL_TOPICS}') AS topic,
           sum(c.scheduled)::int AS trainings, sum(1 - c.scheduled)::int AS cancelled_trainings,
           sum(c.scheduled * c.capacity)::int AS seats_offered,
           sum(c.scheduled * c.filled)::int AS seats_filled,
           sum(c.scheduled * c.cross_node)::int AS cross_node,
           sum(c.scheduled * c.waitlisted)::int AS waitlisted,
           sum(c.scheduled * c.attended)::int AS attended,
           sum(c.scheduled * c.no_show)::int AS no_show,
           sum(c.scheduled * c.attended * c.minutes)::bigint AS attended_minutes,
           sum(c.scheduled * c.credentials)::int AS credentials,
           sum(c.cancellations)::int AS cancellations
    FROM (
      SELECT ((t.starts_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Paris')::date AS day, t.topic,
             (t.status = 'SCHEDULED')::int AS scheduled, t.capacity,
             floor(extract(epoch FROM t.ends_at - t.starts_at) / 60)::bigint AS minutes,
             coalesce(e.filled, 0) AS filled, coalesce(e.cross_node, 0) AS cross_node,
             coalesce(e.waitlisted, 0) AS waitlisted, coalesce(e.attended, 0) AS attended,
             coalesce(e.no_show, 0) AS no_show, coalesce(e.credentials, 0) AS credentials,
             CASE WHEN t.status = 'SCHEDULED' THEN coalesce(e.cancellations, 0)
                  ELSE coalesce(e.cancellations, 0) + coalesce(e.filled, 0)
                       + coalesce(e.waitlisted, 0) END AS cancellations,
             s.region_code, s.department_code, coalesce(s.fabrique_id, s.id) AS network_id
      FROM training t JOIN space s ON s.id = t.space_id
      LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE x.status IN ('ENROLLED', 'OFFERED', 'ATTENDED', 'NO_SHOW'))::int AS filled,
               count(*) FILTER (WHERE x.status IN ('ENROLLED', 'OFFERED', 'ATTENDED', 'NO_SHOW')
                                  AND x.member_node_id IS DISTINCT FROM t.owner_node_id)::int AS cross_node,
               count(*) FILTER (WHERE x.status = 'WAITLISTED')::int AS waitlisted,
               count(*) FILTER (WHERE x.status = 'ATTENDED')::int AS attended,
               count(*) FILTER (WHERE x.status = 'NO_SHOW')::int AS no_show,
               count(*) FILTER (WHERE x.status = 'ATTENDED' AND x.credential_id IS NOT NULL)::int AS credentials,
               count(*) FILTER (WHERE x.status = 'CANCELLED')::int AS cancellations
        FROM enrolment x WHERE x.training_id = t.id
      ) e ON true
      WHERE ${where}
    ) c
    CROSS JOIN LATERAL (VALUES ('NATION', 'FR'), ('REGION', c.region_code),
                               ('DEPARTMENT', c.department_code), ('FABRIQUE', c.network_id))
      AS k(scope, scope_id)
    GROUP BY GROUPING SETS ((k.scope, k.scope_id, c.day, c.topic), (k.scope, k.scope_id, c.day))`;
}

/** What the given trainings (by id) count for in the rollup, as the hub holds them now. */
export async function contributionsOfTrainings(
  sql: Sql,
  ids: string[],
): Promise<TrainingContribution[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<
    Omit<TrainingContribution, "attended_minutes"> & { attended_minutes: string }
  >(
    `SELECT scope, scope_id, to_char(day, 'YYYY-MM-DD') AS day, topic, ${COUNTS.filter(
      (c) => c !== "attended_minutes",
    ).join(", ")}, attended_minutes::text AS attended_minutes
     FROM (${contributionsSql("t.id = ANY($1::text[])")}) x`,
    [ids],
  );
  return rows.map((r) => ({ ...r, attended_minutes: Number(r.attended_minutes) }));
}

/** Adds `after` minus `before` to the rollup (rows with no difference are not written). */
export async function addTrainingDeltas(
  sql: Sql,
  before: TrainingContribution[],
  after: TrainingContribution[],
): Promise<void> {
  const deltas = new Map<string, TrainingContribution>();
  const add = (row: TrainingContribution, sign: 1 | -1) => {
    const key = `${row.scope}|${row.scope_id}|${row.day}|${row.topic}`;
    let delta = deltas.get(key);
    if (!delta) {
      delta = { ...row };
      for (const c of COUNTS) delta[c] = 0;
      deltas.set(key, delta);
    }
    for (const c of COUNTS) delta[c] += sign * row[c];
  };
  for (const row of before) add(row, -1);
  for (const row of after) add(row, 1);
  // In primary-key order, kept by the statement: two pushes touching the same rows lock them
  // in the same order and never deadlock (see booking-rollup.repository.ts).
  const changed = [...deltas.values()]
    .filter((d) => COUNTS.some((c) => d[c] !== 0))
    .sort(byKey((d) => [d.scope, d.scope_id, d.day, d.topic]));
  if (changed.length === 0) return;
  await sql.query(
    `INSERT INTO training_rollup (scope, scope_id, day, topic, ${COUNTS.join(", ")})
     SELECT d.scope::"RollupScope", d.scope_id, d.day, d.topic, ${COUNTS.map((c) => `d.${c}`).join(", ")}
     FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (scope text, scope_id text, day date,
          topic text, ${COUNTS.map((c) => `${c} ${c === "attended_minutes" ? "bigint" : "int"}`).join(", ")}))
          WITH ORDINALITY AS d(scope, scope_id, day, topic, ${COUNTS.join(", ")}, n)
     ORDER BY d.n
     ON CONFLICT (scope, scope_id, day, topic) DO UPDATE SET
       ${COUNTS.map((c) => `${c} = training_rollup.${c} + EXCLUDED.${c}`).join(",\n       ")}`,
    [JSON.stringify(changed)],
  );
  // A day and topic whose trainings all went leaves no row behind.
  const emptied = changed.filter((d) => d.trainings < 0 || d.cancelled_trainings < 0);
  if (emptied.length === 0) return;
  await sql.query(
    `DELETE FROM training_rollup r
     USING jsonb_to_recordset($1::jsonb) AS d(scope text, scope_id text, day date, topic text)
     WHERE r.scope = d.scope::"RollupScope" AND r.scope_id = d.scope_id AND r.day = d.day
       AND r.topic = d.topic
       AND ${COUNTS.map((c) => `r.${c} = 0`).join(" AND ")}`,
    [JSON.stringify(emptied)],
  );
}
