import { encodeGlobalID } from "@pothos/plugin-relay";
import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { SpaceRef } from "../spaces/space.graphql.ts";

export const NodeStatusEnum = builder.enumType("NodeStatus", {
  values: ["ACTIVE", "REVOKED"] as const,
});

builder.prismaNode("Node", {
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
  }),
});

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

const EnrolmentRef = builder
  .objectRef<{ nodeId: string; fabriqueId: string; fabriqueName: string }>("Enrolment")
  .implement({
    description: "What an enrolled agent needs to know: its node id and its fabrique.",
    fields: (t) => ({
      nodeId: t.exposeID("nodeId", { description: "The node's id, the `iss` of its tokens" }),
      fabriqueId: t.id({ resolve: (e) => encodeGlobalID("Space", e.fabriqueId) }),
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
      fabriqueId: t.arg.globalID({ required: true, for: SpaceRef }),
      ttlHours: t.arg.int({ description: "Validity in hours, 1 to 336 (default 24)" }),
    },
    authScopes: (_parent, args) => ({ national: true, fabriqueAdmin: args.fabriqueId.id }),
    resolve: (_parent, args, ctx) =>
      ctx.enrolmentService.createCode(
        viewerOf(ctx),
        args.fabriqueId.id,
        args.ttlHours ?? undefined,
      ),
  }),
  enrolNode: t.field({
    type: EnrolmentRef,
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
