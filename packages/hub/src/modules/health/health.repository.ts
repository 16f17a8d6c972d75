import type { Sql } from "../sync/change-log.repository.ts";
import { ALL_TOPICS } from "../trainings/training-rollup.repository.ts";

/**
 * The SQL of network health: rollups for coverage, activity, bookings, resources and
 * trainings; the nodes (and their fabriques' names) for liveness.
 */

export type Scope = { scope: "NATION" | "REGION" | "DEPARTMENT" | "FABRIQUE"; scopeId: string };

export type Totals = {
  visitors: number;
  events: number;
  participants: number;
  openHours: number;
  reports: number;
};

type TotalsRow = {
  visitors: string | null;
  events: string | null;
  participants: string | null;
  open_hours: string | null;
  reports: string | null;
};

function toTotals(row: TotalsRow | undefined): Totals {
  return {
    visitors: Number(row?.visitors ?? 0),
    events: Number(row?.events ?? 0),
    participants: Number(row?.participants ?? 0),
    openHours: Number(row?.open_hours ?? 0),
    reports: Number(row?.reports ?? 0),
  };
}

const DAY_MS = 86_400_000;
const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
/** A range BETWEEN matches nothing in. */
const NO_DAYS: [string, string] = ["1970-01-02", "1970-01-01"];

/**
 * [from, to] as the MONTH rollup rows of its whole months and the DAY rows of the days before
 * the first and after the last of them: a year is ~12 + ~30 rows per scope instead of 365.
 * Ranges, inclusive, as `[start, end]` days (`NO_DAYS` when empty); `months` holds the first
 * days of the first and last whole months.
 */
function monthsAndDays(
  from: string,
  to: string,
): { head: [string, string]; months: [string, string]; tail: [string, string] } {
  const start = new Date(dayMs(from));
  const firstWhole =
    start.getUTCDate() === 1
      ? dayMs(from)
      : Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
  const end = new Date(dayMs(to) + DAY_MS); // the day after `to`
  const afterLastWhole = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 1);
  if (firstWhole >= afterLastWhole) return { head: [from, to], months: NO_DAYS, tail: NO_DAYS };
  const lastWhole = new Date(afterLastWhole - DAY_MS);
  return {
    head: firstWhole > dayMs(from) ? [from, isoDay(firstWhole - DAY_MS)] : NO_DAYS,
    months: [
      isoDay(firstWhole),
      isoDay(Date.UTC(lastWhole.getUTCFullYear(), lastWhole.getUTCMonth(), 1)),
    ],
    tail: afterLastWhole <= dayMs(to) ? [isoDay(afterLastWhole), to] : NO_DAYS,
  };
}

/** The activity_rollup rows of [from, to] (see monthsAndDays), from parameter `$n` on. */
function periodRows(n: number): string {
  return `((period = 'DAY' AND period_start BETWEEN $${n}::date AND $${n + 1}::date)
       OR (period = 'MONTH' AND period_start BETWEEN $${n + 2}::date AND $${n + 3}::date)
       OR (period = 'DAY' AND period_start BETWEEN $${n + 4}::date AND $${n + 5}::date))`;
}

function periodParams(from: string, to: string): string[] {
  const { head, months, tail } = monthsAndDays(from, to);
  return [...head, ...months, ...tail];
}

/**
 * Sums of the activity rollups of one scope over the period [from, to] and the previous one
 * [previousFrom, from − 1], in one statement (by primary key, ~40 rows a year each).
 */
