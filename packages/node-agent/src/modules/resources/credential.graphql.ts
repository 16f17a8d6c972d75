import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import type { CredentialRecord } from "./credential.repository.ts";

/** Credentials in GraphQL: see credential.service.ts for the rules. */

const CredentialRef = builder.objectRef<CredentialRecord>("Credential").implement({
  description:
    "A credential a member holds (e.g. a machine's safety training), portable across the network: it may gate resources.",
  authScopes: (c, ctx) =>
    ctx.viewer?.role === "FABRIQUE_ADMIN" ||
    (ctx.viewer?.role === "MEMBER" && ctx.viewer.memberId === c.memberId),
  fields: (t) => ({
    id: t.exposeID("id"),
    memberId: t.exposeID("memberId"),
    type: t.exposeString("type"),
    issuedAt: t.expose("issuedAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "After this instant it no longer counts; null: it does not expire",
    }),
    owned: t.exposeBoolean("owned", {
      description:
        "Issued here (true) or by another node: the member's home node, or a training's organiser (false)",
    }),
    trainingId: t.exposeID("trainingId", {
      nullable: true,
      description:
        "The training whose attendance issued it (its organiser's node issued it); null: granted by a team",
    }),
    signed: t.boolean({
      description:
        "Whether it carries its issuer's signed Open Badges 3.0 credential (then exportOpenBadge gives it, at the member's home)",
      resolve: (c) => c.vc !== null,
    }),
  }),
});

builder.queryFields((t) => ({
  credentials: t.field({
    type: [CredentialRef],
    description: "A member's credentials, granted here or replicated: the team, or the member.",
    authScopes: { authenticated: true },
    args: { memberId: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.credentials.ofMember(viewerOf(ctx), String(args.memberId)),
  }),
}));

builder.mutationFields((t) => ({
  grantCredential: t.field({
    type: CredentialRef,
    description:
      "Grants a credential type to a member homed in this network (the fabrique's team); it travels network-wide by pseudonymous id. NOT_FOUND for an unknown member, FORBIDDEN for another network's, BAD_USER_INPUT for an expiry in the past.",
    authScopes: { fabriqueAdmin: true },
    args: {
      memberId: t.arg.id({ required: true }),
      type: t.arg.string({ required: true }),
      expiresAt: t.arg({ type: "DateTime", description: "Default: it does not expire" }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.credentials.grant(viewerOf(ctx), {
        memberId: String(args.memberId),
        type: args.type,
        expiresAt: args.expiresAt ?? null,
      }),
  }),
  revokeCredential: t.field({
    type: CredentialRef,
    description:
      "Revokes a credential granted here (the fabrique's team): it goes everywhere. NOT_FOUND, or FORBIDDEN for one granted by another node.",
    authScopes: { fabriqueAdmin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.credentials.revoke(viewerOf(ctx), String(args.id)),
  }),
}));
