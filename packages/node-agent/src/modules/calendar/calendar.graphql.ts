import { MaillageError } from "@maillage/schema";
import { type Context, viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { CALENDAR_FEED_TARGETS, type CalendarFeedRecord } from "./calendar.repository.ts";
import { type CalendarService, createCalendarService } from "./calendar.service.ts";

/**
 * The calendar service of a request. It holds no state of its own, so it is built from the
 * context's store and identity (no change to the shared Context needed).
 */
function calendarOf(ctx: Context): CalendarService {
  return createCalendarService({
    store: ctx.store,
    fabriqueId: ctx.identity.fabriqueId,
    fabriqueName: ctx.identity.fabriqueName,
  });
}

const CalendarFeedTargetEnum = builder.enumType("CalendarFeedTarget", {
  values: CALENDAR_FEED_TARGETS,
});

export const CalendarFeedRef = builder.objectRef<CalendarFeedRecord>("CalendarFeed").implement({
  description:
    "A read-only iCalendar feed of a resource's or a space's confirmed bookings (a space's with the trainings held there), or of a member's enrolments in trainings, at /calendar/<id>.ics?token=<secret>. The secret is shown once, when the feed is created.",
  authScopes: { authenticated: true },
  fields: (t) => ({
    id: t.exposeID("id"),
    target: t.expose("target", { type: CalendarFeedTargetEnum }),
    targetId: t.exposeID("targetId", {
      description: "The resource's, the space's or the member's id",
    }),
    label: t.exposeString("label", { nullable: true, description: "The calendar's name" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    revokedAt: t.expose("revokedAt", {
      type: "DateTime",
      nullable: true,
      description: "Set once revoked: the feed's URL answers 404 from then on",
    }),
  }),
});

const CreatedCalendarFeedRef = builder
  .objectRef<{ feed: CalendarFeedRecord; url: string }>("CreatedCalendarFeed")
  .implement({
    fields: (t) => ({
      feed: t.field({ type: CalendarFeedRef, resolve: (r) => r.feed }),
      url: t.exposeString("url", {
        description:
          "The feed's path with its secret, relative to this agent's base URL (/calendar/<id>.ics?token=…). Shown this once: only a hash of the secret is kept.",
      }),
    }),
  });

builder.queryFields((t) => ({
  calendarFeeds: t.field({
    type: [CalendarFeedRef],
    description:
      "The calendar feeds the viewer manages, newest first, revoked ones included: all of them for the fabrique's team; a satellite's own space's and its resources' for a satellite; a member's own enrolment feeds for a member. Never a secret.",
    authScopes: { authenticated: true },
    resolve: (_parent, _args, ctx) => calendarOf(ctx).listFeeds(viewerOf(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  createCalendarFeed: t.field({
    type: CreatedCalendarFeedRef,
    description:
      "Creates an iCalendar feed of a resource's bookings, of a space's (those of the resources it hosts and those made for it, and the trainings held there), or of a member's enrolments in trainings: give exactly one of resourceId, spaceId and memberId (BAD_USER_INPUT otherwise). The fabrique's team for any resource, space or member of its network, a satellite for its own space, the resources it hosts and its members, a member for itself (FORBIDDEN otherwise); NOT_FOUND for an unknown target.",
    authScopes: (_parent, args) =>
      args.memberId != null
        ? { authenticated: true }
        : args.spaceId == null
          ? { fabriqueAdmin: true, satellite: true }
          : { fabriqueAdmin: true, ownSpace: String(args.spaceId) },
    args: {
      resourceId: t.arg.id(),
      spaceId: t.arg.id(),
      memberId: t.arg.id({ description: "A member homed here: a feed of its enrolments" }),
      label: t.arg.string({ description: "The calendar's name (default: the target's)" }),
    },
    resolve: (_parent, args, ctx) => {
      if ([args.resourceId, args.spaceId, args.memberId].filter((a) => a != null).length !== 1) {
        throw new MaillageError(
          "BAD_USER_INPUT",
          "give exactly one of resourceId, spaceId and memberId",
          { field: "resourceId" },
        );
      }
      return calendarOf(ctx).createFeed(viewerOf(ctx), {
        ...(args.resourceId == null ? {} : { resourceId: String(args.resourceId) }),
        ...(args.spaceId == null ? {} : { spaceId: String(args.spaceId) }),
        ...(args.memberId == null ? {} : { memberId: String(args.memberId) }),
        ...(args.label == null ? {} : { label: args.label }),
      });
    },
  }),
  revokeCalendarFeed: t.field({
    type: CalendarFeedRef,
    description:
      "Revokes a calendar feed for good: its URL answers 404 at once. Same rights as creating it; INVALID_TRANSITION if already revoked.",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => calendarOf(ctx).revokeFeed(viewerOf(ctx), String(args.id)),
  }),
}));
