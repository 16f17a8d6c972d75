import {
  type CookiePolicy,
  cookiePolicyOf,
  createSessionEnds,
  createSessionReader,
  createSessionRoutes,
  createWebAppHandler,
  HUB_SESSION_COOKIE,
  singleUseLoginLinks,
} from "@maillage/schema";
import type { Plugin } from "graphql-yoga";
import type { KeyRing } from "../../auth/keys.ts";
import { signHubSession, verifyHubLoginLink, verifyHubSession } from "../../auth/login-links.ts";
import type { HubConfig } from "../../env.ts";
import type { Sql } from "../sync/change-log.repository.ts";
import {
  consumeLoginLink,
  endSession,
  isLoginLinkUsed,
  isSessionEnded,
} from "./login-link.repository.ts";

type Deps = {
  config: Pick<HubConfig, "issuer" | "audience" | "webDir"> & Partial<CookiePolicy>;
  keys: KeyRing;
  sql: Sql;
  /** The fabrique's name for `/auth/session` (null when unknown). */
  fabriqueName(fabriqueId: string): Promise<string | null>;
  /** Told when this replica ends a session (its open sockets close). */
  onSessionEnded?(jti: string): void;
};

/** The sessions ended by /logout, as this replica sees them (cached a few seconds). */
export type HubSessionEnds = ReturnType<typeof createSessionEnds>;

export function hubSessionEnds(sql: Sql): HubSessionEnds {
  return createSessionEnds({
    isEnded: (jti) => isSessionEnded(sql, jti),
    end: (jti, expiresAt) => endSession(sql, jti, expiresAt),
  });
}

/**
 * The session cookie of a request, verified and not ended: null without one; UNAUTHENTICATED
 * (MaillageError) when it does not verify or was ended by /logout. `url` is the request's own
 * (absent on a WebSocket upgrade: the policy and X-Forwarded-Proto decide).
 */
export function hubSessionReader(deps: Pick<Deps, "config" | "keys"> & { ends: HubSessionEnds }) {
  return createSessionReader({
    cookieName: HUB_SESSION_COOKIE,
    policy: cookiePolicyOf(deps.config),
    verify: (cookie) => verifyHubSession(deps.keys, deps.config, cookie),
    ends: deps.ends,
  });
}

/**
 * The hub's web routes, before GraphQL: `GET /login?t=` (the link's page), `POST /login` (its
 * button opens a session), `GET /auth/session`, `POST /logout` (ends the session), and the web
 * app's files under `/app/`.
 */
export function useWebRoutes(deps: Deps & { ends: HubSessionEnds }): Plugin {
  const readSession = hubSessionReader(deps);
  const sessions = createSessionRoutes({
    server: "hub",
    cookieName: HUB_SESSION_COOKIE,
    policy: cookiePolicyOf(deps.config),
    ...singleUseLoginLinks({
      verify: (token) => verifyHubLoginLink(deps.keys, deps.config, token),
      isUsed: (jti) => isLoginLinkUsed(deps.sql, jti),
      consume: (jti, expiresAt) => consumeLoginLink(deps.sql, jti, expiresAt),
    }),
    signSession: (claims, ttl, csrf) => signHubSession(deps.keys, deps.config, claims, ttl, csrf),
    sessionOf: (request) =>
      readSession((name) => request.headers.get(name), request.url).catch(() => null),
    async endSession(session) {
      await deps.ends.end(session.jti, new Date(session.exp * 1000));
      deps.onSessionEnded?.(session.jti);
    },
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
