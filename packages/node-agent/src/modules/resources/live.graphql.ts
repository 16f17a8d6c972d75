import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { BookingRequestRef } from "../bookings/booking-request.graphql.ts";
import { type AvailabilityChange, type BookingUpdate, canSeeUpdate, untilExpiry } from "./live.ts";
import { BookingRef } from "./resource.graphql.ts";

/** Live updates at the agent (over SSE on /graphql, `Accept: text/event-stream`). */

const BookingUpdateRef = builder.objectRef<BookingUpdate>("BookingUpdate").implement({
  description: "A booking, loan or booking request of this agent changed: one of them is set.",
  fields: (t) => ({
    resourceId: t.exposeID("resourceId"),
    booking: t.field({ type: BookingRef, nullable: true, resolve: (u) => u.booking }),
    request: t.field({ type: BookingRequestRef, nullable: true, resolve: (u) => u.request }),
  }),
});

const AvailabilityChangeRef = builder
  .objectRef<AvailabilityChange>("ResourceAvailabilityChange")
  .implement({
    description:
      "A resource's availability changed over [startsAt, endsAt): a booking or loan of it. Both null when the change is not limited to a range: its windows, closures or status changed, or its replica came, went or changed owner.",
    fields: (t) => ({
      resourceId: t.exposeID("resourceId"),
      startsAt: t.field({ type: "DateTime", nullable: true, resolve: (c) => c.from }),
      endsAt: t.field({ type: "DateTime", nullable: true, resolve: (c) => c.to }),
      updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    }),
  });

builder.subscriptionFields((t) => ({
  bookingUpdated: t.field({
    type: BookingUpdateRef,
    description:
      "Every change of a booking, loan or request of this agent, local or brought by a pull (decisions, incoming requests): the fabrique's team sees all, a satellite those for its space, a member its own. Ends when the token expires.",
    authScopes: { authenticated: true },
    subscribe: (_parent, _args, ctx) => {
      const viewer = viewerOf(ctx);
      return untilExpiry(ctx.pubsub.subscribe("bookingUpdated"), viewer.exp, (update) =>
        canSeeUpdate(viewer, update),
      );
    },
    resolve: (update) => update,
  }),
  resourceAvailabilityChanged: t.field({
    type: AvailabilityChangeRef,
    description:
      "The availability of a resource (this node's or a replica) changed: query resourceAvailability again. `resourceId` follows one resource; without it, every resource known here. Any token of this agent. Ends when the token expires.",
    authScopes: { authenticated: true },
    args: { resourceId: t.arg.id({ description: "Only this resource" }) },
    subscribe: (_parent, args, ctx) => {
      const viewer = viewerOf(ctx);
      const only = args.resourceId == null ? null : String(args.resourceId);
      return untilExpiry(
        ctx.pubsub.subscribe("resourceAvailabilityChanged"),
        viewer.exp,
        (change) => only === null || change.resourceId === only,
      );
    },
    resolve: (change) => change,
  }),
}));
