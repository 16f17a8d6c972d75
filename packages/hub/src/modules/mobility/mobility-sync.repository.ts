import type { PassPayload, TariffPayload, VisitPayload } from "@maillage/schema";
import type { VisitRecordedEvent } from "../../realtime/pubsub.ts";
import type { Sql } from "../sync/change-log.repository.ts";
import type { PassRow, VisitRow } from "../sync/push-handlers.ts";

/**
 * SQL of the hub's mobility records, written by pushes inside the push transaction: passes
 * (owner and validity only: neither the member's id nor the short code's hash is kept here),
 * visits (pseudonymous member id, null once erased), tariffs. Timestamps are `timestamp(3)` in
 * UTC, written from ISO strings with `::timestamptz AT TIME ZONE 'UTC'`.
 */

export async function passesByIds(sql: Sql, ids: string[]): Promise<PassRow[]> {
  if (ids.length === 0) return [];
  return sql.query<PassRow>("SELECT id, owner_node_id FROM pass WHERE id = ANY($1::text[])", [ids]);
}

export async function tariffsByIds(sql: Sql, ids: string[]): Promise<PassRow[]> {
  if (ids.length === 0) return [];
  return sql.query<PassRow>("SELECT id, owner_node_id FROM tariff WHERE id = ANY($1::text[])", [
    ids,
  ]);
}

export async function visitsByIds(sql: Sql, ids: string[]): Promise<VisitRow[]> {
  if (ids.length === 0) return [];
  return sql.query<VisitRow>(
    `SELECT id, owner_node_id, member_id, home_space_id, space_id
     FROM visit WHERE id = ANY($1::text[])`,
    [ids],
  );
}

/** Each space's home node: the active node of its network (its fabrique's). */
export async function homeNodesOf(sql: Sql, spaceIds: string[]): Promise<Map<string, string>> {
  if (spaceIds.length === 0) return new Map();
  const rows = await sql.query<{ space_id: string; node_id: string }>(
    `SELECT s.id AS space_id, n.id AS node_id
     FROM space s JOIN node n ON n.fabrique_id = coalesce(s.fabrique_id, s.id)
     WHERE s.id = ANY($1::text[]) AND n.status = 'ACTIVE'`,
    [spaceIds],
  );
  return new Map(rows.map((r) => [r.space_id, r.node_id]));
}

/** Inserts or replaces passes (each id at most once per call), their owner's only. */
export async function upsertPasses(
  sql: Sql,
  nodeId: string,
  rows: { id: string; pass: PassPayload }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO pass (id, owner_node_id, home_space_id, valid_from, valid_until, status,
                       revocation_reason, updated_at)
     SELECT r.id, $2, r."homeSpaceId", r."validFrom"::timestamptz AT TIME ZONE 'UTC',
            r."validUntil"::timestamptz AT TIME ZONE 'UTC', r.status, r."revocationReason",
            now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "homeSpaceId" text, "validFrom" text,
       "validUntil" text, status text, "revocationReason" text)
     ON CONFLICT (id) DO UPDATE SET
       home_space_id = EXCLUDED.home_space_id, valid_from = EXCLUDED.valid_from,
       valid_until = EXCLUDED.valid_until, status = EXCLUDED.status,
       revocation_reason = EXCLUDED.revocation_reason, updated_at = EXCLUDED.updated_at
     WHERE pass.owner_node_id = EXCLUDED.owner_node_id`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          homeSpaceId: r.pass.homeSpaceId,
          validFrom: r.pass.validFrom,
          validUntil: r.pass.validUntil,
          status: r.pass.status,
          revocationReason: r.pass.revocationReason,
        })),
      ),
      nodeId,
    ],
  );
}

export async function deleteOwned(
  sql: Sql,
  table: "pass" | "tariff" | "visit",
  nodeId: string,
  ids: string[],
): Promise<void> {
  if (ids.length === 0) return;
  await sql.query(`DELETE FROM ${table} WHERE id = ANY($1::text[]) AND owner_node_id = $2`, [
    ids,
    nodeId,
  ]);
}

/** Inserts or replaces tariffs (each id at most once per call), their owner's only. */
export async function upsertTariffs(
  sql: Sql,
  nodeId: string,
  rows: { id: string; tariff: TariffPayload }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO tariff (id, owner_node_id, space_id, valid_from, per_visit_cents, per_day_cents,
                         updated_at)
     SELECT r.id, $2, r."spaceId", r."validFrom"::date, r."perVisitCents", r."perDayCents",
            now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "spaceId" text, "validFrom" text,
       "perVisitCents" int, "perDayCents" int)
     ON CONFLICT (id) DO UPDATE SET
       per_visit_cents = EXCLUDED.per_visit_cents, per_day_cents = EXCLUDED.per_day_cents,
       updated_at = EXCLUDED.updated_at
     WHERE tariff.owner_node_id = EXCLUDED.owner_node_id`,
    [JSON.stringify(rows.map((r) => ({ id: r.id, ...r.tariff }))), nodeId],
  );
}

