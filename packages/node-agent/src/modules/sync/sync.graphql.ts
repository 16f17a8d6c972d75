import { builder } from "../../graphql/builder.ts";
import type { HubConnection, PoisonedChange, SyncStatus } from "../../sync/status.ts";

const PoisonedChangeRef = builder.objectRef<PoisonedChange>("PoisonedChange").implement({
  description:
    "An outbox event the hub refused. It blocks the outbox until its record changes again (the new state replaces it) or an operator retries it.",
  fields: (t) => ({
    seq: t.exposeInt("seq"),
    code: t.exposeString("code", { description: "The hub's documented error code" }),
    message: t.exposeString("message"),
    entity: t.exposeString("entity"),
    entityId: t.exposeID("entityId"),
  }),
});

const SyncStatusRef = builder.objectRef<SyncStatus>("SyncStatus").implement({
  description: "The state of this node's replication with the hub.",
  authScopes: { fabriqueAdmin: true },
  fields: (t) => ({
    nodeId: t.exposeID("nodeId"),
    fabriqueId: t.exposeID("fabriqueId"),
    outboxPending: t.exposeInt("outboxPending", {
      description: "Events not yet applied at the hub",
    }),
    oldestPendingAt: t.expose("oldestPendingAt", { type: "DateTime", nullable: true }),
    lastPushAt: t.expose("lastPushAt", { type: "DateTime", nullable: true }),
    lastPullAt: t.expose("lastPullAt", { type: "DateTime", nullable: true }),
    pullCursor: t.exposeString("pullCursor", { description: "Offset in the hub's log" }),
    hubReachable: t.exposeBoolean("hubReachable", {
      nullable: true,
      description: "Null until the first exchange with the hub",
    }),
    lagSeconds: t.exposeInt("lagSeconds", {
      description: "Age of the oldest event still waiting (0 when none)",
    }),
    poisoned: t.field({ type: PoisonedChangeRef, nullable: true, resolve: (s) => s.poisoned }),
    lastError: t.exposeString("lastError", { nullable: true }),
    lastErrorAt: t.expose("lastErrorAt", { type: "DateTime", nullable: true }),
  }),
});

const HubConnectionRef = builder.objectRef<HubConnection>("HubConnection").implement({
  description:
    "Whether this agent reaches the hub, for every signed-in user of its console: the work done here goes on either way and is sent when the hub is back. The operational detail is in syncStatus (the fabrique's team).",
  fields: (t) => ({
    hubReachable: t.exposeBoolean("hubReachable", {
      nullable: true,
      description: "Null until the first exchange with the hub",
    }),
    outboxPending: t.exposeInt("outboxPending", {
      description: "Changes made here not yet applied at the hub",
    }),
    lastExchangeAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "The latest push or pull that reached the hub",
      resolve: (s) => {
        const times = [s.lastPushAt, s.lastPullAt].filter((d): d is string => d !== null).sort();
        return times.at(-1) ?? null;
      },
    }),
  }),
});

builder.queryFields((t) => ({
  hubConnection: t.field({
    type: HubConnectionRef,
    authScopes: { authenticated: true },
    description:
      "Whether this agent reaches the hub right now, and how many changes wait to be sent (any signed-in role).",
    resolve: (_parent, _args, ctx) => ctx.sync.connection(),
  }),
  syncStatus: t.field({
    type: SyncStatusRef,
    authScopes: { fabriqueAdmin: true },
    resolve: (_parent, _args, ctx) => ctx.sync.status(),
  }),
}));

builder.mutationFields((t) => ({
  retryPoisonedChange: t.field({
    type: SyncStatusRef,
    description:
      "Sends a refused event again as it is, once its cause was fixed at the hub. NOT_FOUND when that seq is not a refused event.",
    authScopes: { fabriqueAdmin: true },
    args: { seq: t.arg.int({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.sync.retryPoisoned(args.seq),
  }),
}));