export async function activityTotals(
  sql: Sql,
  scope: Scope,
  previousFrom: string,
  from: string,
  to: string,
): Promise<{ current: Totals; previous: Totals }> {
  const previousTo = isoDay(dayMs(from) - DAY_MS);
  const rows = await sql.query<TotalsRow & { current: boolean }>(
    `SELECT period_start >= $3::date AS current,
            sum(visitors)::text AS visitors, sum(events)::text AS events,
            sum(participants)::text AS participants, sum(open_hours)::text AS open_hours,
            sum(reports)::text AS reports
     FROM activity_rollup
     WHERE scope = $1::"RollupScope" AND scope_id = $2 AND (${periodRows(4)} OR ${periodRows(10)})
     GROUP BY period_start >= $3::date`,
    [
      scope.scope,
      scope.scopeId,
      from,
      ...periodParams(from, to),
      ...periodParams(previousFrom, previousTo),
    ],
  );
  return {
    current: toTotals(rows.find((r) => r.current)),
    previous: toTotals(rows.find((r) => !r.current)),
  };
}

/** The activity rollups of every region (or department) over [from, to], summed per region. */
export async function activityBy(
  sql: Sql,
  level: "REGION" | "DEPARTMENT",
  ids: string[],
  from: string,
  to: string,
): Promise<Map<string, Totals>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.query<TotalsRow & { scope_id: string }>(
    `SELECT scope_id, sum(visitors)::text AS visitors, sum(events)::text AS events,
            sum(participants)::text AS participants, sum(open_hours)::text AS open_hours,
            sum(reports)::text AS reports
     FROM activity_rollup
     WHERE scope = $1::"RollupScope" AND scope_id = ANY($2::text[]) AND ${periodRows(3)}
     GROUP BY scope_id`,
    [level, ids, ...periodParams(from, to)],
  );
  return new Map(rows.map((r) => [r.scope_id, toTotals(r)]));
}

export type SpaceCountRow = {
  region_code: string;
  department_code: string;
  fabriques: number;
  satellites: number;
  rural: number;
  communes: number;
  /** Open spaces with a report on or after the period's start (per the space's last report day). */
  active: number;
  /** Open spaces with no report in the 30 days before the period's end. */
  silent: number;
};

/**
 * The registry side of coverage, per department, for the open spaces of the scope: the scope's
 * rows of the space rollups (spaces/space-rollup.repository.ts), read by primary key — the
 * departments' counts, and the spaces per day of their last report summed into the period's
 * active and silent counts (a space with no report counts on '-infinity': silent).
 */
export async function coverageByDepartment(
  sql: Sql,
  scope: Scope,
  from: string,
  to: string,
): Promise<SpaceCountRow[]> {
  return sql.query<SpaceCountRow>(
    `SELECT r.region_code, r.department_code, r.fabriques, r.satellites, r.rural, r.communes,
            coalesce(a.active, 0)::int AS active, coalesce(a.silent, 0)::int AS silent
     FROM space_rollup r
     LEFT JOIN (SELECT region_code, department_code,
                       sum(spaces) FILTER (WHERE last_activity_day BETWEEN $3::date AND $4::date)
                         AS active,
                       sum(spaces) FILTER (WHERE last_activity_day <= $4::date - 30) AS silent
                FROM space_activity_rollup
                WHERE scope = $1::"RollupScope" AND scope_id = $2
                GROUP BY region_code, department_code) a
       ON a.region_code = r.region_code AND a.department_code = r.department_code
     WHERE r.scope = $1::"RollupScope" AND r.scope_id = $2
     ORDER BY r.region_code, r.department_code`,
    [scope.scope, scope.scopeId, from, to],
  );
}

export type NodeRow = {
  node_id: string;
  fabrique_id: string;
  fabrique_name: string;
  last_seen_at: Date | null;
  pending_estimate: number;
  oldest_pending_at: Date | null;
};

/** The nodes of the fabriques in scope. */
export async function nodesIn(sql: Sql, scope: Scope): Promise<NodeRow[]> {
  const where =
    scope.scope === "NATION"
      ? "true"
      : scope.scope === "REGION"
        ? "f.region_code = $1"
        : scope.scope === "DEPARTMENT"
          ? "f.department_code = $1"
          : "f.id = $1";
  return sql.query<NodeRow>(
    `SELECT n.id AS node_id, f.id AS fabrique_id, f.name AS fabrique_name,
            n.last_seen_at AT TIME ZONE 'UTC' AS last_seen_at, n.pending_estimate,
            n.oldest_pending_at AT TIME ZONE 'UTC' AS oldest_pending_at
     FROM node n JOIN space f ON f.id = n.fabrique_id
     WHERE n.status = 'ACTIVE' AND ${where}`,
    scope.scope === "NATION" ? [] : [scope.scopeId],
  );
}

