import { z } from "zod";
import { CredentialType, SHARING_SCOPES } from "./resource.ts";

/**
 * Training sessions across the network (issue 10). Ownership as for shared resources: the
 * organiser's node owns a session (entity TRAINING), its enrolments (entity ENROLMENT) and the
 * credentials it issues; a member's home node owns the member's enrolment requests (entity
 * ENROLMENT_REQUEST); the hub routes, replicates and discovers. Only pseudonymous member ids
 * travel: names, emails and phones stay at the member's home node.
 *
 * Words: a "training" is one dated session (what a member enrols in); a weekly series is a set
 * of trainings sharing a `seriesId`. "Enrolment" here is a member's place in a training, not a
 * node's enrolment in the network (enrolNode).
 */

const Id = z.string().trim().min(1).max(64);
const Instant = z.iso.datetime({ offset: true });

/** The documented topics (docs/trainings.md); free `tags` say the rest. */
export const TRAINING_TOPICS = [
  "DIGITAL_FABRICATION",
  "MACHINE_SAFETY",
  "WOODWORKING",
  "ELECTRONICS",
  "TEXTILE",
  "DIGITAL_SKILLS",
  "DIGITAL_MEDIATION",
  "ENTREPRENEURSHIP",
  "FACILITATION",
  "SUSTAINABILITY",
  "FOOD",
  "OTHER",
] as const;
export type TrainingTopic = (typeof TRAINING_TOPICS)[number];

export const TRAINING_STATUSES = ["SCHEDULED", "CANCELLED"] as const;
export type TrainingStatus = (typeof TRAINING_STATUSES)[number];

/** Why a training was cancelled (`cancelReasonCode`). */
export const TRAINING_CANCEL_REASONS = ["CANCELLED_BY_ORGANISER", "MINIMUM_NOT_REACHED"] as const;

/**
 * Credential types are slugs (`laser-safety`). These are the network's documented ones; a
 * training may grant a new one, which then exists for every node that knows the training. A
 * prerequisite must be a known type (documented, or granted by a training the node knows):
 * otherwise UNKNOWN_CREDENTIAL_TYPE.
 */
export const CREDENTIAL_TYPES = [
  "laser-safety",
  "cnc-safety",
  "3d-printing",
  "wood-workshop",
  "electronics-bench",
  "textile-machines",
  "machine-safety",
  "first-aid",
  "digital-mediation",
] as const;
export const CredentialSlug = CredentialType.regex(
  /^[a-z0-9]+(-[a-z0-9]+)*$/,
  "a credential type is a slug: lower-case letters, digits and dashes (laser-safety)",
);

/** What attending grants: a credential type, valid `validityDays` days (null: no expiry). */
export const TrainingGrant = z
  .object({
    type: CredentialSlug,
    validityDays: z
      .number()
      .int()
      .min(1)
      .max(365 * 50)
      .nullable(),
  })
  .strict();
export type TrainingGrant = z.infer<typeof TrainingGrant>;

/** The organiser's counts, sent with every change of the training (discovery, live seats). */
export const TrainingSeats = z
  .object({
    /** ENROLLED + ATTENDED + NO_SHOW + OFFERED: seats given (cancellations excluded). */
    taken: z.number().int().min(0),
    waitlisted: z.number().int().min(0),
    attended: z.number().int().min(0),
    noShow: z.number().int().min(0),
  })
  .strict();
export type TrainingSeats = z.infer<typeof TrainingSeats>;

/**
 * A training's replicated state (entity TRAINING, owned by the organiser's node; entityId = the
 * training id). Sent to every node when its scope is NETWORK or NATIONAL (or was until this
 * change); a LOCAL one stays at the hub (statistics, the organiser's own territory). Never
 * deleted: a training that will not happen is CANCELLED.
 */
export const TrainingPayload = z
  .object({
    /** The organiser: the fabrique or a satellite of the owner node's network. */
    spaceId: Id,
    title: z.string().trim().min(1).max(200),
    topic: z.enum(TRAINING_TOPICS),
    tags: z.array(z.string().trim().toLowerCase().min(1).max(40)).max(20),
    description: z.string().trim().max(4000).nullable(),
    /** Where it happens: a space of the network (any node's), or null when online. */
    venueSpaceId: Id.nullable(),
    /** The link of an online training (https), or null when it has a venue. */
    onlineUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .nullable(),
    startsAt: Instant,
    endsAt: Instant,
    /** The weekly series it belongs to (the id of the series' first training), or null. */
    seriesId: Id.nullable(),
    capacity: z.number().int().min(1).max(10_000),
    /** Below this many seats taken at `decisionAt`, the organiser cancels it automatically. */
    minimum: z.number().int().min(0).max(10_000),
    decisionAt: Instant.nullable(),
    scope: z.enum(SHARING_SCOPES),
    /** Credential types a member must hold, valid at the start, to enrol. */
    prerequisites: z.array(CredentialType).max(20),
    grants: TrainingGrant.nullable(),
    /** The trainer's public name (a public figure of the training, not a member's data). */
    trainerName: z.string().trim().min(1).max(200).nullable(),
    /** Members cancel their seat up to this many minutes before the start. */
    cancelDeadlineMinutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 366),
    /** Null: a freed seat goes to the first waitlisted member at once; N: offered, held N hours. */
    offerHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .nullable(),
    status: z.enum(TRAINING_STATUSES),
    cancelReasonCode: z.enum(TRAINING_CANCEL_REASONS).nullable(),
    seats: TrainingSeats,
  })
  .strict()
  .refine((t) => Date.parse(t.startsAt) < Date.parse(t.endsAt), {
    path: ["endsAt"],
    message: "must be after startsAt",
  })
  .refine((t) => (t.venueSpaceId === null) !== (t.onlineUrl === null), {
    path: ["venueSpaceId"],
    message: "exactly one of venueSpaceId and onlineUrl",
  })
  .refine((t) => t.minimum <= t.capacity, {
    path: ["minimum"],
    message: "must not be more than capacity",
  })
  .refine((t) => t.minimum === 0 || t.decisionAt !== null, {
    path: ["decisionAt"],
    message: "a minimum needs a decision deadline",
  });
