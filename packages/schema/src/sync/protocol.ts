import { z } from "zod";
import { ChangeOp, EntityName } from "./change-event.ts";

/**
 * The sync protocol between a node agent and the hub, over the hub's GraphQL endpoint.
 * The envelope travels as JSON scalars and is parsed with these schemas on both sides.
 *
 * Push: the agent sends its outbox in seq order (at most MAX_PUSH_BATCH events); the hub
 * applies what it can in one transaction and answers the highest contiguous seq applied.
 * Pull: the agent reads the hub's ordered log after its cursor; a subscription follows it.
 * Authentication: a short-lived JWT the agent signs with its Ed25519 key (see NodeTokenClaims).
 */
export const MAX_PUSH_BATCH = 1000;
export const MAX_PULL_LIMIT = 1000;
/** Node tokens live at most this long (seconds): the hub refuses longer ones. */
export const NODE_TOKEN_MAX_TTL_SECONDS = 600;

export const PushRejection = z.object({
  seq: z.number().int(),
  code: z.string(),
  message: z.string(),
});
export type PushRejection = z.infer<typeof PushRejection>;

export const PushResult = z.object({
  /** Highest seq of this node the hub has applied, contiguously from 1. */
  appliedThrough: z.number().int().min(0),
  /** Events of this batch applied now (duplicates excluded). */
  applied: z.number().int().min(0),
  /** Events of this batch the hub already had (re-sent after a lost answer). */
  duplicates: z.number().int().min(0),
  /** Set when the batch skipped a seq: the seq the hub expects next. Nothing after it applied. */
  expectedSeq: z.number().int().nullable(),
  /** Set when an event was refused: its seq and documented code. Nothing after it applied. */
  rejected: PushRejection.nullable(),
});
export type PushResult = z.infer<typeof PushResult>;

/** An event of the hub's log as a node pulls it. */
export const PulledEvent = z.object({
  /** Position in the hub's global log (a decimal string: it outgrows 2^53 in theory). */
  offset: z.string().regex(/^\d+$/),
  id: z.string(),
  /** The node that made the change; null for the hub's own records (fabriques, handovers). */
  originNodeId: z.string().nullable(),
  entity: EntityName,
  entityId: z.string(),
  op: ChangeOp,
  payload: z.unknown(),
  occurredAt: z.string(),
  schemaVersion: z.number().int(),
  /** Set when the event is addressed to one node only (e.g. a handover at enrolment). */
  targetNodeId: z.string().nullable(),
});
export type PulledEvent = z.infer<typeof PulledEvent>;

export const PullResult = z.object({
  events: z.array(PulledEvent),
  /** Store this (with the applied events, in one transaction) and pull after it next time. */
  cursor: z.string().regex(/^\d+$/),
  hasMore: z.boolean(),
});
export type PullResult = z.infer<typeof PullResult>;

export const NodeTokenClaims = z.object({
  role: z.literal("NODE"),
  /** The node id; the token's `iss` is the node id too. */
  sub: z.string().min(1),
  fabriqueId: z.string().min(1),
});

/** The operations an agent sends to the hub's /graphql. */
export const SyncOperations = {
  enrolNode: `mutation EnrolNode($code: String!, $publicKey: Ed25519PublicKeyInput!) {
    enrolNode(code: $code, publicKey: $publicKey) { nodeId fabriqueId fabriqueName }
  }`,
  pushChanges: `mutation PushChanges($events: [JSON!]!, $pending: Int!, $oldestPendingAt: DateTime) {
    pushChanges(events: $events, pending: $pending, oldestPendingAt: $oldestPendingAt) {
      appliedThrough applied duplicates expectedSeq rejected { seq code message }
    }
  }`,
  pullChanges: `query PullChanges($after: String!, $limit: Int!) {
    pullChanges(after: $after, limit: $limit) { events cursor hasMore }
  }`,
  /** Live: each message is a PullResult after the given cursor; resubscribe from the stored cursor after a drop. */
  changes: `subscription Changes($after: String!) {
    changes(after: $after) { events cursor hasMore }
  }`,
} as const;