export type BookingTotals = {
  bookings: number;
  bookedMinutes: number;
  crossNode: number;
  loans: number;
};

type BookingTotalsRow = {
  bookings: string | null;
  booked_minutes: string | null;
  cross_node: string | null;
  loans: string | null;
};

function toBookingTotals(row: BookingTotalsRow | undefined): BookingTotals {
  return {
    bookings: Number(row?.bookings ?? 0),
    bookedMinutes: Number(row?.booked_minutes ?? 0),
    crossNode: Number(row?.cross_node ?? 0),
    loans: Number(row?.loans ?? 0),
  };
}

const BOOKING_SUMS = `sum(bookings)::text AS bookings, sum(booked_minutes)::text AS booked_minutes,
  sum(cross_node)::text AS cross_node, sum(loans)::text AS loans`;

/**
 * Sums of the daily booking rollups of one scope over the period [from, to] and the previous
 * one [previousFrom, from − 1], in one statement (by primary key).
 */
export async function bookingTotals(
  sql: Sql,
  scope: Scope,
  previousFrom: string,
  from: string,
  to: string,
): Promise<{ current: BookingTotals; previous: BookingTotals }> {
  const rows = await sql.query<BookingTotalsRow & { current: boolean }>(
    `SELECT day >= $4::date AS current, ${BOOKING_SUMS} FROM booking_rollup
     WHERE scope = $1::"RollupScope" AND scope_id = $2 AND day BETWEEN $3::date AND $5::date
     GROUP BY day >= $4::date`,
    [scope.scope, scope.scopeId, previousFrom, from, to],
  );
  return {
    current: toBookingTotals(rows.find((r) => r.current)),
    previous: toBookingTotals(rows.find((r) => !r.current)),
  };
}

/** Daily booking rollups of every region (or department) over [from, to], summed per region. */
export async function bookingsBy(
  sql: Sql,
  level: "REGION" | "DEPARTMENT",
  ids: string[],
  from: string,
  to: string,
): Promise<Map<string, BookingTotals>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.query<BookingTotalsRow & { scope_id: string }>(
    `SELECT scope_id, ${BOOKING_SUMS} FROM booking_rollup
     WHERE scope = $1::"RollupScope" AND scope_id = ANY($2::text[])
       AND day BETWEEN $3::date AND $4::date
     GROUP BY scope_id`,
    [level, ids, from, to],
  );
  return new Map(rows.map((r) => [r.scope_id, toBookingTotals(r)]));
}

export type ResourceCountRow = {
  region_code: string;
  sharing_scope: string;
  category: string;
  status: string;
  resources: number;
  weekly_open_minutes: string;
};

/**
 * The resources held at the hub (RETIRED ones left out) hosted in the scope, counted per
 * region, sharing scope, category and status, with the sum of their weekly open minutes: the
 * scope's rows of the resource rollup (mutualisation/resource-rollup.repository.ts), read by
 * primary key.
 */
export async function resourceCounts(sql: Sql, scope: Scope): Promise<ResourceCountRow[]> {
  return sql.query<ResourceCountRow>(
    `SELECT region_code, sharing_scope, category, status, resources,
            weekly_open_minutes::text AS weekly_open_minutes
     FROM resource_rollup
     WHERE scope = $1::"RollupScope" AND scope_id = $2`,
    [scope.scope, scope.scopeId],
  );
}

/** Sums of the training rollup (training_rollup.repository.ts), in its units. */
export type TrainingTotals = {
  trainings: number;
  cancelledTrainings: number;
  seatsOffered: number;
  seatsFilled: number;
  crossNode: number;
  waitlisted: number;
  attended: number;
  noShow: number;
  attendedMinutes: number;
  credentials: number;
  cancellations: number;
};

