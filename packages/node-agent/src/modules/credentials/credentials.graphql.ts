import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import type { OpenBadgeExport } from "./portable-credentials.service.ts";

/** Open Badges 3.0 exports in GraphQL: see portable-credentials.service.ts for the rules. */

type ExportIdentity = NonNullable<OpenBadgeExport["identity"]>;

const OpenBadgeIdentityRef = builder.objectRef<ExportIdentity>("OpenBadgeIdentity").implement({
  description:
    "Added at the member's home node only, never signed nor sent anywhere: the name the credential's IdentityObject hashes, and the salt, so that a verifier re-hashes it (sha256 of name followed by salt).",
  fields: (t) => ({
    identityType: t.exposeString("identityType", { description: "Always `name`" }),
    name: t.exposeString("name", { description: "The member's name, as it is hashed" }),
    salt: t.exposeString("salt"),
    identityHash: t.exposeString("identityHash", {
      description: "The signed IdentityObject.identityHash (`sha256$<hex>`)",
    }),
    matches: t.exposeBoolean("matches", {
      description: "Whether the name and salt give the signed hash (false: the name changed since)",
    }),
  }),
});

const OpenBadgeExportRef = builder.objectRef<OpenBadgeExport>("OpenBadgeExport").implement({
  description:
    "A credential as an Open Badges 3.0 OpenBadgeCredential (W3C VC Data Model 2.0), signed by its issuing node as a VC-JWT (EdDSA, kid = node id): verify it with the node keys at /.well-known/nodes.jwks.json and its revocation at its credentialStatus.statusListCredential.",
  fields: (t) => ({
    credentialId: t.exposeID("credentialId"),
    vcJwt: t.exposeString("vcJwt", {
      description: "The compact JWS (typ vc+jwt, cty vc) exactly as its issuer signed it",
    }),
    credential: t.exposeString("credential", {
      description: "The signed credential, decoded (JSON text)",
    }),
    issuerNodeId: t.exposeID("issuerNodeId", { description: "The node that signed it" }),
    identity: t.field({
      type: OpenBadgeIdentityRef,
      nullable: true,
      description: "Null when the member has no name or the credential hashes none",
      resolve: (e) => e.identity,
    }),
  }),
});

builder.queryFields((t) => ({
  exportOpenBadge: t.field({
    type: OpenBadgeExportRef,
    description:
      "A credential the member holds (issued by any node) as a signed Open Badges 3.0 credential, at the member's home node: the member itself or its home team. NOT_FOUND for an unknown, revoked or unsigned one (or another member's, to a member); FORBIDDEN for a member homed elsewhere.",
    authScopes: { authenticated: true },
    args: { credentialId: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) =>
      ctx.portableCredentials.exportOpenBadge(viewerOf(ctx), String(args.credentialId)),
  }),
}));
