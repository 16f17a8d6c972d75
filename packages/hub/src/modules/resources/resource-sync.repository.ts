import type { CredentialPayload, ResourcePayload } from "@maillage/schema";
import { weeklyOpenMinutes } from "../mutualisation/open-minutes.ts";
import type { Sql } from "../sync/change-log.repository.ts";
import type { ResourceRow } from "../sync/push-handlers.ts";
import type { OwnedRow } from "../sync/sync.repository.ts";

/**
 * SQL of the hub's replicas of nodes' resources and members' credentials, written by pushes
 * inside the push transaction. Timestamps are `timestamp(3)` in UTC.
 */

export async function resourcesByIds(sql: Sql, ids: string[]): Promise<ResourceRow[]> {
  if (ids.length === 0) return [];
  return sql.query<ResourceRow>(
    `SELECT id, owner_node_id, space_id, sharing_scope, status, windows, closures
     FROM resource WHERE id = ANY($1::text[])`,
    [ids],
  );
}

export async function credentialsByIds(sql: Sql, ids: string[]): Promise<OwnedRow[]> {
  if (ids.length === 0) return [];
  return sql.query<OwnedRow>(
    "SELECT id, owner_node_id, NULL::text AS fabrique_id FROM credential WHERE id = ANY($1::text[])",
    [ids],
  );
}

/**
 * Inserts or replaces resources (each id at most once per call), with their weekly open
 * minutes computed from their windows.
 */
export async function upsertResources(
  sql: Sql,
  nodeId: string,
  rows: { id: string; resource: ResourcePayload }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO resource (id, owner_node_id, space_id, name, category, description, sharing_scope,
                           required_credential, min_minutes, max_minutes, lead_minutes,
                           cancel_deadline_minutes, status, movable, approval_required, windows,
                           closures, weekly_open_minutes, updated_at)
     SELECT r.id, $2, r."spaceId", r.name, r.category, r.description, r."sharingScope",
            r."requiredCredential", r."minMinutes", r."maxMinutes", r."leadMinutes",
            r."cancelDeadlineMinutes", r.status, r.movable, r."approvalRequired", r.windows,
            r.closures, r."weeklyOpenMinutes", now() AT TIME ZONE 'UTC'
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "spaceId" text, name text, category text,
       description text, "sharingScope" text, "requiredCredential" text, "minMinutes" int,
       "maxMinutes" int, "leadMinutes" int, "cancelDeadlineMinutes" int, status text,
       movable boolean, "approvalRequired" boolean, windows jsonb, closures jsonb,
       "weeklyOpenMinutes" int)
     ON CONFLICT (id) DO UPDATE SET
       space_id = EXCLUDED.space_id, name = EXCLUDED.name, category = EXCLUDED.category,
       description = EXCLUDED.description, sharing_scope = EXCLUDED.sharing_scope,
       required_credential = EXCLUDED.required_credential, min_minutes = EXCLUDED.min_minutes,
       max_minutes = EXCLUDED.max_minutes, lead_minutes = EXCLUDED.lead_minutes,
       cancel_deadline_minutes = EXCLUDED.cancel_deadline_minutes, status = EXCLUDED.status,
       movable = EXCLUDED.movable, approval_required = EXCLUDED.approval_required,
       windows = EXCLUDED.windows, closures = EXCLUDED.closures,
       weekly_open_minutes = EXCLUDED.weekly_open_minutes, updated_at = EXCLUDED.updated_at
     WHERE resource.owner_node_id = EXCLUDED.owner_node_id`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          ...r.resource,
          weeklyOpenMinutes: weeklyOpenMinutes(r.resource.windows),
        })),
      ),
      nodeId,
    ],
  );
}

export async function upsertCredentials(
  sql: Sql,
  nodeId: string,
  rows: { id: string; credential: CredentialPayload }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO credential (id, member_id, type, issued_at, expires_at, owner_node_id,
                             training_id, vc)
     SELECT r.id, r."memberId", r.type, r."issuedAt"::timestamptz AT TIME ZONE 'UTC',
            r."expiresAt"::timestamptz AT TIME ZONE 'UTC', $2, r."trainingId", r.vc
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, "memberId" text, type text,
       "issuedAt" text, "expiresAt" text, "trainingId" text, vc text)
     ON CONFLICT (id) DO UPDATE SET
       member_id = EXCLUDED.member_id, type = EXCLUDED.type, issued_at = EXCLUDED.issued_at,
       expires_at = EXCLUDED.expires_at, training_id = EXCLUDED.training_id, vc = EXCLUDED.vc
     WHERE credential.owner_node_id = EXCLUDED.owner_node_id`,
    [JSON.stringify(rows.map((r) => ({ id: r.id, ...r.credential }))), nodeId],
  );
}

export async function deleteCredentials(sql: Sql, nodeId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql.query("DELETE FROM credential WHERE id = ANY($1::text[]) AND owner_node_id = $2", [
    ids,
    nodeId,
  ]);
}
