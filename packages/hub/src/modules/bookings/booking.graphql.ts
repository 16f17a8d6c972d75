import {
  BOOKING_KINDS,
  type BookingKind,
  DECISION_STATUSES,
  type DecisionStatus,
  LOAN_STATUSES,
  type LoanStatus,
  MaillageError,
} from "@maillage/schema";
import { resolveCursorConnection } from "@pothos/plugin-relay";
import { filter, map, pipe } from "graphql-yoga";
import type { Viewer } from "../../context.ts";
import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import {
  type AvailabilityChangedEvent,
  type BookingUpdateEvent,
  subscribeLatest,
} from "../../realtime/pubsub.ts";
import {
  type BookingRequestView,
  bookingRequestsOf,
  bookingRequestViews,
} from "./booking.repository.ts";

/**
 * Booking requests between nodes as the hub relays them, for the teams of both sides: the
 * requests where a fabrique is requester or owner, and live updates of them and of resources'
 * availability. Ids here are the records' own ids, as the sync contract carries them (a
 * resource's global id is accepted too where one is passed in).
 */

export const BookingKindEnum = builder.enumType("BookingKind", { values: BOOKING_KINDS });
export const BookingRequestStatusEnum = builder.enumType("BookingRequestStatus", {
  values: ["PENDING", ...DECISION_STATUSES] as const,
  description: "PENDING until the resource's owner decides.",
});
export const LoanStatusEnum = builder.enumType("LoanStatus", { values: LOAN_STATUSES });

type Loan = NonNullable<BookingUpdateEvent["loan"]>;
const instant = (value: string | null) => (value === null ? null : new Date(value));

const LoanStateRef = builder.objectRef<Loan>("LoanState").implement({
  description: "Where a loan stands, as the resource's owner last said.",
  fields: (t) => ({
    status: t.field({ type: LoanStatusEnum, resolve: (l) => l.status as LoanStatus }),
    holderSpaceId: t.exposeID("holderSpaceId", {
      description: "The space that holds the resource now",
    }),
    checkedOutAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (l) => instant(l.checkedOutAt),
    }),
    returnedAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (l) => instant(l.returnedAt),
    }),
  }),
});

/** The member's pseudonymous id is for the fabriques' teams only, never the national body. */
function memberIdFor(viewer: Viewer | null, forMemberId: string | null): string | null {
  return viewer?.role === "FABRIQUE_ADMIN" ? forMemberId : null;
}

const BookingRequestRef = builder.objectRef<BookingRequestView>("BookingRequest").implement({
  description:
    "A request from one node for another node's resource, and the owner's answer (same id).",
  fields: (t) => ({
    id: t.id({ resolve: (e) => e.requestId }),
    resourceId: t.id({ resolve: (e) => e.resourceId }),
    kind: t.field({ type: BookingKindEnum, resolve: (e) => e.kind as BookingKind }),
    status: t.field({
      type: BookingRequestStatusEnum,
      resolve: (e) => e.status as "PENDING" | DecisionStatus,
    }),
    reason: t.string({ nullable: true, resolve: (e) => e.reason }),
    reasonCode: t.string({
      nullable: true,
      description: "A documented error code when declined or cancelled",
      resolve: (e) => e.reasonCode,
    }),
    startsAt: t.field({ type: "DateTime", resolve: (e) => new Date(e.startsAt) }),
    endsAt: t.field({ type: "DateTime", resolve: (e) => new Date(e.endsAt) }),
    forMemberId: t.id({
      nullable: true,
      description: "The member it is for (pseudonymous id); null for the national body",
      resolve: (e, _args, ctx) => memberIdFor(ctx.viewer, e.forMemberId),
    }),
    forSpaceId: t.id({
      nullable: true,
      description: "The space it is for; for a loan, where the resource goes",
      resolve: (e) => e.forSpaceId,
    }),
    requesterFabriqueId: t.id({
      description: "The fabrique whose network asked",
      resolve: (e) => e.requesterFabriqueId,
    }),
    ownerFabriqueId: t.id({
      description: "The fabrique whose network owns the resource",
      resolve: (e) => e.ownerFabriqueId,
    }),
    requesterNodeId: t.id({
      description: "The node that asked",
      resolve: (e) => e.requesterNodeId,
    }),
    ownerNodeId: t.id({
      description: "The node that owns the resource and decides",
      resolve: (e) => e.ownerNodeId,
    }),
    loan: t.field({ type: LoanStateRef, nullable: true, resolve: (e) => e.loan }),
    cancelled: t.exposeBoolean("cancelled", { description: "Withdrawn by the requester" }),
    bookingId: t.exposeID("bookingId", {
      nullable: true,
      description: "The booking the owner made of it (CONFIRMED)",
    }),
    createdAt: t.field({
      type: "DateTime",
      description: "When the requester made it",
      resolve: (r) => new Date(r.requestedAt),
    }),
    decidedAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (r) => instant(r.decidedAt),
    }),
    updatedAt: t.field({ type: "DateTime", resolve: (e) => new Date(e.updatedAt) }),
  }),
});

const BookingUpdateRef = builder.objectRef<BookingUpdateEvent>("BookingUpdate").implement({
  description:
    "A booking request created, withdrawn or decided (the hub relays requests, not bookings: `request` is always set here).",
  fields: (t) => ({
    resourceId: t.id({ resolve: (e) => e.resourceId }),
    request: t.field({ type: BookingRequestRef, nullable: true, resolve: (e) => e }),
  }),
});

