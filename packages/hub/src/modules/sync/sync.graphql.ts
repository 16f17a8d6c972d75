import type { PullResult, PushResult } from "@maillage/schema";
import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";

/**
 * The sync endpoints node agents call (NODE tokens only). Events travel as JSON and are
 * parsed with the contract in packages/schema (sync/change-event.ts, sync/protocol.ts).
 */

const PushRejectionRef = builder
  .objectRef<NonNullable<PushResult["rejected"]>>("PushRejection")
  .implement({
    fields: (t) => ({
      seq: t.exposeInt("seq"),
      code: t.exposeString("code"),
      message: t.exposeString("message"),
    }),
  });

const PushResultRef = builder.objectRef<PushResult>("PushResult").implement({
  description:
    "What the hub applied of a push. Nothing after a gap or a rejected event is applied.",
  fields: (t) => ({
    appliedThrough: t.exposeInt("appliedThrough", {
      description: "Highest seq of this node applied at the hub, contiguous from 1",
    }),
    applied: t.exposeInt("applied"),
    duplicates: t.exposeInt("duplicates"),
    expectedSeq: t.exposeInt("expectedSeq", {
      nullable: true,
      description: "Set on a gap: the seq the hub expects next",
    }),
    rejected: t.field({ type: PushRejectionRef, nullable: true, resolve: (r) => r.rejected }),
  }),
});

const PullResultRef = builder.objectRef<PullResult>("PullResult").implement({
  description: "A page of the hub's log for one node, and the cursor to store with it.",
  fields: (t) => ({
    events: t.field({ type: ["JSON"], resolve: (r) => r.events }),
    cursor: t.exposeString("cursor"),
    hasMore: t.exposeBoolean("hasMore"),
  }),
});

builder.mutationFields((t) => ({
  pushChanges: t.field({
    type: PushResultRef,
    authScopes: { node: true },
    description: "A node pushes its outbox, in seq order (at most 1,000 events).",
    args: {
      events: t.arg({ type: ["JSON"], required: true }),
      pending: t.arg.int({ required: true, description: "Events still waiting in the outbox" }),
      oldestPendingAt: t.arg({
        type: "DateTime",
        description: "occurredAt of the oldest waiting event",
      }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.pushService.push(viewerOf(ctx).sub, args.events, {
        pending: Math.max(0, args.pending),
        oldestPendingAt: args.oldestPendingAt ?? null,
      }),
  }),
}));

builder.queryFields((t) => ({
  pullChanges: t.field({
    type: PullResultRef,
    authScopes: { node: true },
    description: "The hub's log after `after`, as far as it concerns the calling node.",
    args: {
      after: t.arg.string({ required: true, description: 'The stored cursor; "0" at first' }),
      limit: t.arg.int({ required: true, description: "1 to 1,000" }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.pullService.pull(viewerOf(ctx).sub, args.after, args.limit),
  }),
}));

builder.subscriptionFields((t) => ({
  changes: t.field({
    type: PullResultRef,
    authScopes: { node: true },
    description:
      "Follows the hub's log live from `after`; resubscribe from the stored cursor after a drop.",
    args: { after: t.arg.string({ required: true }) },
    subscribe: (_parent, args, ctx) => ctx.pullService.follow(viewerOf(ctx).sub, args.after),
    resolve: (page) => page,
  }),
}));
