import type { ActivityPayload } from "@maillage/schema";
import { byKey } from "../mutualisation/booking-rollup.repository.ts";
import { addLastDayDeltas, type LastDayMove } from "../spaces/space-rollup.repository.ts";
import type { Sql } from "../sync/change-log.repository.ts";

/**
 * Activity reports and their rollups. Applying a report (or its revision, or its withdrawal)
 * adds the difference with what was there before to every rollup the report belongs to — the
 * nation, its region, department and fabrique territory per day and per month, the space per
 * month — in the same transaction, so totals count each report once and health queries never
 * read the raw reports.
 */

export type ActivityRow = {
  space_id: string;
  day: string;
  visitors: number;
  events: number;
  participants: number;
  open_hours: number;
  owner_node_id: string;
};

type Place = {
  id: string;
  network_id: string;
  department_code: string;
  region_code: string;
  open: boolean;
  last_activity_day: string | null;
};

type Counts = {
  visitors: number;
  events: number;
  participants: number;
  openHours: number;
  reports: number;
};

export async function activityByKeys(
  sql: Sql,
  keys: { spaceId: string; day: string }[],
): Promise<ActivityRow[]> {
  if (keys.length === 0) return [];
  return sql.query<ActivityRow>(
    `SELECT a.space_id, to_char(a.day, 'YYYY-MM-DD') AS day, a.visitors, a.events, a.participants,
            a.open_hours::float8 AS open_hours, a.owner_node_id
     FROM activity_report a
     JOIN jsonb_to_recordset($1::jsonb) AS k(space_id text, day date)
       ON a.space_id = k.space_id AND a.day = k.day`,
    [JSON.stringify(keys.map((k) => ({ space_id: k.spaceId, day: k.day })))],
  );
}