export const NO_TRAININGS: TrainingTotals = {
  trainings: 0,
  cancelledTrainings: 0,
  seatsOffered: 0,
  seatsFilled: 0,
  crossNode: 0,
  waitlisted: 0,
  attended: 0,
  noShow: 0,
  attendedMinutes: 0,
  credentials: 0,
  cancellations: 0,
};

type TrainingTotalsRow = Record<
  | "trainings"
  | "cancelled_trainings"
  | "seats_offered"
  | "seats_filled"
  | "cross_node"
  | "waitlisted"
  | "attended"
  | "no_show"
  | "attended_minutes"
  | "credentials"
  | "cancellations",
  string | null
>;

function toTrainingTotals(row: TrainingTotalsRow | undefined): TrainingTotals {
  const n = (value: string | null | undefined) => Number(value ?? 0);
  return {
    trainings: n(row?.trainings),
    cancelledTrainings: n(row?.cancelled_trainings),
    seatsOffered: n(row?.seats_offered),
    seatsFilled: n(row?.seats_filled),
    crossNode: n(row?.cross_node),
    waitlisted: n(row?.waitlisted),
    attended: n(row?.attended),
    noShow: n(row?.no_show),
    attendedMinutes: n(row?.attended_minutes),
    credentials: n(row?.credentials),
    cancellations: n(row?.cancellations),
  };
}

const TRAINING_SUMS = [
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
]
  .map((c) => `sum(${c})::text AS ${c}`)
  .join(", ");

/**
 * The training rollup of one scope: the totals (rows of every topic, ALL_TOPICS) of the period
 * [from, to] and of the previous one [previousFrom, from − 1], and the period's figures by
 * topic, in one statement (by primary key: scope, scope_id, day range). Days are the sessions'
 * days (Europe/Paris), never the sign-up days.
 */
export async function trainingTotalsByTopic(
  sql: Sql,
  scope: Scope,
  previousFrom: string,
  from: string,
  to: string,
): Promise<{
  current: TrainingTotals;
  previous: TrainingTotals;
  byTopic: Map<string, TrainingTotals>;
}> {
  const rows = await sql.query<TrainingTotalsRow & { topic: string; current: boolean }>(
    `SELECT topic, day >= $4::date AS current, ${TRAINING_SUMS} FROM training_rollup
     WHERE scope = $1::"RollupScope" AND scope_id = $2 AND day BETWEEN $3::date AND $5::date
       AND (topic = $6 OR day >= $4::date)
     GROUP BY topic, day >= $4::date`,
    [scope.scope, scope.scopeId, previousFrom, from, to, ALL_TOPICS],
  );
  const byTopic = new Map<string, TrainingTotals>();
  let current = NO_TRAININGS;
  let previous = NO_TRAININGS;
  for (const row of rows) {
    if (row.topic !== ALL_TOPICS) byTopic.set(row.topic, toTrainingTotals(row));
    else if (row.current) current = toTrainingTotals(row);
    else previous = toTrainingTotals(row);
  }
  return { current, previous, byTopic };
}

/** The training totals of every region (or department) over [from, to], per region. */
export async function trainingsBy(
  sql: Sql,
  level: "REGION" | "DEPARTMENT",
  ids: string[],
  from: string,
  to: string,
): Promise<Map<string, TrainingTotals>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.query<TrainingTotalsRow & { scope_id: string }>(
    `SELECT scope_id, ${TRAINING_SUMS} FROM training_rollup
     WHERE scope = $1::"RollupScope" AND scope_id = ANY($2::text[]) AND topic = $5
       AND day BETWEEN $3::date AND $4::date
     GROUP BY scope_id`,
    [level, ids, from, to, ALL_TOPICS],
  );
  return new Map(rows.map((r) => [r.scope_id, toTrainingTotals(r)]));
}
