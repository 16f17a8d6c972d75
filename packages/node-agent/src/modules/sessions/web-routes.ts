import {
  agentSessionCookie,
  type CookiePolicy,
  createSessionEnds,
  createSessionReader,
  createSessionRoutes,
  createWebAppHandler,
  DEFAULT_COOKIE_POLICY,
  defaultWebDir,
  type SessionClaims,
  singleUseLoginLinks,
} from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import type { NodeIdentity } from "../../identity/identity.ts";
import type { NodeKey } from "../../identity/keys.ts";
import {
  signAgentSession,
  verifyAgentLoginLink,
  verifyAgentSession,
} from "../../identity/login-links.ts";
import type { AgentViewer } from "../../identity/tokens.ts";
import {
  consumeLoginLink,
  endSession,
  isLoginLinkUsed,
  isSessionEnded,
} from "./login-link.repository.ts";

type Deps = {
  identity: NodeIdentity;
  key: NodeKey;
  sql: SqlSession;
  webDir: string | undefined;
  /** COOKIE_SECURE and TRUST_PROXY (default: neither). */
  policy?: CookiePolicy | undefined;
};

export type AgentSession = SessionClaims & Pick<AgentViewer, "role" | "fabriqueId">;

/** The sessions ended by /logout, as this agent sees them (cached a few seconds). */
export type AgentSessionEnds = ReturnType<typeof createSessionEnds>;

export function agentSessionEnds(sql: SqlSession): AgentSessionEnds {
  return createSessionEnds({
    isEnded: (jti) => isSessionEnded(sql, jti),
    end: (jti, expiresAt) => endSession(sql, jti, expiresAt),
  });
}

/**
 * The session cookie of a request, verified and not ended: null without one; UNAUTHENTICATED
 * (MaillageError) when it does not verify or was ended by /logout.
 */
export function agentSessionReader(
  deps: Pick<Deps, "identity" | "key" | "policy"> & { ends: AgentSessionEnds },
) {
  return createSessionReader<AgentSession>({
    cookieName: agentSessionCookie(deps.identity.nodeId),
    policy: deps.policy ?? DEFAULT_COOKIE_POLICY,
    verify: (cookie) => verifyAgentSession(deps.identity, deps.key, cookie),
    ends: deps.ends,
  });
}

/**
 * The agent's web routes, before GraphQL: `GET /login?t=` (the link's page), `POST /login` (its
 * button opens a session), `GET /auth/session`, `POST /logout` (ends the session), and the web
 * app's files under `/app/`. A Fetch handler: a Response for those paths, `undefined` for any
 * other.
 */
export function createAgentWebRoutes(
  deps: Deps & { ends: AgentSessionEnds; readSession: ReturnType<typeof agentSessionReader> },
): (request: Request) => Promise<Response | undefined> {
  const { ends, readSession } = deps;
  const sessions = createSessionRoutes({
    server: "agent",
    cookieName: agentSessionCookie(deps.identity.nodeId),
    policy: deps.policy ?? DEFAULT_COOKIE_POLICY,
    ...singleUseLoginLinks({
      verify: (token) => verifyAgentLoginLink(deps.identity, deps.key, token),
      isUsed: (jti) => isLoginLinkUsed(deps.sql, jti),
      consume: (jti, expiresAt) => consumeLoginLink(deps.sql, jti, expiresAt),
    }),
    signSession: (claims, ttl, csrf) =>
      signAgentSession(deps.identity, deps.key, claims, ttl, csrf),
    sessionOf: (request) =>
      readSession((name) => request.headers.get(name), request.url).catch(() => null),
    endSession: (session) => ends.end(session.jti, new Date(session.exp * 1000)),
    describe: async () => ({
      nodeId: deps.identity.nodeId,
      fabriqueName: deps.identity.fabriqueName,
    }),
  });
  const webApp = createWebAppHandler({ dir: deps.webDir ?? defaultWebDir(), base: "/app" });
  return async (request) => (await sessions(request)) ?? (await webApp(request));
}
