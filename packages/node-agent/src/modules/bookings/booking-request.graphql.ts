import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { BookingKindEnum, LoanStateRef, REFUSALS } from "../resources/resource.graphql.ts";
import { canSeeBooking } from "../resources/resource.service.ts";
import {
  type BookingRequestRecord,
  REQUEST_DIRECTIONS,
  REQUEST_STATUSES,
} from "./booking-request.repository.ts";

/** Booking requests between nodes in GraphQL: see booking-request.service.ts for the rules. */

const RequestDirectionEnum = builder.enumType("RequestDirection", {
  description:
    "OUTGOING: made here for another node's resource; INCOMING: another node's, for a resource of this node (this node decides).",
  values: REQUEST_DIRECTIONS,
});
const RequestStatusEnum = builder.enumType("BookingRequestStatus", {
  description:
    "PENDING until the owner decides (also while it is offline), then CONFIRMED or DECLINED; CANCELLED when withdrawn by the requester or cancelled by the owner.",
  values: REQUEST_STATUSES,
});

export const BookingRequestRef = builder
  .objectRef<BookingRequestRecord>("BookingRequest")
  .implement({
    description:
      "A request to book or borrow a resource owned by another node; the owner's decision is copied onto it when it arrives.",
    authScopes: (request, ctx) => ctx.viewer !== null && canSeeBooking(ctx.viewer, request),
    fields: (t) => ({
      id: t.exposeID("id"),
      direction: t.expose("direction", { type: RequestDirectionEnum }),
      resourceId: t.exposeID("resourceId"),
      kind: t.expose("kind", { type: BookingKindEnum }),
      startsAt: t.field({ type: "DateTime", resolve: (r) => r.from }),
      endsAt: t.field({ type: "DateTime", description: "Excluded", resolve: (r) => r.to }),
      forMemberId: t.id({
        nullable: true,
        description: "The member it is for (pseudonymous id)",
        resolve: (r) => r.forMember,
      }),
      forSpaceId: t.id({
        nullable: true,
        description: "The space it is for; for a loan, where the resource goes",
        resolve: (r) => r.forSpace,
      }),
      requesterNodeId: t.exposeID("requesterNodeId", { description: "The node that asked" }),
      ownerNodeId: t.id({
        description: "The node that owns the resource and decides",
        resolve: (r, _args, ctx) => {
          const owner = r.direction === "INCOMING" ? ctx.identity.nodeId : r.ownerNodeId;
          // An outgoing request names its resource's owner, known from the replica.
          if (owner === null) throw new Error(`request ${r.id} without an owner node`);
          return owner;
        },
      }),
      status: t.expose("status", { type: RequestStatusEnum }),
      reason: t.exposeString("reason", {
        nullable: true,
        description: "Why it was declined or cancelled, in words",
      }),
      reasonCode: t.exposeString("reasonCode", {
        nullable: true,
        description:
          "A documented error code (SLOT_TAKEN, CREDENTIAL_REQUIRED, RESOURCE_ON_LOAN, BOOKING_RULE_VIOLATION, RESOURCE_NOT_AVAILABLE, RESOURCE_NOT_SHARED…) or DECLINED_BY_OWNER, CANCELLED_BY_OWNER, CANCELLED_BY_REQUESTER",
      }),
      bookingId: t.exposeID("bookingId", {
        nullable: true,
        description: "The owner's booking (or loan) it became",
      }),
      loan: t.field({
        type: LoanStateRef,
        nullable: true,
        description: "For a confirmed loan: its state and holder, as the owner last reported",
        resolve: (r) => r.loan,
      }),
      decidedAt: t.expose("decidedAt", { type: "DateTime", nullable: true }),
      createdAt: t.expose("createdAt", {
        type: "DateTime",
        description: "When the requester made it",
      }),
      updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    }),
  });

const CHECKED_HERE =
  "Checked here first against the replica: RESOURCE_NOT_AVAILABLE, BOOKING_RULE_VIOLATION (duration, lead time, windows; NOT_MOVABLE for a loan), CREDENTIAL_REQUIRED (extensions.credential), NOT_FOUND (unknown here: another network's LOCAL resource is never known here), FORBIDDEN (a satellite for another space; a member or space outside this network), BAD_USER_INPUT (reason OWNED_HERE: this node's own resource, use book or lend). Then stored PENDING and sent to the owner, hub up or down; the owner decides (its rules, or a person) and the decision comes back.";

