import { requireId } from "@maillage/schema";
import { filter, pipe } from "graphql-yoga";
import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { loadOncePerEvent } from "../../realtime/fanout.ts";
import { subscribeLatest } from "../../realtime/pubsub.ts";
import { type Liveness, livenessOf, ONLINE_WITHIN_MS, STALE_WITHIN_MS } from "./liveness.ts";

/** The same thresholds as livenessOf, as a query filter. */
function livenessWhere(liveness: Liveness) {
  const online = new Date(Date.now() - ONLINE_WITHIN_MS);
  const stale = new Date(Date.now() - STALE_WITHIN_MS);
  if (liveness === "ONLINE") return { lastSeenAt: { gte: online } };
  if (liveness === "STALE") return { lastSeenAt: { lt: online, gte: stale } };
  return { OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: stale } }] };
}

const LivenessEnum = builder.enumType("NodeLiveness", {
  values: ["ONLINE", "STALE", "SILENT"] as const,
});

export const NodeStatusEnum = builder.enumType("NodeStatus", {
  values: ["ACTIVE", "REVOKED"] as const,
});

export const NodeAgentRef = builder.prismaNode("Node", {
  // "Node" is the Relay interface; the GraphQL type of a node agent is NodeAgent.
  name: "NodeAgent",
  id: { field: "id" },
  description: "The node agent a fabrique runs for its local network.",
  select: { fabriqueId: true },
  authScopes: (node, ctx) =>
    ctx.viewer?.role === "NATIONAL" ||
    (ctx.viewer?.role === "FABRIQUE_ADMIN" && ctx.viewer.fabriqueId === node.fabriqueId),
  fields: (t) => ({
    fabrique: t.relation("fabrique"),
    status: t.expose("status", { type: NodeStatusEnum }),
    publicKey: t.expose("publicKey", { type: "JSON", description: "Ed25519 public key (JWK)" }),
    lastSeenAt: t.expose("lastSeenAt", { type: "DateTime", nullable: true }),
    enrolledAt: t.expose("createdAt", { type: "DateTime" }),
    liveness: t.field({
      type: LivenessEnum,
      description:
        "ONLINE: heard from within 2 minutes; STALE: within 24 hours; SILENT: longer or never",
      select: { lastSeenAt: true },
      resolve: (node) => livenessOf(node.lastSeenAt),
    }),
    pushedSeq: t.exposeInt("pushedSeq", {
      description: "Highest seq of the node applied at the hub",
    }),
    pending: t.exposeInt("pendingEstimate", {
      description: "Events waiting in the node's outbox, as it reported at its last push",
    }),
    lagSeconds: t.int({
      description: "Age of the oldest change still waiting at the node (0 when none is)",
      select: { pendingEstimate: true, oldestPendingAt: true },
      resolve: (node) =>
        node.pendingEstimate > 0 && node.oldestPendingAt
          ? Math.max(0, Math.round((Date.now() - node.oldestPendingAt.getTime()) / 1000))
          : 0,
    }),
    lastPushAt: t.expose("lastPushAt", { type: "DateTime", nullable: true }),
    lastPullAt: t.expose("lastPullAt", { type: "DateTime", nullable: true }),
  }),
});

builder.queryFields((t) => ({
  nodes: t.prismaField({
    type: ["Node"],
    authScopes: { national: true, anyFabriqueAdmin: true },
    description: "Node agents visible to the caller (a fabrique's team sees its own), by fabrique.",
    args: { liveness: t.arg({ type: LivenessEnum }) },
    resolve: async (query, _parent, args, ctx) => {
      const viewer = viewerOf(ctx);
      return ctx.prisma.node.findMany({
        ...query,
        where: {
          ...(viewer.role === "NATIONAL" ? {} : { fabriqueId: viewer.fabriqueId ?? "" }),
          ...(args.liveness ? livenessWhere(args.liveness) : {}),
        },
        orderBy: { fabriqueId: "asc" },
      });
    },
  }),
}));

