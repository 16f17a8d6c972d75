import { z } from "zod";
import { ActivityPayload } from "../domain/activity.ts";
import { PassPayload, TariffPayload, VisitPayload } from "../domain/mobility.ts";
import {
  BookingDecisionPayload,
  BookingPayload,
  BookingRequestPayload,
  CredentialPayload,
  ResourcePayload,
} from "../domain/resource.ts";
import { CommuneCode, OpeningHours, Services, SpaceName, SpaceStatus } from "../domain/space.ts";
import { EnrolmentPayload, EnrolmentRequestPayload, TrainingPayload } from "../domain/training.ts";

/**
 * The sync envelope: one change a node made to a record it owns, as it travels
 * agent → hub (push) and hub → agents (pull). Both sides parse it with these schemas.
 */
export const SCHEMA_VERSION = 1;

const Ulid = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, "a ULID");

export const ChangeOp = z.enum(["UPSERT", "DELETE"]);
export type ChangeOp = z.infer<typeof ChangeOp>;

/**
 * A space's replicated state. A node pushes satellites of its own fabrique; the hub also
 * sends fabriques and other networks' satellites as reference data. Geography (department,
 * region, rural) is derived from the commune at each end, never sent.
 */
export const SpacePayload = z
  .object({
    kind: z.enum(["FABRIQUE", "SATELLITE"]),
    /** The fabrique of a satellite; null for a fabrique. */
    fabriqueId: z.string().min(1).nullable(),
    name: SpaceName,
    communeCode: CommuneCode,
    services: Services,
    openingHours: OpeningHours,
    status: SpaceStatus,
  })
  .strict();
export type SpacePayload = z.infer<typeof SpacePayload>;

/**
 * A member as the network knows them: a pseudonymous id and a home space. Strict on
 * purpose: a payload carrying a name, an email or anything personal is refused at both ends.
 */
export const MemberPayload = z.object({ homeSpaceId: z.string().min(1) }).strict();
export type MemberPayload = z.infer<typeof MemberPayload>;

/**
 * A node's public signing key as the hub publishes it (entity NODE_KEY, the hub's own record:
 * entityId = the node id; sent to every node). Anyone verifies offline what a node signed (its
 * Open Badges credentials, its status lists, members' passes) with it. DELETE: the node was
 * replaced or removed; what it signed before no longer verifies.
 */
export const NodeKeyPayload = z
  .object({
    fabriqueId: z.string().min(1),
    publicJwk: z
      .object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string().min(1) })
      .strict(),
  })
  .strict();
export type NodeKeyPayload = z.infer<typeof NodeKeyPayload>;

/**
 * A node's credential status list (entity STATUS_LIST, owned by the issuing node; entityId =
 * the node id; sent to every node): a W3C Bitstring Status List credential (VC-JWT, EdDSA)
 * signed by the node, where the bit of a revoked credential is set.
 */
export const StatusListPayload = z
  .object({ vc: z.string().min(1).max(200_000), updatedAt: z.iso.datetime({ offset: true }) })
  .strict();
export type StatusListPayload = z.infer<typeof StatusListPayload>;

export const ENTITY_PAYLOADS = {
  SPACE: SpacePayload,
  MEMBER: MemberPayload,
  /** entityId = activityEntityId(spaceId, date); DELETE withdraws the day's report. */
  ACTIVITY: ActivityPayload,
  /** Owned by the resource's node; sent to every node (discovery, availability). */
  RESOURCE: ResourcePayload,
  /** A slot the resource's owner gave away; sent to every node (availability). */
  BOOKING: BookingPayload,
  /** Owned by the requester's node; routed by the hub to the resource's owner only. */
  BOOKING_REQUEST: BookingRequestPayload,
  /** Owned by the resource's node (entityId = the request's); routed to the requester only. */
  BOOKING_DECISION: BookingDecisionPayload,
  /** Owned by the issuing node; sent to every node (credential gates). DELETE revokes. */
  CREDENTIAL: CredentialPayload,
  /** Owned by the organiser's node; sent to every node while NETWORK or NATIONAL. */
  TRAINING: TrainingPayload,
  /** Owned by the member's home node; routed by the hub to the training's organiser only. */
  ENROLMENT_REQUEST: EnrolmentRequestPayload,
  /** Owned by the organiser's node; kept at the hub, routed to the member's home node only. */
  ENROLMENT: EnrolmentPayload,
  /** The hub's record of a node's public key; sent to every node. */
  NODE_KEY: NodeKeyPayload,
  /** Owned by the issuing node; sent to every node. */
  STATUS_LIST: StatusListPayload,
  /** Owned by the member's home node; sent to every node (offline checks: revoked, short code). */
  PASS: PassPayload,
  /** Owned by the visited space's node; kept at the hub, routed to the member's home node only. */
  VISIT: VisitPayload,
  /** Owned by the space's node (entityId = <spaceId>:<validFrom>); sent to every node. */
  TARIFF: TariffPayload,
} as const;

export const EntityName = z.enum([
  "SPACE",
  "MEMBER",
  "ACTIVITY",
  "RESOURCE",
  "BOOKING",
  "BOOKING_REQUEST",
  "BOOKING_DECISION",
  "CREDENTIAL",
  "TRAINING",
  "ENROLMENT_REQUEST",
  "ENROLMENT",
  "NODE_KEY",
  "STATUS_LIST",
  "PASS",
  "VISIT",
  "TARIFF",
]);
export type EntityName = z.infer<typeof EntityName>;

export const ChangeEvent = z
  .object({
    id: Ulid,
    nodeId: z.string().min(1),
    seq: z.number().int().min(1),
    entity: EntityName,
    entityId: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces"),
    op: ChangeOp,
    /** The record's state after the change for UPSERT; null for DELETE (a tombstone). */
    payload: z.unknown(),
    occurredAt: z.iso.datetime({ offset: true }),
    schemaVersion: z.number().int().min(1).max(SCHEMA_VERSION),
  })
  .superRefine((event, ctx) => {
    if (event.op === "DELETE") {
      if (event.payload !== null)
        ctx.addIssue({ code: "custom", path: ["payload"], message: "must be null for DELETE" });
      return;
    }
    const parsed = ENTITY_PAYLOADS[event.entity].safeParse(event.payload);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({
          code: "custom",
          path: ["payload", ...issue.path.map(String)],
          message: issue.message,
        });
      }
    }
  });
export type ChangeEvent = z.infer<typeof ChangeEvent>;

/**
 * Parses an event and returns it with its payload as the contract normalises it (names
 * trimmed, services lower-cased and de-duplicated), which is what both ends store.
 */
export function parseChangeEvent(raw: unknown): ReturnType<typeof ChangeEvent.safeParse> {
  const parsed = ChangeEvent.safeParse(raw);
  if (!parsed.success || parsed.data.op === "DELETE") return parsed;
  const payload = ENTITY_PAYLOADS[parsed.data.entity].parse(parsed.data.payload);
  return { ...parsed, data: { ...parsed.data, payload } };
}