/** Applies final report states (null: withdrawn) and their rollup deltas. */
export async function applyActivity(
  sql: Sql,
  nodeId: string,
  changes: { spaceId: string; day: string; report: ActivityPayload | null }[],
): Promise<void> {
  if (changes.length === 0) return;
  const before = new Map(
    (
      await activityByKeys(
        sql,
        changes.map((c) => ({ spaceId: c.spaceId, day: c.day })),
      )
    ).map((r) => [`${r.space_id}:${r.day}`, r]),
  );
  const places = new Map(
    (
      await sql.query<Place>(
        `SELECT id, coalesce(fabrique_id, id) AS network_id, department_code, region_code,
                status = 'OPEN' AS open, to_char(last_activity_day, 'YYYY-MM-DD') AS last_activity_day
         FROM space WHERE id = ANY($1::text[])`,
        [[...new Set(changes.map((c) => c.spaceId))]],
      )
    ).map((p) => [p.id, p]),
  );

  const rollups = new Map<
    string,
    { scope: string; scopeId: string; period: string; start: string } & Counts
  >();
  const add = (scope: string, scopeId: string, period: string, start: string, delta: Counts) => {
    const key = `${scope}|${scopeId}|${period}|${start}`;
    const row = rollups.get(key) ?? {
      scope,
      scopeId,
      period,
      start,
      visitors: 0,
      events: 0,
      participants: 0,
      openHours: 0,
      reports: 0,
    };
    row.visitors += delta.visitors;
    row.events += delta.events;
    row.participants += delta.participants;
    row.openHours += delta.openHours;
    row.reports += delta.reports;
    rollups.set(key, row);
  };

  const upserts: Record<string, unknown>[] = [];
  const withdrawn: { space_id: string; day: string }[] = [];
  for (const change of changes) {
    const old = before.get(`${change.spaceId}:${change.day}`);
    const place = places.get(change.spaceId);
    if (!place) continue; // ownership checks ran before: the space exists
    const next = change.report;
    const delta: Counts = {
      visitors: (next?.visitors ?? 0) - (old?.visitors ?? 0),
      events: (next?.events ?? 0) - (old?.events ?? 0),
      participants: (next?.participants ?? 0) - (old?.participants ?? 0),
      openHours: (next?.openHours ?? 0) - (old?.open_hours ?? 0),
      reports: (next ? 1 : 0) - (old ? 1 : 0),
    };
    const month = `${change.day.slice(0, 7)}-01`;
    for (const [scope, scopeId] of [
      ["NATION", "FR"],
      ["REGION", place.region_code],
      ["DEPARTMENT", place.department_code],
      ["FABRIQUE", place.network_id],
    ] as const) {
      add(scope, scopeId, "DAY", change.day, delta);
      add(scope, scopeId, "MONTH", month, delta);
    }
    add("SPACE", place.id, "MONTH", month, delta);
    if (next) {
      upserts.push({
        space_id: change.spaceId,
        day: change.day,
        visitors: next.visitors,
        events: next.events,
        participants: next.participants,
        open_hours: next.openHours,
        owner_node_id: nodeId,
      });
    } else if (old) withdrawn.push({ space_id: change.spaceId, day: change.day });
  }

  if (upserts.length > 0) {
    await sql.query(
      `INSERT INTO activity_report (space_id, day, visitors, events, participants, open_hours, owner_node_id, updated_at)
       SELECT r.space_id, r.day, r.visitors, r.events, r.participants, r.open_hours, r.owner_node_id,
              now() AT TIME ZONE 'UTC'
       FROM jsonb_to_recordset($1::jsonb) AS r(space_id text, day date, visitors int, events int,
            participants int, open_hours numeric, owner_node_id text)
       ON CONFLICT (space_id, day) DO UPDATE SET visitors = EXCLUDED.visitors, events = EXCLUDED.events,
         participants = EXCLUDED.participants, open_hours = EXCLUDED.open_hours,
         updated_at = EXCLUDED.updated_at`,
      [JSON.stringify(upserts)],
    );
    await sql.query(
      `UPDATE space SET last_activity_day = GREATEST(coalesce(space.last_activity_day, r.day), r.day)
       FROM (SELECT space_id, max(day) AS day FROM jsonb_to_recordset($1::jsonb) AS x(space_id text, day date)
             GROUP BY space_id) r
       WHERE space.id = r.space_id`,
      [JSON.stringify(upserts.map((u) => ({ space_id: u.space_id, day: u.day })))],
    );
    // The open spaces whose last report day moved take their count in coverage's active and
    // silent figures along (space_activity_rollup, spaces/space-rollup.repository.ts).
    const lastDays = new Map<string, string>();
    for (const u of upserts) {
      const id = String(u.space_id);
      const day = String(u.day);
      if (day > (lastDays.get(id) ?? "")) lastDays.set(id, day);
    }
    const moves: LastDayMove[] = [];
    for (const [id, day] of lastDays) {
      const place = places.get(id);
      if (!place?.open || (place.last_activity_day ?? "") >= day) continue;
      moves.push({
        region_code: place.region_code,
        department_code: place.department_code,
        network_id: place.network_id,
        from: place.last_activity_day,
        to: day,
      });
    }
    await addLastDayDeltas(sql, moves);
  }
  if (withdrawn.length > 0) {
    await sql.query(
      `DELETE FROM activity_report a USING jsonb_to_recordset($1::jsonb) AS k(space_id text, day date)
       WHERE a.space_id = k.space_id AND a.day = k.day`,
      [JSON.stringify(withdrawn)],
    );
  }
  // In primary-key order, kept by the statement (see booking-rollup.repository.ts): concurrent
  // pushes touching the same rollup rows lock them in the same order and never deadlock.
  const deltas = [...rollups.values()]
    .filter((r) => r.visitors || r.events || r.participants || r.openHours || r.reports)
    .sort(byKey((r) => [r.scope, r.scopeId, r.period, r.start]));
  if (deltas.length > 0) {
    await sql.query(
      `INSERT INTO activity_rollup (scope, scope_id, period, period_start, visitors, events, participants, open_hours, reports)
       SELECT d.scope::"RollupScope", d.scope_id, d.period::"RollupPeriod", d.start, d.visitors, d.events,
              d.participants, d.open_hours, d.reports
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (scope text, scope_id text, period text,
            start date, visitors bigint, events bigint, participants bigint, open_hours numeric,
            reports int))
            WITH ORDINALITY AS d(scope, scope_id, period, start, visitors, events, participants,
            open_hours, reports, n)
       ORDER BY d.n
       ON CONFLICT (scope, scope_id, period, period_start) DO UPDATE SET
         visitors = activity_rollup.visitors + EXCLUDED.visitors,
         events = activity_rollup.events + EXCLUDED.events,
         participants = activity_rollup.participants + EXCLUDED.participants,
         open_hours = activity_rollup.open_hours + EXCLUDED.open_hours,
         reports = activity_rollup.reports + EXCLUDED.reports`,
      [
        JSON.stringify(
          deltas.map((d) => ({
            scope: d.scope,
            scope_id: d.scopeId,
            period: d.period,
            start: d.start,
            visitors: d.visitors,
            events: d.events,
            participants: d.participants,
            open_hours: Math.round(d.openHours * 100) / 100,
            reports: d.reports,
          })),
        ),
      ],
    );
  }
}
