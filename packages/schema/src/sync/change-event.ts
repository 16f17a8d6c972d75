import { z } from "zod";
import { ActivityPayload } from "../domain/activity.ts";
import {
  BookingDecisionPayload,
  BookingPayload,
  BookingRequestPayload,
  CredentialPayload,
  ResourcePayload,
} from "../domain/resource.ts";
import { CommuneCode, OpeningHours, Services, SpaceName, SpaceStatus } from "../domain/space.ts";

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
  /** Owned by the member's home node; sent to every node (credential gates). DELETE revokes. */
  CREDENTIAL: CredentialPayload,
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