/**
 * Inserts or replaces visits (each id at most once per call), their owner's only, with the
 * fabrique territories of the home and visited spaces and those fabriques' department and
 * region, read from the spaces as they are written. A visit once anonymised stays anonymous.
 */
export async function upsertVisits(
  sql: Sql,
  nodeId: string,
  rows: { id: string; visit: VisitPayload }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO visit (id, owner_node_id, member_id, pass_id, home_space_id, space_id, day,
                        arrived_at, departed_at, method, home_network_id, home_department,
                        home_region, network_id, department, region, updated_at)
     SELECT r.id, $2, r."memberId", r."passId", r."homeSpaceId", r."spaceId", r.day::date,
            r."arrivedAt"::timestamptz AT TIME ZONE 'UTC',
            r."departedAt"::timestamptz AT TIME ZONE 'UTC', r.method,
            hf.id, hf.department_code, hf.region_code, vf.id, vf.department_code, vf.region_code,
            now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "memberId" text, "passId" text,
       "homeSpaceId" text, "spaceId" text, day text, "arrivedAt" text, "departedAt" text,
       method text)
     JOIN space h ON h.id = r."homeSpaceId"
     JOIN space hf ON hf.id = coalesce(h.fabrique_id, h.id)
     JOIN space v ON v.id = r."spaceId"
     JOIN space vf ON vf.id = coalesce(v.fabrique_id, v.id)
     ON CONFLICT (id) DO UPDATE SET
       member_id = CASE WHEN visit.member_id IS NULL THEN NULL ELSE EXCLUDED.member_id END,
       pass_id = CASE WHEN visit.member_id IS NULL THEN NULL ELSE EXCLUDED.pass_id END,
       day = EXCLUDED.day, arrived_at = EXCLUDED.arrived_at,
       departed_at = EXCLUDED.departed_at, method = EXCLUDED.method,
       updated_at = EXCLUDED.updated_at
     WHERE visit.owner_node_id = EXCLUDED.owner_node_id`,
    [JSON.stringify(rows.map((r) => ({ id: r.id, ...r.visit }))), nodeId],
  );
}

/**
 * Erasure at the hub: the members' visits become anonymous (member and pass ids null; counts
 * kept), in the visit table and in the log's VISIT entries (an index finds them, see migration
 * 0011), so that no node reading the log later learns whom they were.
 */
export async function anonymiseVisitsOf(sql: Sql, memberIds: string[]): Promise<void> {
  if (memberIds.length === 0) return;
  await sql.query(
    `UPDATE visit SET member_id = NULL, pass_id = NULL, updated_at = now() AT TIME ZONE 'UTC'
     WHERE member_id = ANY($1::text[])`,
    [memberIds],
  );
  await sql.query(
    `UPDATE change_log SET payload = payload || '{"memberId": null, "passId": null}'::jsonb
     WHERE entity = 'VISIT' AND payload->>'memberId' = ANY($1::text[])`,
    [memberIds],
  );
}

/** The visits as the hub now holds them, for live updates (visitRecorded). */
export async function visitViews(sql: Sql, ids: string[]): Promise<VisitRecordedEvent[]> {
  if (ids.length === 0) return [];
  return sql.query<VisitRecordedEvent>(
    `SELECT id, member_id AS "memberId", home_space_id AS "homeSpaceId", space_id AS "spaceId",
            to_char(day, 'YYYY-MM-DD') AS day,
            to_char(arrived_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "arrivedAt",
            to_char(departed_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "departedAt", method,
            home_network_id AS "homeNetworkId", network_id AS "networkId"
     FROM visit WHERE id = ANY($1::text[]) ORDER BY id`,
    [ids],
  );
}
