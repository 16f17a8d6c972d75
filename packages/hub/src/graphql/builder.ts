import { MaillageError } from "@maillage/schema";
import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type { Context } from "../context.ts";
import type PrismaTypes from "../generated/pothos-types.ts";
import { getDatamodel } from "../generated/pothos-types.ts";

/**
 * Plugins and configuration only; the types live in modules/<domain>/*.graphql.ts and
 * graphql/schema.ts assembles them.
 *
 * Scopes (checked on every field through scope-auth, and on subscribe):
 * - `authenticated`: any valid token;
 * - `national`: the national body, reads the whole network (there is no personal data at
 *   the hub to hide from it);
 * - `fabriqueAdmin(fabriqueId)`: the team of that fabrique, for its own network only.
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    authenticated: boolean;
    national: boolean;
    fabriqueAdmin: string;
    anyFabriqueAdmin: boolean;
    /** A node agent, authenticated by a token signed with its own key. */
    node: boolean;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      authenticated: ctx.viewer !== null,
      national: ctx.viewer?.role === "NATIONAL",
      anyFabriqueAdmin: ctx.viewer?.role === "FABRIQUE_ADMIN",
      node: ctx.viewer?.role === "NODE",
      fabriqueAdmin: (fabriqueId) =>
        ctx.viewer?.role === "FABRIQUE_ADMIN" && ctx.viewer.fabriqueId === fabriqueId,
    }),
    unauthorizedError: (_parent, context, _info, result) =>
      context.viewer === null
        ? new MaillageError("UNAUTHENTICATED", "a valid bearer token is required")
        : new MaillageError("FORBIDDEN", result.message),
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    defaultConnectionSize: 50,
    maxConnectionSize: 500,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    // One id per record everywhere (hub, agents, CLI, sync): the raw ULID, unique across
    // types, so it is a valid Relay global id as it is. Inputs also take the old
    // base64("<Type>:<id>") form (parseId in the contract). `node(id)` is graphql/node-query.ts.
    encodeGlobalID: (_typename, id) => String(id),
    decodeGlobalID: (globalID) => {
      throw new MaillageError("BAD_USER_INPUT", `unexpected global id ${globalID}`);
    },
    nodeQueryOptions: false,
    // `nodes` is the node agents' list (liveness); Relay's plural lookup is not needed.
    nodesQueryOptions: false,
  },
});
