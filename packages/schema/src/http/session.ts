import { randomBytes, timingSafeEqual } from "node:crypto";
import type { TokenClaims } from "../auth/claims.ts";
import { escapeHtml } from "./pages.ts";

/**
 * Web sessions of the hub and the node agents (docs/sign-in.md): a one-time login link
 * (`GET /login?t=`) opens a session held in an httpOnly, SameSite=Strict cookie whose value is
 * a signed JWT (stateless: any hub replica verifies it with the same keys). The cookie is an
 * alternative to the bearer token on /graphql, giving the same viewer; requests it
 * authenticates pass the same-origin and CSRF checks below. Bearer clients are never checked.
 */

/** The hub's session cookie. Cookies ignore the port: each server has its own name. */
export const HUB_SESSION_COOKIE = "maillage_hub";

/** A node agent's session cookie (several agents may share a host). */
export function agentSessionCookie(nodeId: string): string {
  return `maillage_agent_${nodeId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** The header a cookie-authenticated request other than GET must carry: the session's token. */
export const CSRF_HEADER = "x-maillage-csrf";

/** A verified session: the same claims as the equivalent bearer token, its expiry, its CSRF token. */
export type SessionClaims = TokenClaims & { exp: number; csrf: string };

/** Defaults and limits of the login links and the sessions they open. */
export const LOGIN_LINK_DEFAULT_TTL = "15m";
export const LOGIN_LINK_MAX_TTL_SECONDS = 24 * 3600;
export const SESSION_DEFAULT_TTL = "8h";
export const SESSION_MAX_TTL_SECONDS = 7 * 86400;

/** The `aud` of a login link and of a session, from the server's bearer audience. */
export function loginAudience(audience: string): string {
  return `${audience}:login`;
}
export function sessionAudience(audience: string): string {
  return `${audience}:session`;
}

/** 32 random bytes, base64url: the session's CSRF token. */
export function newCsrfToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The cookies of a `Cookie` header, by name (the first of a repeated name wins). */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    cookies.set(name, value);
  }
  return cookies;
}

/** Whether the browser reached this server over https (directly or behind a proxy). */
export function isSecureRequest(request: Request): boolean {
  if (request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https") return true;
  return new URL(request.url).protocol === "https:";
}

export function serializeSessionCookie(
  name: string,
  value: string,
  options: { maxAgeSeconds: number; secure: boolean },
): string {
  return [
    `${name}=${value}`,
    "HttpOnly",
    "SameSite=Strict",
    "Path=/",
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}

type HeaderGetter = (name: string) => string | null | undefined;

/**
 * Same origin: `Sec-Fetch-Site`, when sent, is `same-origin` or `none` (typed in the address
 * bar), and `Origin`, when sent, names this server's `Host`. Browsers send at least one of them
 * on every cross-site request that matters (any non-GET, any WebSocket).
 */
export function isSameOrigin(get: HeaderGetter, ownHost?: string): boolean {
  const site = get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = get("origin");
  if (!origin) return true;
  const host = get("x-forwarded-host")?.split(",")[0]?.trim() || ownHost || get("host");
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host === host;
  } catch {
    return false;
  }
}

/**
 * The CSRF check of a cookie-authenticated request: same origin always, and any method but
 * GET and HEAD carries `x-maillage-csrf` equal to the session's token.
 */
export function passesCsrfCheck(request: Request, session: Pick<SessionClaims, "csrf">): boolean {
  const get: HeaderGetter = (name) => request.headers.get(name);
  if (!isSameOrigin(get, new URL(request.url).host)) return false;
  if (request.method === "GET" || request.method === "HEAD") return true;
  const sent = Buffer.from(request.headers.get(CSRF_HEADER) ?? "");
  const expected = Buffer.from(session.csrf);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/** The session cookie of a request, when it has one (`undefined` otherwise). */
export function sessionCookieOf(get: HeaderGetter, cookieName: string): string | undefined {
  const value = parseCookies(get("cookie")).get(cookieName);
  return value ? value : undefined;
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json(
    { errors: [{ message, extensions: { code } }] },
    { status, headers: { "cache-control": "no-store" } },
  );
}

export function csrfFailedResponse(): Response {
  return jsonError(
    403,
    "CSRF_CHECK_FAILED",
    "a cookie-authenticated request needs a same-origin x-maillage-csrf header",
  );
}

/** The page of a bad link: French first, then English; status 400, code LOGIN_LINK_INVALID. */
export function renderLoginLinkInvalidPage(): string {
  const text = (s: string) => escapeHtml(s);
  return `<!doctype html>
<html lang="fr">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="maillage-error-code" content="LOGIN_LINK_INVALID" />
    <title>${text("Lien de connexion invalide — Maillage")}</title>
    <style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; } code { font-family: ui-monospace, monospace; }</style>
  </head>
  <body>
    <main>
      <h1>${text("Lien de connexion invalide")}</h1>
      <p>${text("Ce lien a expiré, a déjà été utilisé (chaque lien n'ouvre qu'une session) ou n'a pas été émis par ce serveur. Demandez un nouveau lien à la personne qui administre Maillage.")}</p>
      <p><code>LOGIN_LINK_INVALID</code></p>
      <section lang="en">
        <h2>Invalid sign-in link</h2>
        <p>This link has expired, has already been used (each link opens one session) or was not issued by this server. Ask whoever runs Maillage for a new one.</p>
      </section>
    </main>
  </body>
