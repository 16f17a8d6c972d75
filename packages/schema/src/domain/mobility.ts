import { z } from "zod";
import { IsoDate } from "./resource.ts";

/**
 * Member mobility (issue 11): one pass for the whole network, visits anywhere, settlement
 * between places. A member's personal data stays at the home node: the pass carries it only
 * as selectively disclosable claims the member consented to, shown to a visited place only
 * when the member chooses; nothing personal travels in an event.
 */

const Id = z.string().trim().min(1).max(64);
const Instant = z.iso.datetime({ offset: true });

/**
 * The fields a member may agree to show visited places, field by field (default: none). They
 * travel only inside the pass (SD-JWT disclosures), never in a change event.
 */
export const CONSENT_FIELDS = ["firstName", "email", "phone", "organisation"] as const;
export type ConsentField = (typeof CONSENT_FIELDS)[number];

export const PASS_STATUSES = ["ACTIVE", "REVOKED"] as const;
export type PassStatus = (typeof PASS_STATUSES)[number];

/**
 * Why a pass stopped counting. LOST: the card or phone was lost; LEFT: the member left;
 * ERASED: the member was erased at home; REPLACED: a newer pass (consent changed, renewed).
 */
export const PASS_REVOCATION_REASONS = ["LOST", "LEFT", "ERASED", "REPLACED"] as const;
export type PassRevocationReason = (typeof PASS_REVOCATION_REASONS)[number];

/** `sha256$<64 hex>` of a pass's short code as typed (normalised: upper case, no separators). */
export const ShortCodeHash = z.string().regex(/^sha256\$[0-9a-f]{64}$/, "sha256$<64 hex digits>");

/**
 * A pass as the network knows it (entity PASS, owned by the member's home node; entityId = the
 * pass id, also the SD-JWT's `jti`; sent to every node): what any node needs to refuse a
 * revoked pass and to find a pass by its short code offline. Nothing personal: the pass's
 * disclosable claims are never replicated.
 */
export const PassPayload = z
  .object({
    memberId: Id,
    homeSpaceId: Id,
    validFrom: Instant,
    validUntil: Instant,
    shortCodeHash: ShortCodeHash,
    status: z.enum(PASS_STATUSES),
    revocationReason: z.enum(PASS_REVOCATION_REASONS).nullable(),
  })
  .strict()
  .refine((p) => Date.parse(p.validFrom) < Date.parse(p.validUntil), {
    path: ["validUntil"],
    message: "must be after validFrom",
  })
  .refine((p) => (p.status === "REVOKED") === (p.revocationReason !== null), {
    path: ["revocationReason"],
    message: "a reason exactly when REVOKED",
  });
export type PassPayload = z.infer<typeof PassPayload>;

export const CHECK_IN_METHODS = ["PASS", "SHORT_CODE"] as const;
export type CheckInMethod = (typeof CHECK_IN_METHODS)[number];

/**
 * A member's visit to a space of another place (entity VISIT, owned by the visited space's
 * node; entityId = the visit id). Kept at the hub (mobility statistics, by pseudonymous member
 * id) and routed to the member's home node, where the member and the home team see it. Fields
 * the member disclosed at check-in stay at the visited node. `memberId` is null once the member
 * was erased at home: the visit remains an anonymous count.
 */
export const VisitPayload = z
  .object({
    memberId: Id.nullable(),
    homeSpaceId: Id,
    /** The visited space. */
    spaceId: Id,
    /** The visited space's local date of the arrival. */
    day: IsoDate,
    arrivedAt: Instant,
    /** Null while the member is still there (or left without checking out). */
    departedAt: Instant.nullable(),
    method: z.enum(CHECK_IN_METHODS),
    /** The pass shown (null when erased). */
    passId: Id.nullable(),
  })
  .strict()
  .refine((v) => v.departedAt === null || Date.parse(v.arrivedAt) < Date.parse(v.departedAt), {
    path: ["departedAt"],
    message: "must be after arrivedAt",
  });
export type VisitPayload = z.infer<typeof VisitPayload>;

/**
 * What a visited place charges the home place for its members' visits, from a day on (entity
 * TARIFF, owned by the space's node; entityId = `<spaceId>:<validFrom>`; sent to every node).
 * A visit is priced by the latest tariff of its space starting on or before its day; both the
 * home and the visited node price from the same records, so their statements agree to the cent.
 * Amounts in euro cents.
 */
export const TariffPayload = z
  .object({
    spaceId: Id,
    validFrom: IsoDate,
    perVisitCents: z.number().int().min(0).max(1_000_000).nullable(),
    perDayCents: z.number().int().min(0).max(1_000_000).nullable(),
  })
  .strict()
  .refine((t) => t.perVisitCents === null || t.perDayCents === null, {
    path: ["perDayCents"],
    message: "a tariff is per visit or per day, not both",
  });
export type TariffPayload = z.infer<typeof TariffPayload>;

/** The TARIFF entity id of a space's tariff from a day. */
export function tariffEntityId(spaceId: string, validFrom: string): string {
  return `${spaceId}:${validFrom}`;
}

/** Mobility statistics hide any cell counting fewer distinct members than this ("< 5"). */
export const MOBILITY_SUPPRESSION_THRESHOLD = 5;
