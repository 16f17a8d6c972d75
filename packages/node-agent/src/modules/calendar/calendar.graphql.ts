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
    "A read-only iCalendar feed of a resource's or a space's confirmed bookings, at /calendar/<id>.ics?token=<secret>. The secret is shown once, when the feed is created.",
  authScopes: { fabriqueAdmin: true, satellite: true },
  fields: (t) => ({
    id: t.exposeID("id"),
    target: t.expose("target", { type: CalendarFeedTargetEnum }),
    targetId: t.exposeID("targetId", { description: "The resource's or the space's id" }),
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
      "The calendar feeds the viewer manages, newest first, revoked ones included: all of them for the fabrique's team; a satellite's own space's and its resources' for a satellite. Never a secret.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    resolve: (_parent, _args, ctx) => calendarOf(ctx).listFeeds(viewerOf(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  createCalendarFeed: t.field({
    type: CreatedCalendarFeedRef,
    description:
      "Creates an iCalendar feed of a resource's bookings or of a space's (those of the resources it hosts and those made for it): give exactly one of resourceId and spaceId (BAD_USER_INPUT otherwise). The fabrique's team for any resource or space of its network, a satellite for its own space and the resources it hosts (FORBIDDEN otherwise); NOT_FOUND for an unknown target.",
    authScopes: (_parent, args) =>
      args.spaceId == null
        ? { fabriqueAdmin: true, satellite: true }
        : { fabriqueAdmin: true, ownSpace: String(args.spaceId) },
    args: {
      resourceId: t.arg.id(),
      spaceId: t.arg.id(),
      label: t.arg.string({ description: "The calendar's name (default: the target's)" }),
    },
    resolve: (_parent, args, ctx) => {
      if ((args.resourceId == null) === (args.spaceId == null)) {
        throw new MaillageError("BAD_USER_INPUT", "give exactly one of resourceId and spaceId", {
          field: "resourceId",
        });
      }
      return calendarOf(ctx).createFeed(viewerOf(ctx), {
        ...(args.resourceId == null ? {} : { resourceId: String(args.resourceId) }),
        ...(args.spaceId == null ? {} : { spaceId: String(args.spaceId) }),
        ...(args.label == null ? {} : { label: args.label }),
      });
    },
  }),
  revokeCalendarFeed: t.field({
    type: CalendarFeedRef,
    description:
      "Revokes a calendar feed for good: its URL answers 404 at once. Same rights as creating it; INVALID_TRANSITION if already revoked.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => calendarOf(ctx).revokeFeed(viewerOf(ctx), String(args.id)),
  }),
}));
