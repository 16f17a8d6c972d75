import { randomBytes, timingSafeEqual } from "node:crypto";
import type { TokenClaims } from "../auth/claims.ts";
import { MaillageError } from "../errors.ts";
import { escapeHtml, htmlPage, jsonErrorResponse } from "./pages.ts";

/**
 * Web sessions of the hub and the node agents (docs/sign-in.md): a one-time login link
 * (`GET /login?t=`) opens a session held in an httpOnly, SameSite=Strict cookie whose value is
 * a signed JWT (stateless: any hub replica verifies it with the same keys). The cookie is an
 * alternative to the bearer token on /graphql, giving the same viewer; requests it
 * authenticates pass the same-origin and CSRF checks below. Bearer clients are never checked.
 */

/**
 * The hub's session cookie. Cookies ignore the port: each server has its own name, and outside
 * the demo each server has its own host name (docs/sign-in.md). Over https the name carries the
 * `__Host-` prefix (sessionCookieName): browsers then require Secure, Path=/ and no Domain, so
 * no other host or plain-http page can set or shadow it.
 */
export const HUB_SESSION_COOKIE = "maillage_hub";

/** A node agent's session cookie (several agents may share a host). */
export function agentSessionCookie(nodeId: string): string {
  return `maillage_agent_${nodeId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** The prefix of a session cookie served over https. */
export const HOST_COOKIE_PREFIX = "__Host-";

/** The cookie's name as sent: `__Host-<name>` over https, `<name>` over plain http. */
export function sessionCookieName(name: string, secure: boolean): string {
  return secure ? `${HOST_COOKIE_PREFIX}${name}` : name;
}

/**
 * How a server reads its requests' transport (README settings `COOKIE_SECURE`, `TRUST_PROXY`):
 * `cookieSecure` always sets Secure (and the `__Host-` name), whatever a request says;
 * `trustProxy` believes `X-Forwarded-Host` (the Origin check) — without it only `Host` counts.
 */
export type CookiePolicy = { cookieSecure: boolean; trustProxy: boolean };
export const DEFAULT_COOKIE_POLICY: CookiePolicy = { cookieSecure: false, trustProxy: false };

/** COOKIE_SECURE and TRUST_PROXY of a config (neither when absent). */
export function cookiePolicyOf(config: Partial<CookiePolicy>): CookiePolicy {
  return {
    cookieSecure: config.cookieSecure ?? DEFAULT_COOKIE_POLICY.cookieSecure,
    trustProxy: config.trustProxy ?? DEFAULT_COOKIE_POLICY.trustProxy,
  };
}

type HeaderGetter = (name: string) => string | null | undefined;

/** The header a cookie-authenticated request other than GET must carry: the session's token. */
export const CSRF_HEADER = "x-maillage-csrf";

/**
 * A verified session: the same claims as the equivalent bearer token, its expiry, its CSRF
 * token and its id (`jti`, recorded when the session is ended by /logout).
 */
export type SessionClaims = TokenClaims & { exp: number; csrf: string; jti: string };

/** The viewer a session gives: the session's claims without its CSRF token and id. */
export function viewerOfSession<S extends SessionClaims>(session: S): Omit<S, "csrf" | "jti"> {
  const { csrf: _csrf, jti: _jti, ...viewer } = session;
  return viewer;
}

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

/**
 * Whether the session cookie is Secure (and named `__Host-…`): always with `cookieSecure`,
 * else when the request came over https, directly or with `X-Forwarded-Proto: https` (a header
 * that can only add Secure: a client forging it only loses its own cookie over plain http).
 */
export function isSecureRequest(
  get: HeaderGetter,
  url: string | undefined,
  policy: CookiePolicy = DEFAULT_COOKIE_POLICY,
): boolean {
  if (policy.cookieSecure) return true;
  if (get("x-forwarded-proto")?.split(",")[0]?.trim() === "https") return true;
  try {
    return url !== undefined && new URL(url).protocol === "https:";
  } catch {
    return false;
  }
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

/**
 * Same origin: `Sec-Fetch-Site`, when sent, is `same-origin` or `none` (typed in the address
 * bar), and `Origin`, when sent, names this server's host: `ownHost` (the request's own URL),
 * else its `Host` header; `X-Forwarded-Host` only when the policy trusts a proxy. Browsers send
 * at least one of them on every cross-site request that matters (any non-GET, any WebSocket).
 */
export function isSameOrigin(
  get: HeaderGetter,
  ownHost?: string,
  policy: CookiePolicy = DEFAULT_COOKIE_POLICY,
): boolean {
  const site = get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = get("origin");
  if (!origin) return true;
  const host = serverHost(get, ownHost, policy);
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host === host;
  } catch {
    return false;
  }
}

/** This server's host as the browser names it (see isSameOrigin). */
function serverHost(
  get: HeaderGetter,
  ownHost: string | undefined,
  policy: CookiePolicy,
): string | undefined {
  const forwarded = policy.trustProxy ? get("x-forwarded-host")?.split(",")[0]?.trim() : undefined;
  return forwarded || ownHost || get("host") || undefined;
}

/**
 * The origin check of `POST /login` (the form of the link's page): `Sec-Fetch-Site:
 * same-origin`, or an `Origin` naming this server. Stricter than isSameOrigin: a request with
 * neither (or `Origin: null` without `Sec-Fetch-Site`) is refused, so another site's page can
 * never post its own link to swap a victim's session (login CSRF).
 */
export function isLoginPostSameOrigin(
  get: HeaderGetter,
  ownHost?: string,
  policy: CookiePolicy = DEFAULT_COOKIE_POLICY,
): boolean {
  const site = get("sec-fetch-site");
  if (site && site !== "same-origin") return false;
  const origin = get("origin");
  if (origin && origin !== "null") return isSameOrigin(get, ownHost, policy);
  return site === "same-origin";
}

/**
 * The CSRF check of a cookie-authenticated request: same origin always, and any method but
 * GET and HEAD carries `x-maillage-csrf` equal to the session's token.
 */
export function passesCsrfCheck(
  request: Request,
  session: Pick<SessionClaims, "csrf">,
  policy: CookiePolicy = DEFAULT_COOKIE_POLICY,
): boolean {
  const get: HeaderGetter = (name) => request.headers.get(name);
  if (!isSameOrigin(get, new URL(request.url).host, policy)) return false;
  if (request.method === "GET" || request.method === "HEAD") return true;
  const sent = Buffer.from(request.headers.get(CSRF_HEADER) ?? "");
  const expected = Buffer.from(session.csrf);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/**
 * The session cookie of a request, when it has one (`undefined` otherwise): `__Host-<name>`
 * first (browsers only set it over https, Secure, Path=/, no Domain), then `<name>` unless the
 * request is secure (over https, a plain-named cookie may have been tossed by another host or
 * a plain-http page: ignored).
 */
export function sessionCookieOf(
  get: HeaderGetter,
  cookieName: string,
  secure = false,
): string | undefined {
  const cookies = parseCookies(get("cookie"));
  const hosted = cookies.get(sessionCookieName(cookieName, true));
  if (hosted) return hosted;
  if (secure) return undefined;
  const value = cookies.get(cookieName);
  return value ? value : undefined;
}

/** The Content-Security-Policy of the servers' own small pages (no script at all). */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The headers of an HTML page the hub or an agent writes itself (the link's page, errors, the
 * landing page): its CSP (no script), nosniff, no referrer, no framing.
 */
export function pageHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": PAGE_CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    ...extra,
  };
}

export function csrfFailedResponse(): Response {
  return jsonErrorResponse(
    403,
    "CSRF_CHECK_FAILED",
    "a cookie-authenticated request needs a same-origin x-maillage-csrf header",
  );
}

/** The login pages' style: the body's (their own additions after it). */
const LOGIN_STYLE =
  "body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }";

/** The page of a bad link: French first, then English; status 400, code LOGIN_LINK_INVALID. */
export function renderLoginLinkInvalidPage(): string {
  const text = (s: string) => escapeHtml(s);
  return htmlPage({
    lang: "fr",
    title: "Lien de connexion invalide — Maillage",
    style: `${LOGIN_STYLE} code { font-family: ui-monospace, monospace; }`,
    head: `    <meta name="maillage-error-code" content="LOGIN_LINK_INVALID" />\n`,
    body: `    <main>
      <h1>${text("Lien de connexion invalide")}</h1>
      <p>${text("Ce lien a expiré, a déjà été utilisé (chaque lien n'ouvre qu'une session) ou n'a pas été émis par ce serveur. Demandez un nouveau lien à la personne qui administre Maillage.")}</p>
      <p><code>LOGIN_LINK_INVALID</code></p>
      <section lang="en">
        <h2>Invalid sign-in link</h2>
        <p>This link has expired, has already been used (each link opens one session) or was not issued by this server. Ask whoever runs Maillage for a new one.</p>
      </section>
    </main>`,
  });
}

/**
 * The page of a good link (`GET /login?t=`): French first, then English, and a "Se connecter"
 * button whose form POSTs the link to /login. Opening the link uses nothing up: a link scanner
 * or a chat preview that fetches it leaves it for the person.
 */
export function renderLoginLinkPage(token: string): string {
  const text = (s: string) => escapeHtml(s);
  return htmlPage({
    lang: "fr",
    title: "Connexion — Maillage",
    style: `${LOGIN_STYLE} button { font: inherit; padding: 0.5rem 1.25rem; }`,
    body: `    <main>
      <h1>${text("Connexion à Maillage")}</h1>
      <p>${text("Ce lien ouvre une session dans ce navigateur. Il ne sert qu'une fois.")}</p>
      <form method="post" action="/login">
        <input type="hidden" name="t" value="${text(token)}" />
        <button type="submit">Se connecter</button>
      </form>
      <section lang="en">
        <h2>Sign in to Maillage</h2>
        <p>This link opens a session in this browser; it works once. Press “Se connecter” (sign in).</p>
      </section>
    </main>`,
  });
}

export type SessionRoutesOptions = {
  server: "hub" | "agent";
  /** The cookie's base name (`__Host-` is added over https). */
  cookieName: string;
  /** COOKIE_SECURE and TRUST_PROXY (default: neither). */
  policy?: CookiePolicy;
  /**
   * Verifies a login link without consuming it (signature, expiry, audience, not used yet):
   * what `GET /login` shows a page for.
   */
  checkLoginLink(token: string): Promise<boolean>;
  /**
   * Verifies a login link and consumes it (single use): its claims and the session's
   * lifetime, or null when it is malformed, expired, used, or not this server's.
   */
  redeemLoginLink(
    token: string,
  ): Promise<{ claims: TokenClaims; sessionTtlSeconds: number } | null>;
  /** Signs the session JWT (`aud` …:session, `csrf` claim, `jti`, `exp` = now + ttl). */
  signSession(claims: TokenClaims, ttlSeconds: number, csrf: string): Promise<string>;
  /** The session of a request (cookie verified, not ended), or null. */
  sessionOf(request: Request): Promise<SessionClaims | null>;
  /** Records the session as ended (POST /logout): its cookie is refused from then on. */
  endSession(session: SessionClaims): Promise<void>;
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

/** The largest body `POST /login` reads (a link is well under 1 KiB). */
const LOGIN_BODY_MAX_BYTES = 8192;

async function loginTokenOf(request: Request): Promise<string> {
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > LOGIN_BODY_MAX_BYTES) return "";
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) return "";
  const body = await request.text().catch(() => "");
  if (body.length > LOGIN_BODY_MAX_BYTES) return "";
  return new URLSearchParams(body).get("t") ?? "";
}

/** The paths createSessionRoutes answers. */
const SESSION_PATHS = new Set(["/login", "/logout", "/auth/session"]);

/**
 * `GET /login?t=` (a page with a "Se connecter" button; nothing used up), `POST /login` (the
 * button: redeems the link, from this server's own page only), `GET /auth/session` and
 * `POST /logout` (ends the session), as a Fetch handler: a Response for those paths,
 * `undefined` for any other.
 */
export function createSessionRoutes(
  options: SessionRoutesOptions,
): (request: Request) => Promise<Response | undefined> {
  const policy = options.policy ?? DEFAULT_COOKIE_POLICY;
  const noStore = { "cache-control": "no-store", "referrer-policy": "no-referrer" };
  const invalid = () =>
    new Response(renderLoginLinkInvalidPage(), {
      status: 400,
      headers: pageHeaders({ "cache-control": "no-store" }),
    });
  return async (request) => {
    const url = new URL(request.url);
    // Every request of the server comes through here: nothing more for the others.
    if (!SESSION_PATHS.has(url.pathname)) return undefined;
    const get: HeaderGetter = (name) => request.headers.get(name);
    const secure = isSecureRequest(get, request.url, policy);
    const cookieName = sessionCookieName(options.cookieName, secure);
    // GET shows the page, POST redeems; a HEAD (a link checker) goes on to a 404.
    if (url.pathname === "/login" && request.method === "GET") {
      const token = url.searchParams.get("t") ?? "";
      if (!token || !(await options.checkLoginLink(token))) return invalid();
      return new Response(renderLoginLinkPage(token), {
        status: 200,
        // The form's POST must carry its Origin: with `no-referrer` browsers send
        // `Origin: null` on a POST, which a plain-http host (no Sec-Fetch-Site) could not
        // tell from another site's. `strict-origin` never sends the path (the link) either.
        headers: pageHeaders({ "cache-control": "no-store", "referrer-policy": "strict-origin" }),
      });
    }
    if (url.pathname === "/login" && request.method === "POST") {
      if (!isLoginPostSameOrigin(get, url.host, policy)) return csrfFailedResponse();
      const token = await loginTokenOf(request);
      const redeemed = token ? await options.redeemLoginLink(token) : null;
      if (!redeemed) return invalid();
      const csrf = newCsrfToken();
      const session = await options.signSession(redeemed.claims, redeemed.sessionTtlSeconds, csrf);
      return new Response(null, {
        status: 303,
        headers: {
          location: "/app/",
          "set-cookie": serializeSessionCookie(cookieName, session, {
            maxAgeSeconds: redeemed.sessionTtlSeconds,
            secure,
          }),
          ...noStore,
        },
      });
    }
    if (url.pathname === "/auth/session" && request.method === "GET") {
      const session = await options.sessionOf(request);
      if (!session || !isSameOrigin(get, url.host, policy)) {
        return jsonErrorResponse(401, "UNAUTHENTICATED", "no session: open a sign-in link");
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
      if (session && !passesCsrfCheck(request, session, policy)) return csrfFailedResponse();
      // The session itself ends (any replica refuses its cookie within seconds), not only
      // this browser's copy of the cookie.
      if (session) await options.endSession(session);
      const headers = new Headers(noStore);
      headers.append(
        "set-cookie",
        serializeSessionCookie(cookieName, "", { maxAgeSeconds: 0, secure }),
      );
      return new Response(null, { status: 204, headers });
    }
    return undefined;
  };
}

/** How long a replica trusts its last look at whether a session was ended (docs/sign-in.md). */
export const SESSION_END_CHECK_MS = 5_000;

/**
 * The ended sessions as a replica sees them: `isEnded(jti)` asks the database (the
 * `session_end` table) at most once per SESSION_END_CHECK_MS per session, so a session ended
 * at another replica is refused here within that time; one ended here is refused at once.
 */
export function createSessionEnds(store: {
  isEnded(jti: string): Promise<boolean>;
  end(jti: string, expiresAt: Date): Promise<void>;
  checkMs?: number;
  now?: () => number;
}) {
  const checkMs = store.checkMs ?? SESSION_END_CHECK_MS;
  const now = store.now ?? Date.now;
  const seen = new Map<string, { ended: boolean; at: number }>();
  const MAX = 10_000;
  return {
    async isEnded(jti: string): Promise<boolean> {
      const known = seen.get(jti);
      if (known && (known.ended || now() - known.at < checkMs)) return known.ended;
      const ended = await store.isEnded(jti);
      if (seen.size >= MAX) seen.clear();
      seen.set(jti, { ended, at: now() });
      return ended;
    },
    async end(jti: string, expiresAt: Date): Promise<void> {
      await store.end(jti, expiresAt);
      if (seen.size >= MAX) seen.clear();
      seen.set(jti, { ended: true, at: now() });
    },
  };
}

/**
 * The session cookie of a request, verified and not ended: null without one; UNAUTHENTICATED
 * (MaillageError) when it does not verify or was ended by /logout. `url` is the request's own
 * (absent on a WebSocket upgrade: the policy and X-Forwarded-Proto decide).
 */
export function createSessionReader<S extends SessionClaims>(options: {
  cookieName: string;
  policy: CookiePolicy;
  /** Verifies the cookie's JWT (throws UNAUTHENTICATED when it does not verify). */
  verify(cookie: string): Promise<S>;
  ends: Pick<ReturnType<typeof createSessionEnds>, "isEnded">;
}): (get: HeaderGetter, url?: string) => Promise<S | null> {
  return async (get, url) => {
    const secure = isSecureRequest(get, url, options.policy);
    const cookie = sessionCookieOf(get, options.cookieName, secure);
    if (!cookie) return null;
    const session = await options.verify(cookie);
    if (await options.ends.isEnded(session.jti)) {
      throw new MaillageError("UNAUTHENTICATED", "this session was ended (signed out)");
    }
    return session;
  };
}

/**
 * createSessionRoutes' checkLoginLink and redeemLoginLink for single-use links: `verify` checks
 * the signature (null when it fails), the store records a link's use once.
 */
export function singleUseLoginLinks(options: {
  verify(token: string): Promise<{
    jti: string;
    expiresAt: Date;
    claims: TokenClaims;
    sessionTtlSeconds: number;
  } | null>;
  isUsed(jti: string): Promise<boolean>;
  /** Records the use; false when it was used already (a race of two redemptions). */
  consume(jti: string, expiresAt: Date): Promise<boolean>;
}): Pick<SessionRoutesOptions, "checkLoginLink" | "redeemLoginLink"> {
  return {
    async checkLoginLink(token) {
      const link = await options.verify(token);
      return link !== null && !(await options.isUsed(link.jti));
    },
    async redeemLoginLink(token) {
      const link = await options.verify(token);
      if (!link) return null;
      if (!(await options.consume(link.jti, link.expiresAt))) return null;
      return { claims: link.claims, sessionTtlSeconds: link.sessionTtlSeconds };
    },
  };
}