builder.queryFields((t) => ({
  bookingRequests: t.field({
    type: [BookingRequestRef],
    description:
      "Booking requests, oldest first: all for the fabrique's team, those for its space for a satellite, a member's own for a member.",
    authScopes: { authenticated: true },
    args: {
      direction: t.arg({ type: RequestDirectionEnum }),
      status: t.arg({ type: RequestStatusEnum }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.bookingRequests.list(viewerOf(ctx), {
        direction: args.direction ?? null,
        status: args.status ?? null,
      }),
  }),
}));

builder.mutationFields((t) => ({
  requestBooking: t.field({
    type: BookingRequestRef,
    description: `Asks another node's resource for [startsAt, endsAt), for a member homed in this network or a space of it (exactly one of forMemberId and forSpaceId): the fabrique's team, or a satellite for its own space. ${CHECKED_HERE}`,
    authScopes: (_parent, args) =>
      args.forSpaceId == null
        ? { fabriqueAdmin: true }
        : { fabriqueAdmin: true, ownSpace: String(args.forSpaceId) },
    args: {
      resourceId: t.arg.id({ required: true }),
      startsAt: t.arg({ type: "DateTime", required: true }),
      endsAt: t.arg({ type: "DateTime", required: true }),
      forMemberId: t.arg.id(),
      forSpaceId: t.arg.id(),
    },
    resolve: (_parent, args, ctx) =>
      ctx.bookingRequests.requestBooking(viewerOf(ctx), {
        resourceId: String(args.resourceId),
        startsAt: args.startsAt,
        endsAt: args.endsAt,
        ...(args.forMemberId == null ? {} : { forMemberId: String(args.forMemberId) }),
        ...(args.forSpaceId == null ? {} : { forSpaceId: String(args.forSpaceId) }),
      }),
  }),
  requestLoan: t.field({
    type: BookingRequestRef,
    description: `Asks to borrow another node's movable resource: it goes to toSpaceId (a space of this network) for [startsAt, endsAt). ${CHECKED_HERE}`,
    authScopes: (_parent, args) => ({ fabriqueAdmin: true, ownSpace: String(args.toSpaceId) }),
    args: {
      resourceId: t.arg.id({ required: true }),
      toSpaceId: t.arg.id({ required: true }),
      startsAt: t.arg({ type: "DateTime", required: true }),
      endsAt: t.arg({ type: "DateTime", required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.bookingRequests.requestLoan(viewerOf(ctx), {
        resourceId: String(args.resourceId),
        toSpaceId: String(args.toSpaceId),
        startsAt: args.startsAt,
        endsAt: args.endsAt,
      }),
  }),
  cancelBookingRequest: t.field({
    type: BookingRequestRef,
    description:
      "Withdraws a request this node made: PENDING → CANCELLED at once; CONFIRMED → CANCELLED until the resource's cancellation deadline (CANCEL_DEADLINE_PASSED after, nothing written), and the owner frees the slot when the withdrawal reaches it. INVALID_TRANSITION when already declined or cancelled, or a loan handed over; FORBIDDEN for an incoming request (the owner uses cancelBooking).",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.bookingRequests.cancel(viewerOf(ctx), String(args.id)),
  }),
  decideBookingRequest: t.field({
    type: BookingRequestRef,
    description: `Decides an incoming PENDING request for a resource of this node (the fabrique's team; the way for resources with approvalRequired). accept: true re-checks every rule and books (a refusal is the error, nothing written: ${REFUSALS}); accept: false declines (reasonCode DECLINED_BY_OWNER, reason as given). NOT_FOUND for an unknown request, FORBIDDEN for a request this node made (its resource's owner decides), INVALID_TRANSITION once decided (extensions.status).`,
    authScopes: { fabriqueAdmin: true },
    args: {
      id: t.arg.id({ required: true }),
      accept: t.arg.boolean({ required: true }),
      reason: t.arg.string({ description: "Told to the requester when declining" }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.bookingRequests.decide(viewerOf(ctx), {
        id: String(args.id),
        accept: args.accept,
        reason: args.reason ?? null,
      }),
  }),
}));