const AvailabilityChangeRef = builder
  .objectRef<AvailabilityChangedEvent>("ResourceAvailabilityChange")
  .implement({
    description:
      "A resource's availability changed over [startsAt, endsAt): a booking or loan of it. Both null when the change is not limited to a range: its windows, closures or status changed, or it moved to another node.",
    fields: (t) => ({
      resourceId: t.exposeID("resourceId"),
      startsAt: t.field({ type: "DateTime", nullable: true, resolve: (e) => instant(e.from) }),
      endsAt: t.field({ type: "DateTime", nullable: true, resolve: (e) => instant(e.to) }),
      updatedAt: t.field({ type: "DateTime", resolve: (e) => new Date(e.updatedAt) }),
    }),
  });

/** NATIONAL sees every request (without member); a fabrique's team, those of its side. */
export function canSeeBookingUpdate(
  viewer: Viewer | null,
  e: Pick<BookingUpdateEvent, "requesterFabriqueId" | "ownerFabriqueId">,
): boolean {
  if (viewer?.role === "NATIONAL") return true;
  return (
    viewer?.role === "FABRIQUE_ADMIN" &&
    (viewer.fabriqueId === e.requesterFabriqueId || viewer.fabriqueId === e.ownerFabriqueId)
  );
}

/** The resources a caller may see: NATIONAL the national offer; a team, all but others' LOCAL. */
export function canSeeResourceOf(
  viewer: Viewer | null,
  e: Pick<AvailabilityChangedEvent, "sharingScope" | "networkId">,
): boolean {
  if (viewer?.role === "NATIONAL") return e.sharingScope === "NATIONAL";
  return (
    viewer?.role === "FABRIQUE_ADMIN" &&
    (e.sharingScope !== "LOCAL" || e.networkId === viewer.fabriqueId)
  );
}

/** A record's own id, given as it is or as a Relay global id of `typename`. */
function ownId(id: string, typename: string): string {
  const decoded = Buffer.from(id, "base64").toString();
  const prefix = `${typename}:`;
  return decoded.startsWith(prefix) && Buffer.from(decoded).toString("base64") === id
    ? decoded.slice(prefix.length)
    : id;
}

const teams = { anyFabriqueAdmin: true } as const;
const teamsAndNation = { national: true, anyFabriqueAdmin: true } as const;

builder.queryFields((t) => ({
  bookingRequests: t.connection(
    {
      type: BookingRequestRef,
      authScopes: teams,
      description:
        "Booking requests where the caller's fabrique is the requester or the owner, newest first (50 a page by default, 500 at most).",
      args: { status: t.arg({ type: BookingRequestStatusEnum }) },
      resolve: (_parent, args, ctx) => {
        const fabriqueId = viewerOf(ctx).fabriqueId ?? "";
        return resolveCursorConnection<Promise<BookingRequestView[]>>(
          { args, toCursor: (r) => r.requestId, defaultSize: 50, maxSize: 500 },
          ({ after, before, limit, inverted }) =>
            bookingRequestsOf(ctx.store, fabriqueId, {
              status: args.status ?? null,
              after: after ?? null,
              before: before ?? null,
              limit,
              inverted,
            }),
        );
      },
    },
    { name: "BookingRequestConnection" },
    { name: "BookingRequestEdge" },
  ),
  bookingRequest: t.field({
    type: BookingRequestRef,
    authScopes: teams,
    description:
      "A request where the caller's fabrique is the requester or the owner; NOT_FOUND otherwise.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_parent, args, ctx) => {
      const [request] = await bookingRequestViews(ctx.store, [String(args.id)]);
      if (!request || !canSeeBookingUpdate(viewerOf(ctx), request)) {
        throw new MaillageError("NOT_FOUND", "no such booking request", { id: args.id });
      }
      return request;
    },
  }),
}));

builder.subscriptionFields((t) => ({
  bookingUpdated: t.field({
    type: BookingUpdateRef,
    authScopes: teamsAndNation,
    description:
      "Booking requests created, withdrawn or decided: a fabrique's team gets those of its side (requester or owner), the national body all of them without member ids.",
    subscribe: (_parent, _args, ctx) =>
      pipe(
        subscribeLatest(ctx.pubsub, "booking:updated", 256),
        filter((e) => canSeeBookingUpdate(ctx.viewer, e)),
        map((e) => ({ ...e, forMemberId: memberIdFor(ctx.viewer, e.forMemberId) })),
      ),
    resolve: (e) => e,
  }),
  resourceAvailabilityChanged: t.field({
    type: AvailabilityChangeRef,
    authScopes: teamsAndNation,
    description:
      "A visible resource's availability changed: a booking of it, or its windows, closures or status. `resourceId` follows one resource.",
    args: { resourceId: t.arg.id({ description: "Only this resource" }) },
    subscribe: (_parent, args, ctx) => {
      const only = args.resourceId == null ? null : ownId(String(args.resourceId), "Resource");
      return pipe(
        subscribeLatest(ctx.pubsub, "resource:availability", 256),
        filter((e) => (only === null || e.resourceId === only) && canSeeResourceOf(ctx.viewer, e)),
      );
    },
    resolve: (e) => e,
  }),
}));
