import {
  agentSessionCookie,
  createSessionRoutes,
  createWebAppHandler,
  defaultWebDir,
  type SessionClaims,
  sessionCookieOf,
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
import { consumeLoginLink } from "./login-link.repository.ts";

type Deps = {
  identity: NodeIdentity;
  key: NodeKey;
  sql: SqlSession;
  webDir: string | undefined;
};

export type AgentSession = SessionClaims & Pick<AgentViewer, "role" | "fabriqueId">;

/**
 * The session cookie of a request, verified: null without one; UNAUTHENTICATED (MaillageError)
 * when it does not verify.
 */
export function agentSessionReader(deps: Pick<Deps, "identity" | "key">) {
  const cookieName = agentSessionCookie(deps.identity.nodeId);
  return async (get: (name: string) => string | null | undefined): Promise<AgentSession | null> => {
    const cookie = sessionCookieOf(get, cookieName);
    if (!cookie) return null;
    return verifyAgentSession(deps.identity, deps.key, cookie);
  };
}

/**
 * The agent's web routes, before GraphQL: `GET /login?t=` (a one-time link opens a session),
 * `GET /auth/session`, `POST /logout`, and the web app's files under `/app/`. A Fetch handler:
 * a Response for those paths, `undefined` for any other.
 */
export function createAgentWebRoutes(
  deps: Deps,
): (request: Request) => Promise<Response | undefined> {
  const readSession = agentSessionReader(deps);
  const sessions = createSessionRoutes({
    server: "agent",
    cookieName: agentSessionCookie(deps.identity.nodeId),
    async redeemLoginLink(token) {
      const link = await verifyAgentLoginLink(deps.identity, deps.key, token);
      if (!link) return null;
      if (!(await consumeLoginLink(deps.sql, link.jti, link.expiresAt))) return null;
      return { claims: link.claims, sessionTtlSeconds: link.sessionTtlSeconds };
    },
    signSession: (claims, ttl, csrf) =>
      signAgentSession(deps.identity, deps.key, claims, ttl, csrf),
    sessionOf: (request) => readSession((name) => request.headers.get(name)).catch(() => null),
    describe: async () => ({
      nodeId: deps.identity.nodeId,
      fabriqueName: deps.identity.fabriqueName,
    }),
  });
  const webApp = createWebAppHandler({ dir: deps.webDir ?? defaultWebDir(), base: "/app" });
  return async (request) => (await sessions(request)) ?? (await webApp(request));
}