export type TrainingPayload = z.infer<typeof TrainingPayload>;

export const ENROLMENT_STATUSES = [
  /** At the member's home only: sent, no answer from the organiser yet. */
  "PENDING",
  "ENROLLED",
  "WAITLISTED",
  /** A freed seat held for this member until `offerExpiresAt` (sessions with offerHours). */
  "OFFERED",
  "ATTENDED",
  "NO_SHOW",
  "CANCELLED",
  "DECLINED",
] as const;
export type EnrolmentStatus = (typeof ENROLMENT_STATUSES)[number];

/**
 * Codes of an ENROLMENT's `reasonCode`: why it was DECLINED (the error codes of a local
 * enrolment: PREREQUISITE_MISSING, ENROLMENT_CLOSED, ALREADY_ENROLLED, TRAINING_NOT_SHARED) or
 * CANCELLED (CANCELLED_BY_MEMBER, CANCELLED_BY_ORGANISER, MINIMUM_NOT_REACHED, OFFER_EXPIRED).
 */
export const ENROLMENT_REASON_CODES = [
  "PREREQUISITE_MISSING",
  "ENROLMENT_CLOSED",
  "ALREADY_ENROLLED",
  "TRAINING_NOT_SHARED",
  "CANCELLED_BY_MEMBER",
  "CANCELLED_BY_ORGANISER",
  "MINIMUM_NOT_REACHED",
  "OFFER_EXPIRED",
] as const;

/** `sha256$<64 hex>`: a salted hash of the member's name, made and salted at home (OB3 identity). */
export const IdentityHash = z.string().regex(/^sha256\$[0-9a-f]{64}$/, "sha256$<64 hex digits>");

/**
 * A member's request to enrol in another node's training (entity ENROLMENT_REQUEST, owned by
 * the member's home node; entityId = the enrolment id, which the organiser's ENROLMENT keeps).
 * The hub routes it to the training's organiser only. Sent again to withdraw it (`cancelled`)
 * or to take a seat offered from the waitlist (`acceptOffer`).
 */
export const EnrolmentRequestPayload = z
  .object({
    trainingId: Id,
    memberId: Id,
    /** For the OB3 credential the organiser may issue: the member's hashed identity. */
    identityHash: IdentityHash.nullable(),
    acceptOffer: z.boolean(),
    cancelled: z.boolean(),
  })
  .strict();
export type EnrolmentRequestPayload = z.infer<typeof EnrolmentRequestPayload>;

/**
 * A member's place in a training (entity ENROLMENT, owned by the organiser's node; entityId =
 * the enrolment id). The hub keeps it (statistics) and routes it to the member's home node
 * only. Sent again at every change: promotion, position, cancellation, attendance.
 */
export const EnrolmentPayload = z
  .object({
    trainingId: Id,
    memberId: Id,
    status: z.enum(ENROLMENT_STATUSES).exclude(["PENDING"]),
    /** WAITLISTED: 1 for the first in line. */
    position: z.number().int().min(1).nullable(),
    /** OFFERED: the instant the offer passes to the next. */
    offerExpiresAt: Instant.nullable(),
    reasonCode: z.enum(ENROLMENT_REASON_CODES).nullable(),
    reason: z.string().max(1000).nullable(),
    /** ATTENDED: the credential issued (entity CREDENTIAL, owned by the organiser's node). */
    credentialId: Id.nullable(),
    /** When the member asked (the request's time at home; ordering of the waitlist). */
    requestedAt: Instant,
    updatedAt: Instant,
  })
  .strict()
  .refine((e) => (e.status === "WAITLISTED") === (e.position !== null), {
    path: ["position"],
    message: "a position exactly when WAITLISTED",
  })
  .refine((e) => (e.status === "OFFERED") === (e.offerExpiresAt !== null), {
    path: ["offerExpiresAt"],
    message: "an expiry exactly when OFFERED",
  });
export type EnrolmentPayload = z.infer<typeof EnrolmentPayload>;

/** Whether a status holds a seat (capacity counts it). */
export function holdsSeat(status: EnrolmentStatus): boolean {
  return (
    status === "ENROLLED" || status === "OFFERED" || status === "ATTENDED" || status === "NO_SHOW"
  );
}

/** Seats left for discovery (never negative). */
export function seatsLeft(t: Pick<TrainingPayload, "capacity" | "seats" | "status">): number {
  if (t.status !== "SCHEDULED") return 0;
  return Math.max(0, t.capacity - t.seats.taken);
}

/** Training hours delivered by one training: attendees × duration, in hours. */
export function hoursDelivered(
  t: Pick<TrainingPayload, "startsAt" | "endsAt">,
  attended: number,
): number {
  return (attended * (Date.parse(t.endsAt) - Date.parse(t.startsAt))) / 3_600_000;
}
