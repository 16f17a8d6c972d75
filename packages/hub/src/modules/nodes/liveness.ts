import type { SqlStore } from "@maillage/storage";
import type { Logger } from "../../logger.ts";
import type { HubPubSub } from "../../realtime/pubsub.ts";
import { announce, nodeStatusEvent } from "../health/announce.ts";

/** ONLINE: heard from within 2 minutes; STALE: within 24 hours; SILENT: longer, or never. */
export const ONLINE_WITHIN_MS = 2 * 60_000;
export const STALE_WITHIN_MS = 24 * 3600_000;

export type Liveness = "ONLINE" | "STALE" | "SILENT";

export function livenessOf(lastSeenAt: Date | null, now = Date.now()): Liveness {
  if (!lastSeenAt) return "SILENT";
  const age = now - lastSeenAt.getTime();
  if (age < ONLINE_WITHIN_MS) return "ONLINE";
  return age < STALE_WITHIN_MS ? "STALE" : "SILENT";
}

/**
 * Announces nodes that went quiet. Every replica sweeps; the conditional UPDATE of the stored
 * liveness lets exactly one of them announce each change. (Coming back ONLINE is announced
 * by the push or pull that brings the node back.)
 */
export async function sweepLiveness(store: SqlStore, pubsub: HubPubSub): Promise<number> {
  const changed = await store.transaction(async (tx) => {
    const rows = await tx.query<{
      id: string;
      fabrique_id: string;
      status: string;
      previous: string;
    }>(
      `WITH computed AS (
       SELECT id, liveness AS previous,
         (CASE WHEN last_seen_at > (now() AT TIME ZONE 'UTC') - interval '2 minutes' THEN 'ONLINE'
               WHEN last_seen_at > (now() AT TIME ZONE 'UTC') - interval '24 hours' THEN 'STALE'
               ELSE 'SILENT' END)::"NodeLiveness" AS status
       FROM node WHERE status = 'ACTIVE')
     UPDATE node SET liveness = c.status FROM computed c
     -- Re-checked on the current row after any lock wait: a change another replica already
     -- recorded is not recorded (nor announced) twice.
     WHERE node.id = c.id AND node.liveness <> c.status
     RETURNING node.id, node.fabrique_id, c.status::text AS status, c.previous::text AS previous`,
    );
    await announce(
      tx,
      rows.map((row) =>
        nodeStatusEvent({
          nodeId: row.id,
          fabriqueId: row.fabrique_id,
          status: row.status,
          previous: row.previous,
        }),
      ),
    );
    return rows;
  });
  if (changed.length > 0) pubsub.publish("network:appended");
  for (const row of changed) {
    pubsub.publish("node:status", {
      nodeId: row.id,
      fabriqueId: row.fabrique_id,
      status: row.status,
      previous: row.previous,
    });
  }
  return changed.length;
}

export function startLivenessSweeper(
  store: SqlStore,
  pubsub: HubPubSub,
  logger: Logger,
  intervalMs = 15_000,
): () => void {
  const timer = setInterval(() => {
    sweepLiveness(store, pubsub).catch((err: unknown) =>
      logger.warn({ err }, "liveness sweep failed"),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
