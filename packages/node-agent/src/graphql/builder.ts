import { MaillageError } from "@maillage/schema";
import SchemaBuilder from "@pothos/core";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type { Context } from "../context.ts";

/**
 * Plugins and configuration only; the types live in modules/<domain>/*.graphql.ts and
 * graphql/schema.ts assembles them.
 *
 * Scopes (checked on every root field and on every object through scope-auth):
 * - `authenticated`: any valid agent token;
 * - `fabriqueAdmin`: the fabrique's team, the whole local network;
 * - `satellite`: any satellite's token (the services narrow it to its own space);
 * - `ownSpace(spaceId)`: the token of that one satellite.
 * Ids are the raw ids the sync payloads use (no Relay global ids at the agent).
 */
type Types = {
  Context: Context;
  AuthScopes: {
    authenticated: boolean;
    fabriqueAdmin: boolean;
    satellite: boolean;
    ownSpace: string;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
  };
  DefaultFieldNullability: false;
};

/**
 * In a program that also type-checks the hub (the CLI, cross-package tests), the hub's Prisma
 * plugin declares its `prisma` option on every builder; this one loads no such plugin.
 */
type Options = ConstructorParameters<typeof SchemaBuilder<Types>>[0];

const options = {
  plugins: [ScopeAuthPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({
      authenticated: ctx.viewer !== null,
      fabriqueAdmin: ctx.viewer?.role === "FABRIQUE_ADMIN",
      satellite: ctx.viewer?.role === "SATELLITE",
      ownSpace: (spaceId) => ctx.viewer?.role === "SATELLITE" && ctx.viewer.spaceId === spaceId,
    }),
    unauthorizedError: (_parent, context, _info, result) =>
      context.viewer === null
        ? new MaillageError("UNAUTHENTICATED", "a valid bearer token is required")
        : new MaillageError("FORBIDDEN", result.message),
  },
} satisfies Omit<Options, "prisma">;

export const builder = new SchemaBuilder<Types>(options as Omit<Options, "prisma"> as Options);