</html>
`;
}

export type SessionRoutesOptions = {
  server: "hub" | "agent";
  cookieName: string;
  /**
   * Verifies a login link and consumes it (single use): its claims and the session's
   * lifetime, or null when it is malformed, expired, used, or not this server's.
   */
  redeemLoginLink(
    token: string,
  ): Promise<{ claims: TokenClaims; sessionTtlSeconds: number } | null>;
  /** Signs the session JWT (`aud` …:session, `csrf` claim, `exp` = now + ttl). */
  signSession(claims: TokenClaims, ttlSeconds: number, csrf: string): Promise<string>;
  /** The session of a request (cookie verified), or null. */
  sessionOf(request: Request): Promise<SessionClaims | null>;
  /** What the server adds to `/auth/session` (its node, the fabrique's name). */
  describe?(session: SessionClaims): Promise<{ nodeId?: string; fabriqueName?: string }>;
};

/** The JSON of `GET /auth/session`. */
export type SessionInfo = {
  server: "hub" | "agent";
  role: TokenClaims["role"];
  fabriqueId: string | null;
  spaceId: string | null;
  memberId: string | null;
  nodeId: string | null;
  fabriqueName: string | null;
  /** ISO 8601, UTC. */
  expiresAt: string;
  csrfToken: string;
};

/**
 * `GET /login?t=`, `GET /auth/session` and `POST /logout`, as a Fetch handler: a Response for
 * those paths, `undefined` for any other.
 */
export function createSessionRoutes(
  options: SessionRoutesOptions,
): (request: Request) => Promise<Response | undefined> {
  const noStore = { "cache-control": "no-store", "referrer-policy": "no-referrer" };
  return async (request) => {
    const url = new URL(request.url);
    // GET only: a HEAD (a link checker, a preview) must not use up a single-use link.
    if (url.pathname === "/login" && request.method === "GET") {
      const token = url.searchParams.get("t") ?? "";
      const redeemed = token ? await options.redeemLoginLink(token) : null;
      if (!redeemed) {
        return new Response(renderLoginLinkInvalidPage(), {
          status: 400,
          headers: { "content-type": "text/html; charset=utf-8", ...noStore },
        });
      }
      const csrf = newCsrfToken();
      const session = await options.signSession(redeemed.claims, redeemed.sessionTtlSeconds, csrf);
      return new Response(null, {
        status: 303,
        headers: {
          location: "/app/",
          "set-cookie": serializeSessionCookie(options.cookieName, session, {
            maxAgeSeconds: redeemed.sessionTtlSeconds,
            secure: isSecureRequest(request),
          }),
          ...noStore,
        },
      });
    }
    if (url.pathname === "/auth/session" && request.method === "GET") {
      const session = await options.sessionOf(request);
      const own = new URL(request.url).host;
      if (!session || !isSameOrigin((name) => request.headers.get(name), own)) {
        return jsonError(401, "UNAUTHENTICATED", "no session: open a sign-in link");
      }
      const extra = (await options.describe?.(session)) ?? {};
      const info: SessionInfo = {
        server: options.server,
        role: session.role,
        fabriqueId: session.fabriqueId ?? null,
        spaceId: session.spaceId ?? null,
        memberId: session.memberId ?? null,
        nodeId: extra.nodeId ?? null,
        fabriqueName: extra.fabriqueName ?? null,
        expiresAt: new Date(session.exp * 1000).toISOString(),
        csrfToken: session.csrf,
      };
      return Response.json(info, { headers: noStore });
    }
    if (url.pathname === "/logout") {
      if (request.method !== "POST") {
        return new Response(null, { status: 405, headers: { allow: "POST" } });
      }
      const session = await options.sessionOf(request);
      if (session && !passesCsrfCheck(request, session)) return csrfFailedResponse();
      return new Response(null, {
        status: 204,
        headers: {
          "set-cookie": serializeSessionCookie(options.cookieName, "", {
            maxAgeSeconds: 0,
            secure: isSecureRequest(request),
          }),
          ...noStore,
        },
      });
    }
    return undefined;
  };
}
