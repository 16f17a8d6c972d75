import {
  MemberPayload,
  type PulledEvent,
  type PullResult,
  SCHEMA_VERSION,
  SpacePayload,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import type { z } from "zod";
import {
  applyCredentialsEvent,
  CREDENTIAL_ENTITIES,
  type CredentialsAppliedAs,
} from "../modules/credentials/credentials-sync.ts";
import { applyMemberEvent } from "../modules/members/member-sync.ts";
import {
  applyMobilityEvent,
  MOBILITY_ENTITIES,
  type MobilityAppliedAs,
} from "../modules/mobility/mobility-sync.ts";
import { type Publication, Publications } from "../modules/resources/live.ts";
import {
  applyResourceEvent,
  RESOURCE_ENTITIES,
  type ResourceAppliedAs,
} from "../modules/resources/replication.ts";
import {
  applySettlementEvent,
  SETTLEMENT_ENTITIES,
  type SettlementAppliedAs,
} from "../modules/settlement/settlement-sync.ts";
import { applySpaceEvent } from "../modules/spaces/space-sync.ts";
import {
  applyTrainingEvent,
  TRAINING_ENTITIES,
  type TrainingAppliedAs,
} from "../modules/trainings/training-sync.ts";
import { outboxRepository } from "../outbox/outbox.repository.ts";
import { syncStateRepository } from "./sync-state.repository.ts";

/** What applying one pulled event did (for the log and the tests). */
export type AppliedAs =
  | "reference"
  | "handover"
  | "deleted"
  | "kept-owned"
  | "own-echo"
  | "not-ours"
  | "not-needed"
  | ResourceAppliedAs
  | CredentialsAppliedAs
  | TrainingAppliedAs
  | SettlementAppliedAs
  | MobilityAppliedAs;

/**
 * A pull answer that does not follow the stored cursor: an earlier answer of the same stream
 * was not applied. Nothing is applied; the engine pulls again from the stored cursor.
 */
export class CursorGapError extends Error {
  override name = "CursorGapError";
}

/**
 * A pulled event this agent cannot apply (a newer schema version, a payload that breaks the
 * contract). The batch is not applied and the cursor does not move: skipping it would let
 * this replica diverge silently. The engine retries with backoff and reports the error.
 */
export class UnappliableEventError extends Error {
  override name = "UnappliableEventError";
}

function parsePayload<S extends z.ZodType>(schema: S, event: PulledEvent): z.output<S> {
  const parsed = schema.safeParse(event.payload);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UnappliableEventError(
    `event ${event.id} (offset ${event.offset}): ${event.entity} payload ${issue?.path.join(".") || ""}: ${issue?.message}`,
  );
}

/**
 * One event of the hub's log, in the pull transaction. The ownership rule: a record this node
 * owns is never overwritten (nor deleted) by a copy of it; its own changes coming back are
 * ignored. An event addressed to this node by the hub itself (no origin node) hands a record
 * over: the node becomes its owner (a fabrique's satellites registered at the hub before its
 * agent enrolled).
 */
export async function applyPulledEvent(
  tx: SqlSession,
  nodeId: string,
  event: PulledEvent,
  pubs: Publications = new Publications(),
  onSkipped?: (error: unknown, event: PulledEvent) => void,
): Promise<AppliedAs> {
  if (event.schemaVersion > SCHEMA_VERSION) {
    throw new UnappliableEventError(
      `event ${event.id} (offset ${event.offset}) has schema version ${event.schemaVersion}; ` +
        `this agent reads up to ${SCHEMA_VERSION}: upgrade the agent`,
    );
  }
  if (event.originNodeId === nodeId) return "own-echo";
  if (event.targetNodeId !== null && event.targetNodeId !== nodeId) return "not-ours";
  // Other networks' activity is the hub's to count (its rollups); an agent keeps only its own.
  if (event.entity === "ACTIVITY") return "not-needed";
  // Shared resources: replicas, requests addressed to this owner, decisions for this requester.
  if (RESOURCE_ENTITIES.has(event.entity)) {
    return applyResourceEvent(tx, nodeId, event, pubs, (error) => onSkipped?.(error, event));
  }
  // The network's node keys and status lists (portable credentials).
  if (CREDENTIAL_ENTITIES.has(event.entity)) {
    return applyCredentialsEvent(tx, event, (error) => onSkipped?.(error, event));
  }
  // Trainings: replicas, requests addressed to this organiser, answers for this member's home.
  if (TRAINING_ENTITIES.has(event.entity)) {
    return applyTrainingEvent(tx, event, pubs, (error) => onSkipped?.(error, event));
  }
  // Tariff versions of other networks' spaces (settlement prices from the same ones).
  if (SETTLEMENT_ENTITIES.has(event.entity)) {
    return applySettlementEvent(tx, event, (error) => onSkipped?.(error, event));
  }
  // Mobility: pass replicas (revocation, short codes), visits of this node's members.
  if (MOBILITY_ENTITIES.has(event.entity)) {
    return applyMobilityEvent(tx, event, pubs, (error) => onSkipped?.(error, event));
  }
  const handover = event.targetNodeId === nodeId && event.originNodeId === null;
  if (event.entity === "SPACE") {
    const state = event.op === "DELETE" ? null : parsePayload(SpacePayload, event);
    return applySpaceEvent(tx, event.entityId, state, handover);
  }
  const state = event.op === "DELETE" ? null : parsePayload(MemberPayload, event);
  return applyMemberEvent(tx, event.entityId, state, handover);
}

/**
 * Applies one pull answer (from pullChanges or a subscription message) and stores its cursor
 * in the same transaction. `after` is the cursor the answer follows. Events at or before the
 * stored cursor were applied already (the pull loop and the subscription overlap) and are
 * skipped, so applying an answer twice changes nothing.
 */
export async function applyPullResult(
  store: SqlStore,
  nodeId: string,
  result: PullResult,
  after: string,
  onSkipped?: (error: unknown, event: PulledEvent) => void,
): Promise<{ applied: number; cursor: string; publications: Publication[] }> {
  const pubs = new Publications();
  return store.transaction(async (tx) => {
    // Serialised with local writes: ownership cannot change under a local write's feet.
    await outboxRepository.lockLocalWrites(tx);
    const state = await syncStateRepository.read(tx, { forUpdate: true });
    const stored = BigInt(state.pullCursor);
    if (BigInt(after) > stored) {
      throw new CursorGapError(`answer follows ${after} but the stored cursor is ${stored}`);
    }
    let applied = 0;
    for (const event of result.events) {
      if (BigInt(event.offset) <= stored) continue;
      await applyPulledEvent(tx, nodeId, event, pubs, onSkipped);
      applied += 1;
    }
    const cursor = BigInt(result.cursor) > stored ? result.cursor : state.pullCursor;
    await syncStateRepository.recordPull(tx, cursor);
    return { applied, cursor, publications: pubs.items };
  });
}
