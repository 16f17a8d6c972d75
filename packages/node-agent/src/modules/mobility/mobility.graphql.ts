import {
  CHECK_IN_METHODS,
  type ConsentField,
  PASS_REVOCATION_REASONS,
  PASS_STATUSES,
} from "@maillage/schema";
import { type Context, viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { untilExpiry } from "../resources/live.ts";
import { SpaceRef } from "../spaces/space.graphql.ts";
import { type SpaceRecord, spaceRepository } from "../spaces/space.repository.ts";
import { canSeeVisit, type VisitView } from "./check-in.service.ts";
import type { DisclosureRecord, VisitRecord } from "./mobility.repository.ts";
import type { PassView, Presentation } from "./pass.service.ts";

/** Member mobility at the agent: the pass (home), check-in and visits. docs/mobility.md. */

const CONSENT_ENUM = {
  FIRST_NAME: "firstName",
  EMAIL: "email",
  PHONE: "phone",
  ORGANISATION: "organisation",
} as const satisfies Record<string, ConsentField>;
type ConsentEnum = keyof typeof CONSENT_ENUM;
const toEnum = (f: ConsentField): ConsentEnum =>
  (Object.keys(CONSENT_ENUM) as ConsentEnum[]).find((k) => CONSENT_ENUM[k] === f) as ConsentEnum;

const ConsentFieldEnum = builder.enumType("ConsentField", {
  description:
    "A field a member may agree to show visited places (first name, email, phone, organisation); default none.",
  values: Object.keys(CONSENT_ENUM) as ConsentEnum[],
});
const PassStatusEnum = builder.enumType("PassStatus", { values: PASS_STATUSES });
const PassRevocationReasonEnum = builder.enumType("PassRevocationReason", {
  description:
    "LOST (card or phone lost: the team or the member), LEFT (the member left: the team), ERASED (the member was erased at home), REPLACED (a newer pass: consent changed, renewed).",
  values: PASS_REVOCATION_REASONS,
});
const CheckInMethodEnum = builder.enumType("CheckInMethod", { values: CHECK_IN_METHODS });

const PassPresentationRef = builder.objectRef<Presentation>("PassPresentation").implement({
  description:
    "What the member shows at a visited place: the compact SD-JWT (typ dc+sd-jwt) with only the disclosures chosen, and its QR.",
  fields: (t) => ({
    passId: t.exposeID("passId"),
    sdJwt: t.exposeString("sdJwt", {
      description: "`<issuer-signed JWT>~<disclosure>~…~` (RFC 9901, no key binding)",
    }),
    disclosed: t.field({
      type: [ConsentFieldEnum],
      description: "The fields it shows (chosen and carried by the pass)",
      resolve: (p) => p.disclosed.map(toEnum),
    }),
    qrSvg: t.exposeString("qrSvg", { description: "The QR of sdJwt, as SVG" }),
    qrPngBase64: t.exposeString("qrPngBase64", { description: "The QR of sdJwt, PNG in base64" }),
  }),
});

const PassRef = builder.objectRef<PassView>("Pass").implement({
  description:
    "A member's pass, at its home node: an SD-JWT VC signed by the home node (docs/mobility.md). Only the member and its home team see it.",
  authScopes: (pass, ctx) =>
    ctx.viewer !== null &&
    (ctx.viewer.role === "FABRIQUE_ADMIN" ||
      (ctx.viewer.role === "SATELLITE" && ctx.viewer.spaceId === pass.homeSpaceId) ||
      (ctx.viewer.role === "MEMBER" && ctx.viewer.memberId === pass.memberId)),
  fields: (t) => ({
    id: t.exposeID("id"),
    memberId: t.exposeID("memberId"),
    homeSpaceId: t.exposeID("homeSpaceId"),
    status: t.field({ type: PassStatusEnum, resolve: (p) => p.status }),
    revocationReason: t.field({
      type: PassRevocationReasonEnum,
      nullable: true,
      resolve: (p) => p.revocationReason,
    }),
    validFrom: t.field({ type: "DateTime", resolve: (p) => p.validFrom }),
    validUntil: t.field({ type: "DateTime", resolve: (p) => p.validUntil }),
    createdAt: t.field({ type: "DateTime", resolve: (p) => p.createdAt }),
    consent: t.field({
      type: [ConsentFieldEnum],
      description: "What the member agreed visited places may see (what the pass carries)",
      resolve: (p) => p.consent.map(toEnum),
    }),
    shortCode: t.string({
      nullable: true,
      description: "XXXX-XXXX-XXXX, to type when there is nothing to scan",
      resolve: (p, _args, ctx) => ctx.passes.shortCodeOf(p),
    }),
    cardSvg: t.string({
      description:
        "The printable card (SVG, 85.6 × 54 mm): QR without disclosures, short code, home place, validity; nothing personal",
      resolve: (p, _args, ctx) => ctx.passes.card(p),
    }),
    presentation: t.field({
      type: PassPresentationRef,
      description:
        "The pass showing the fields chosen now among those consented (default none). The member only.",
      args: { disclose: t.arg({ type: [ConsentFieldEnum], defaultValue: [] }) },
      resolve: (p, args, ctx) =>
        ctx.passes.presentation(
          viewerOf(ctx),
          p,
          (args.disclose ?? []).map((f) => CONSENT_ENUM[f]),
        ),
    }),
  }),
});

const VisitDisclosureRef = builder.objectRef<DisclosureRecord>("VisitDisclosure").implement({
  description:
    "What the member chose to show at check-in, kept at the visited place only until expiresAt (VISIT_DISCLOSURE_RETENTION_DAYS), never sent.",
  fields: (t) => ({
    firstName: t.exposeString("firstName", { nullable: true }),
    email: t.exposeString("email", { nullable: true }),
    phone: t.exposeString("phone", { nullable: true }),
    organisation: t.exposeString("organisation", { nullable: true }),
    expiresAt: t.field({ type: "DateTime", resolve: (d) => d.expiresAt }),
  }),
});

/**
 * Spaces of a list of visits, read once per space and request (a list of 500 visits names a
 * handful of places, not 1,000).
 */
const spacesOfRequest = new WeakMap<object, Map<string, Promise<SpaceRecord | null>>>();
function spaceOf(ctx: Context, id: string): Promise<SpaceRecord | null> {
  let cache = spacesOfRequest.get(ctx);
  if (!cache) {
    cache = new Map();
    spacesOfRequest.set(ctx, cache);
  }
  let space = cache.get(id);
  if (!space) {
    space = spaceRepository.find(ctx.store, id).then((found) => found ?? null);
    cache.set(id, space);
  }
  return space;
}

const VisitRef = builder.objectRef<VisitRecord & { disclosure?: DisclosureRecord | null }>("Visit");
VisitRef.implement({
  description:
    "A member's visit to a space: owned by the visited node, replicated to the member's home node. memberId is pseudonymous (null once erased).",
  authScopes: (visit, ctx) => ctx.viewer !== null && canSeeVisit(ctx.viewer, visit),
  fields: (t) => ({
    id: t.exposeID("id"),
    memberId: t.exposeID("memberId", { nullable: true }),
    homeSpaceId: t.exposeID("homeSpaceId"),
    homeSpace: t.field({
      type: SpaceRef,
      nullable: true,
      resolve: (v, _args, ctx) => spaceOf(ctx, v.homeSpaceId),
    }),
    spaceId: t.exposeID("spaceId"),
    space: t.field({
      type: SpaceRef,
      nullable: true,
      resolve: (v, _args, ctx) => spaceOf(ctx, v.spaceId),
    }),
    day: t.exposeString("day", { description: "YYYY-MM-DD, the visited space's local date" }),
    arrivedAt: t.field({ type: "DateTime", resolve: (v) => v.arrivedAt }),
    departedAt: t.field({ type: "DateTime", nullable: true, resolve: (v) => v.departedAt }),
    durationMinutes: t.int({
      nullable: true,
      resolve: (v) =>
        v.departedAt === null
          ? null
          : Math.round((v.departedAt.getTime() - v.arrivedAt.getTime()) / 60_000),
    }),
    method: t.field({ type: CheckInMethodEnum, resolve: (v) => v.method }),
    disclosure: t.field({
      type: VisitDisclosureRef,
      nullable: true,
      description:
        "The fields disclosed at check-in, to the visited place's team while kept (null elsewhere)",
      resolve: (v) => v.disclosure ?? null,
    }),
  }),
});

const CheckInInputRef = builder.inputType("CheckInInput", {
  fields: (t) => ({
    spaceId: t.id({ required: true, description: "The visited space (this node's)" }),
    pass: t.string({ description: "The presentation scanned (compact SD-JWT)" }),
    shortCode: t.string({ description: "Or the pass's short code, as typed" }),
    arrivedAt: t.field({ type: "DateTime", description: "Default: now; never in the future" }),
    departedAt: t.field({ type: "DateTime", description: "After arrivedAt" }),
    durationMinutes: t.int({ description: "Or the duration (not both)" }),
  }),
});

const LIMIT = { defaultValue: 100 } as const;
const clamp = (n: number | null | undefined) => Math.min(Math.max(n ?? 100, 1), 500);

builder.queryFields((t) => ({
  memberPass: t.field({
    type: PassRef,
    nullable: true,
    description:
      "The member's active pass (null: none), at its home node: the member itself or its home team (a satellite its own members). NOT_FOUND for a member not homed here.",
    authScopes: { authenticated: true },
    args: { memberId: t.arg.id({ required: true }) },
    resolve: (_p, args, ctx) => ctx.passes.current(viewerOf(ctx), String(args.memberId)),
  }),
  memberPasses: t.field({
    type: [PassRef],
    description: "Every pass issued here to the member, newest first (revoked ones too).",
    authScopes: { authenticated: true },
    args: { memberId: t.arg.id({ required: true }) },
    resolve: (_p, args, ctx) => ctx.passes.history(viewerOf(ctx), String(args.memberId)),
  }),
  visits: t.field({
    type: [VisitRef],
    description:
      "Visits recorded at this node's spaces, newest first, with the disclosures while kept: the fabrique's team (spaceId narrows), a satellite its own space.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { spaceId: t.arg.id(), first: t.arg.int(LIMIT) },
    resolve: (_p, args, ctx) =>
      ctx.checkIns.visitsHere(
        viewerOf(ctx),
        args.spaceId == null ? null : String(args.spaceId),
        clamp(args.first),
      ),
  }),
  memberVisits: t.field({
    type: [VisitRef],
    description:
      "Visits of members homed here, wherever they went (no disclosures: those stay at the visited place): the fabrique's team, a satellite its own members'.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { first: t.arg.int(LIMIT) },
    resolve: (_p, args, ctx) => ctx.checkIns.homeVisits(viewerOf(ctx), clamp(args.first)),
  }),
  myVisits: t.field({
    type: [VisitRef],
    description: "The member's own visits (MEMBER token at home), newest first.",
    authScopes: { authenticated: true },
    args: { first: t.arg.int(LIMIT) },
    resolve: (_p, args, ctx) => ctx.checkIns.myVisits(viewerOf(ctx), clamp(args.first)),
  }),
}));

builder.mutationFields((t) => ({
  setPassConsent: t.field({
    type: PassRef,
    nullable: true,
    description:
      "The member (MEMBER token, itself) chooses field by field what visited places may see; a change re-issues the pass (the old one REVOKED, REPLACED). Answers the active pass.",
    authScopes: { authenticated: true },
    args: {
      memberId: t.arg.id({ required: true }),
      fields: t.arg({ type: [ConsentFieldEnum], required: true }),
    },
    resolve: (_p, args, ctx) =>
      ctx.passes.setConsent(viewerOf(ctx), {
        memberId: String(args.memberId),
        fields: args.fields.map((f) => CONSENT_ENUM[f]),
      }),
  }),
  renewPass: t.field({
    type: PassRef,
    description:
      "Issues the member a new pass (the first one, or a renewal: the active one is REVOKED, REPLACED): the member or its home team.",
    authScopes: { authenticated: true },
    args: { memberId: t.arg.id({ required: true }) },
    resolve: (_p, args, ctx) => ctx.passes.renew(viewerOf(ctx), String(args.memberId)),
  }),
  revokePass: t.field({
    type: PassRef,
    description:
      "Revokes a pass issued here: the home team (LOST, LEFT) or the member (LOST). The revocation reaches every node (PASS).",
    authScopes: { authenticated: true },
    args: {
      passId: t.arg.id({ required: true }),
      reason: t.arg({ type: PassRevocationReasonEnum, required: true }),
    },
    resolve: (_p, args, ctx) => ctx.passes.revoke(viewerOf(ctx), String(args.passId), args.reason),
  }),
  checkIn: t.field({
    type: VisitRef,
    description:
      "Records a visit at one of this node's spaces, the pass verified offline (PASS_INVALID, PASS_UNKNOWN_ISSUER, PASS_EXPIRED, PASS_REVOKED; NOT_FOUND for an unknown short code): the fabrique's team, or a satellite for its own space.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { input: t.arg({ type: CheckInInputRef, required: true }) },
    resolve: (_p, { input }, ctx) =>
      ctx.checkIns.checkIn(viewerOf(ctx), {
        spaceId: String(input.spaceId),
        ...(input.pass != null ? { pass: input.pass } : {}),
        ...(input.shortCode != null ? { shortCode: input.shortCode } : {}),
        ...(input.arrivedAt != null ? { arrivedAt: input.arrivedAt } : {}),
        ...(input.departedAt != null ? { departedAt: input.departedAt } : {}),
        ...(input.durationMinutes != null ? { durationMinutes: input.durationMinutes } : {}),
      }),
  }),
  checkOut: t.field({
    type: VisitRef,
    description: "Sets the departure (default now) of a visit recorded here.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { visitId: t.arg.id({ required: true }), departedAt: t.arg({ type: "DateTime" }) },
    resolve: (_p, args, ctx) =>
      ctx.checkIns.checkOut(viewerOf(ctx), String(args.visitId), args.departedAt ?? null),
  }),
}));

builder.subscriptionFields((t) => ({
  visitRecorded: t.field({
    type: VisitRef,
    description:
      "A visit recorded here (check-in, check-out) or one of this node's members' visits brought by a pull: the fabrique's team all, a satellite those at its space or of its members, a member its own. spaceId follows one space (visited or home). Ends when the token expires.",
    authScopes: { authenticated: true },
    args: { spaceId: t.arg.id() },
    subscribe: (_p, args, ctx) => {
      const viewer = viewerOf(ctx);
      const only = args.spaceId == null ? null : String(args.spaceId);
      return untilExpiry(
        ctx.pubsub.subscribe("visitRecorded"),
        viewer.exp,
        (visit: VisitRecord) =>
          (only === null || visit.spaceId === only || visit.homeSpaceId === only) &&
          canSeeVisit(viewer, visit),
      );
    },
    resolve: (visit: VisitRecord) => visit,
  }),
}));

export type { VisitView };