const NodeStatusChangedRef = builder
  .objectRef<{ nodeId: string; status: string; previous: string }>("NodeStatusChanged")
  .implement({
    fields: (t) => ({
      liveness: t.field({ type: LivenessEnum, resolve: (e) => e.status as Liveness }),
      previous: t.field({ type: LivenessEnum, resolve: (e) => e.previous as Liveness }),
      node: t.prismaField({
        type: "Node",
        // Read once per event and selection for every subscriber of this replica.
        resolve: (query, e, _args, ctx) =>
          loadOncePerEvent(e, JSON.stringify(query), () =>
            ctx.prisma.node.findUniqueOrThrow({ ...query, where: { id: e.nodeId } }),
          ),
      }),
    }),
  });

builder.subscriptionFields((t) => ({
  nodeStatusChanged: t.field({
    type: NodeStatusChangedRef,
    authScopes: { national: true, anyFabriqueAdmin: true },
    description: "A node went ONLINE, STALE or SILENT (a fabrique's team hears of its own node).",
    subscribe: (_parent, _args, ctx) =>
      pipe(
        subscribeLatest(ctx.pubsub, "node:status", 256),
        filter((e) => ctx.viewer?.role === "NATIONAL" || ctx.viewer?.fabriqueId === e.fabriqueId),
      ),
    resolve: (e) => e,
  }),
}));

const EnrolmentCodeRef = builder
  .objectRef<{ code: string; expiresAt: Date; fabriqueId: string }>("EnrolmentCode")
  .implement({
    description: "A one-time code for a fabrique's future node agent. Shown once.",
    fields: (t) => ({
      code: t.exposeString("code"),
      expiresAt: t.expose("expiresAt", { type: "DateTime" }),
      fabrique: t.prismaField({
        type: "Space",
        resolve: (query, code, _args, ctx) =>
          ctx.prisma.space.findUniqueOrThrow({ ...query, where: { id: code.fabriqueId } }),
      }),
    }),
  });

const NodeEnrolmentRef = builder
  .objectRef<{ nodeId: string; fabriqueId: string; fabriqueName: string }>("NodeEnrolment")
  .implement({
    description:
      "What an enrolled agent needs to know: its node id and its fabrique. (A member's place in a training is an Enrolment.)",
    fields: (t) => ({
      nodeId: t.exposeID("nodeId", { description: "The node's id, the `iss` of its tokens" }),
      fabriqueId: t.id({ resolve: (e) => e.fabriqueId }),
      fabriqueName: t.exposeString("fabriqueName"),
    }),
  });

const PublicKeyInput = builder.inputType("Ed25519PublicKeyInput", {
  fields: (t) => ({
    kty: t.string({ required: true, description: '"OKP"' }),
    crv: t.string({ required: true, description: '"Ed25519"' }),
    x: t.string({ required: true, description: "base64url public key" }),
  }),
});

builder.mutationFields((t) => ({
  createEnrolmentCode: t.field({
    type: EnrolmentCodeRef,
    description: "Issues a one-time code (default validity 24 h) for the fabrique's node agent.",
    args: {
      fabriqueId: t.arg.id({ required: true }),
      ttlHours: t.arg.int({ description: "Validity in hours, 1 to 336 (default 24)" }),
    },
    authScopes: (_parent, args) => ({
      national: true,
      fabriqueAdmin: requireId(String(args.fabriqueId), "fabriqueId"),
    }),
    resolve: (_parent, args, ctx) =>
      ctx.enrolmentService.createCode(
        viewerOf(ctx),
        requireId(String(args.fabriqueId), "fabriqueId"),
        args.ttlHours ?? undefined,
      ),
  }),
  enrolNode: t.field({
    type: NodeEnrolmentRef,
    description:
      "Called by a node agent with its one-time code and public key. Needs no token: the code is the credential.",
    args: {
      code: t.arg.string({ required: true }),
      publicKey: t.arg({ type: PublicKeyInput, required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.enrolmentService.enrol({ code: args.code, publicKey: { ...args.publicKey } }),
  }),
}));
