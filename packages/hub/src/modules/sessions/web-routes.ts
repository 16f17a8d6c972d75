import {
  createSessionRoutes,
  createWebAppHandler,
  HUB_SESSION_COOKIE,
  type SessionClaims,
  sessionCookieOf,
} from "@maillage/schema";
import type { Plugin } from "graphql-yoga";
import type { KeyRing } from "../../auth/keys.ts";
import { signHubSession, verifyHubLoginLink, verifyHubSession } from "../../auth/login-links.ts";
import type { HubConfig } from "../../env.ts";
import type { Sql } from "../sync/change-log.repository.ts";
import { consumeLoginLink } from "./login-link.repository.ts";

type Deps = {
  config: Pick<HubConfig, "issuer" | "audience" | "webDir">;
  keys: KeyRing;
  sql: Sql;
  /** The fabrique's name for `/auth/session` (null when unknown). */
  fabriqueName(fabriqueId: string): Promise<string | null>;
};

/**
 * The session cookie of a request, verified: null without one; UNAUTHENTICATED (MaillageError)
 * when it does not verify.
 */
export function hubSessionReader(deps: Pick<Deps, "config" | "keys">) {
  return async (
    get: (name: string) => string | null | undefined,
  ): Promise<SessionClaims | null> => {
    const cookie = sessionCookieOf(get, HUB_SESSION_COOKIE);
    if (!cookie) return null;
    return verifyHubSession(deps.keys, deps.config, cookie);
  };
}

/**
 * The hub's web routes, before GraphQL: `GET /login?t=` (a one-time link opens a session),
 * `GET /auth/session`, `POST /logout`, and the web app's files under `/app/`.
 */
export function useWebRoutes(deps: Deps): Plugin {
  const readSession = hubSessionReader(deps);
  const sessions = createSessionRoutes({
    server: "hub",
    cookieName: HUB_SESSION_COOKIE,
    async redeemLoginLink(token) {
      const link = await verifyHubLoginLink(deps.keys, deps.config, token);
      if (!link) return null;
      if (!(await consumeLoginLink(deps.sql, link.jti, link.expiresAt))) return null;
      return { claims: link.claims, sessionTtlSeconds: link.sessionTtlSeconds };
    },
    signSession: (claims, ttl, csrf) => signHubSession(deps.keys, deps.config, claims, ttl, csrf),
    sessionOf: (request) => readSession((name) => request.headers.get(name)).catch(() => null),
    async describe(session) {
      if (!session.fabriqueId) return {};
      const name = await deps.fabriqueName(session.fabriqueId);
      return name ? { fabriqueName: name } : {};
    },
  });
  const webApp = createWebAppHandler({ dir: deps.config.webDir, base: "/app" });
  return {
    async onRequest({ request, endResponse }) {
      const response = (await sessions(request)) ?? (await webApp(request));
      if (response) endResponse(response);
    },
  };
}
