import { sessionClient } from "@maillage/schema/http/session-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAgentConfig } from "../../env.ts";
import { issueAgentLoginLink, signAgentLoginLinkToken } from "../../identity/login-links.ts";
import { startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { consumeLoginLink } from "./login-link.repository.ts";

/**
 * Sign-in at a node agent (docs/sign-in.md): one-time links, the session cookie as an
 * alternative to the bearer token (same viewer, SSE subscriptions included), the CSRF checks.
 */
let t: TestAgent;
const base = "http://agent.test";

beforeAll(async () => {
  t = await startTestAgent("pglite");
});

afterAll(async () => {
  await t?.close();
});

type LinkRequest = Parameters<typeof signAgentLoginLinkToken>[2];
const link = (request: LinkRequest) =>
  signAgentLoginLinkToken(t.credentials.identity, t.credentials.key, request);
const { view, open, gql, ...client } = sessionClient((url, init) => t.agent.fetch(url, init), base);
const signIn = async (request: LinkRequest) => client.signIn(await link(request));

const SATELLITES = "query { satellites { id } }";

describe("login links at the agent", () => {
  it("GET shows the page twice without using the link up; the POST opens one session", async () => {
    const token = await link({ role: "FABRIQUE_ADMIN" });
    for (let i = 0; i < 2; i++) {
      const page = await view(token);
      expect(page.status).toBe(200);
      expect(page.headers.get("set-cookie")).toBeNull();
      expect(await page.text()).toContain("Se connecter");
    }
    const crossSite = await open(token, { origin: "http://evil.example" });
    expect(crossSite.status).toBe(403);
    expect((await open(token)).status).toBe(303);
    expect((await open(token)).status).toBe(400);
    const used = await view(token);
    expect(used.status).toBe(400);
    expect(await used.text()).toContain("LOGIN_LINK_INVALID");
  });

  it("open one session in the agent's own cookie; a second use is refused", async () => {
    const token = await link({ role: "FABRIQUE_ADMIN" });
    const first = await open(token);
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe("/app/");
    const cookie = first.headers.get("set-cookie") ?? "";
    const name = `maillage_agent_${t.credentials.identity.nodeId}`;
    expect(cookie.startsWith(`${name}=`)).toBe(true);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Max-Age=28800");
    const second = await open(token);
    expect(second.status).toBe(400);
    expect(await second.text()).toContain("LOGIN_LINK_INVALID");
  });

  it("keeps a used link's row 10 minutes past its expiry (clock skew), then forgets it", async () => {
    const sql = t.agent.store;
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    expect(await consumeLoginLink(sql, "skew-recent", minutesAgo(5))).toBe(true);
    expect(await consumeLoginLink(sql, "skew-old", minutesAgo(20))).toBe(true);
    expect(await consumeLoginLink(sql, "skew-next", minutesAgo(-15))).toBe(true);
    expect(await consumeLoginLink(sql, "skew-recent", minutesAgo(5))).toBe(false);
    const rows = await sql.query<{ jti: string }>(
      "SELECT jti FROM login_link_use WHERE jti LIKE 'skew-%' ORDER BY jti",
    );
    expect(rows.map((r) => r.jti)).toEqual(["skew-next", "skew-recent"]);
  });

  it("COOKIE_SECURE and TRUST_PROXY are settings (off by default)", () => {
    const off = loadAgentConfig({});
    expect([off.cookieSecure, off.trustProxy]).toEqual([false, false]);
    const on = loadAgentConfig({ COOKIE_SECURE: "1", TRUST_PROXY: "true" });
    expect([on.cookieSecure, on.trustProxy]).toEqual([true, true]);
  });

  it("refuses an expired link, and a link as a bearer token", async () => {
    const expired = await link({ role: "FABRIQUE_ADMIN", ttl: "1s" });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await open(expired)).status).toBe(400);
    const asBearer = await gql(SATELLITES, {
      authorization: `Bearer ${await link({ role: "FABRIQUE_ADMIN" })}`,
    });
    expect(asBearer.status).toBe(401);
    expect(asBearer.code).toBe("UNAUTHENTICATED");
    // And an agent token is no link.
    expect((await open(await t.admin())).status).toBe(400);
  });

  it("refuses a role's missing space or member, and a TTL over the maximum", async () => {
    await expect(link({ role: "SATELLITE" })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    await expect(link({ role: "FABRIQUE_ADMIN", ttl: "2d" })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
    await expect(link({ role: "FABRIQUE_ADMIN", sessionTtl: "8d" })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
  });

  it("issueAgentLoginLink prints <url>/login?t=… that works", async () => {
    const url = await issueAgentLoginLink({
      dataDir: t.dataDir,
      baseUrl: "http://127.0.0.1:4001",
      role: "MEMBER",
      memberId: "01JMEMBER0000000000000000",
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:4001\/login\?t=/);
    expect((await open(new URL(url).searchParams.get("t") ?? "")).status).toBe(303);
  });
});

describe("the agent's session", () => {
  it("GET /auth/session names the node, the fabrique, the role and its space", async () => {
    const { info } = await signIn({ role: "SATELLITE", spaceId: t.fabrique.id });
    expect(info).toMatchObject({
      server: "agent",
      role: "SATELLITE",
      fabriqueId: t.fabrique.id,
      spaceId: t.fabrique.id,
      memberId: null,
      nodeId: t.credentials.identity.nodeId,
      fabriqueName: t.fabrique.name,
    });
  });

  it("gives the same viewer as the token of the same role", async () => {
    const admin = await signIn({ role: "FABRIQUE_ADMIN" });
    const byCookie = await gql(SATELLITES, { cookie: admin.cookie, "x-maillage-csrf": admin.csrf });
    const byToken = await gql(SATELLITES, { authorization: `Bearer ${await t.admin()}` });
    expect(byCookie.body).toEqual(byToken.body);
    expect(byCookie.body.errors).toBeUndefined();

    const SYNC = "query { syncStatus { outboxPending } }";
    const satellite = await signIn({ role: "SATELLITE", spaceId: t.fabrique.id });
    const refused = await gql(SYNC, {
      cookie: satellite.cookie,
      "x-maillage-csrf": satellite.csrf,
    });
    const refusedByToken = await gql(SYNC, {
      authorization: `Bearer ${await t.token({ role: "SATELLITE", spaceId: t.fabrique.id })}`,
    });
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.body).toEqual(refusedByToken.body);
  });

  it("a POST with the cookie needs the CSRF header, from the same origin", async () => {
    const { cookie, csrf } = await signIn({ role: "FABRIQUE_ADMIN" });
    const none = await gql(SATELLITES, { cookie });
    expect(none.status).toBe(403);
    expect(none.code).toBe("CSRF_CHECK_FAILED");
    const cross = await gql(SATELLITES, {
      cookie,
      "x-maillage-csrf": csrf,
      origin: "http://127.0.0.1:9999",
    });
    expect(cross.code).toBe("CSRF_CHECK_FAILED");
  });

  it("POST /logout ends the session: its cookie is refused after", async () => {
    const { cookie, csrf } = await signIn({ role: "FABRIQUE_ADMIN" });
    expect((await gql(SATELLITES, { cookie, "x-maillage-csrf": csrf })).status).toBe(200);
    const out = await t.agent.fetch(`${base}/logout`, {
      method: "POST",
      headers: { cookie, "x-maillage-csrf": csrf },
    });
    expect(out.status).toBe(204);
    const after = await gql(SATELLITES, { cookie, "x-maillage-csrf": csrf });
    expect(after.status).toBe(401);
    expect(after.code).toBe("UNAUTHENTICATED");
    expect((await t.agent.fetch(`${base}/auth/session`, { headers: { cookie } })).status).toBe(401);
  });

  it("the settlement statement refuses another site's cookie request with 403 CSRF_CHECK_FAILED, no-store", async () => {
    const { cookie } = await signIn({ role: "FABRIQUE_ADMIN" });
    const cross = await t.agent.fetch(
      `${base}/settlement/statement?period=2026-01&counterpart=${t.fabrique.id}`,
      { headers: { cookie, "sec-fetch-site": "same-site" } },
    );
    expect(cross.status).toBe(403);
    expect(cross.headers.get("cache-control")).toBe("no-store");
    const body = (await cross.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("CSRF_CHECK_FAILED");
  });

  it("GET /sync/status takes the team's cookie too; another origin is refused", async () => {
    const { cookie } = await signIn({ role: "FABRIQUE_ADMIN" });
    const ok = await t.agent.fetch(`${base}/sync/status`, { headers: { cookie } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("no-store");
    const cross = await t.agent.fetch(`${base}/sync/status`, {
      headers: { cookie, "sec-fetch-site": "cross-site" },
    });
    expect(cross.status).toBe(403);
  });

  it("subscribes over server-sent events with the cookie", async () => {
    const { cookie } = await signIn({ role: "FABRIQUE_ADMIN" });
    const controller = new AbortController();
    const query = "subscription { bookingUpdated { bookingId status } }";
    const response = await t.agent.fetch(`${base}/graphql?query=${encodeURIComponent(query)}`, {
      headers: { cookie, accept: "text/event-stream", "sec-fetch-site": "same-origin" },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    controller.abort();
    await response.body?.cancel().catch(() => undefined);
  });

  it("answers no CORS headers and links the web app from its landing page", async () => {
    const preflight = await t.agent.fetch(`${base}/graphql`, {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const landingPage = await t.agent.fetch(`${base}/`);
    expect(landingPage.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(landingPage.headers.get("x-content-type-options")).toBe("nosniff");
    const landing = await landingPage.text();
    expect(landing).toContain('href="/app/"');
    const graphiql = await t.agent.fetch(`${base}/graphql`, { headers: { accept: "text/html" } });
    expect(graphiql.headers.get("x-content-type-options")).toBe("nosniff");
    expect(graphiql.headers.get("x-frame-options")).toBe("DENY");
    const app = await t.agent.fetch(`${base}/app/`);
    expect([200, 503]).toContain(app.status);
    expect(app.headers.get("content-type")).toBe("text/html; charset=utf-8");
  });
});
