import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sessionClient } from "@maillage/schema/http/session-client";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { signHubLoginLinkToken } from "../../auth/login-links.ts";
import { signHubToken } from "../../auth/tokens.ts";
import { signHubLoginLink } from "../../client.ts";
import { seedDemoNetwork } from "../../demo.ts";
import { loadHubConfig } from "../../env.ts";
import { type Backend, startTestHub, type TestHub } from "../../testing/fixture.ts";
import { consumeLoginLink } from "./login-link.repository.ts";

/**
 * Sign-in at the hub (docs/sign-in.md): one-time links, the session cookie as an alternative
 * to the bearer token (same viewer), the CSRF checks, the web app's files. Run on PGlite
 * (web-routes.test.ts) and PostgreSQL (web-routes.integration.test.ts).
 */
export function registerHubSessionTests(backend: Backend) {
  let t: TestHub;
  let webDir: string;
  let fabriqueId: string;
  let fabriqueName: string;
  /** The hub on a real socket (graphql-ws, the landing page). */
  let url: string;
  const base = "http://hub.test";

  beforeAll(async () => {
    webDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-web-"));
    await fs.mkdir(path.join(webDir, "assets"));
    await fs.writeFile(path.join(webDir, "index.html"), "<!doctype html><title>app</title>");
    await fs.writeFile(path.join(webDir, "assets", "main-abc123.js"), "console.log(1);");
    t = await startTestHub(backend, { webDir });
    await seedDemoNetwork(t.hub);
    const fabrique = await t.hub.services.prisma.space.findFirstOrThrow({
      where: { kind: "FABRIQUE" },
      orderBy: { name: "asc" },
    });
    fabriqueId = fabrique.id;
    fabriqueName = fabrique.name;
    ({ url } = await t.hub.start());
  });

  afterAll(async () => {
    await t?.close();
    if (webDir) await fs.rm(webDir, { recursive: true, force: true });
  });

  const link = (request: Parameters<typeof signHubLoginLinkToken>[2]) =>
    signHubLoginLinkToken(t.hub.keys, t.hub.config, request);

  const { view, open, gql, ...client } = sessionClient((url, init) => t.hub.fetch(url, init), base);
  /** Signs in with a fresh link: the cookie header and the session's CSRF token. */
  const signIn = async (request: Parameters<typeof signHubLoginLinkToken>[2]) =>
    client.signIn(await link(request));

  const SPACES_COUNT = "query { spaces(first: 1) { totalCount } }";
  const CREATE_FABRIQUE =
    'mutation { createFabrique(input: { name: "Par cookie", communeCode: "07186" }) { id } }';

  describe("login links", () => {
    it("GET shows the page (twice, nothing used up); only a same-origin POST opens the session", async () => {
      const token = await link({ role: "NATIONAL" });
      for (let i = 0; i < 2; i++) {
        const page = await view(token);
        expect(page.status).toBe(200);
        expect(page.headers.get("set-cookie")).toBeNull();
        expect(page.headers.get("cache-control")).toBe("no-store");
        expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
        expect(page.headers.get("x-content-type-options")).toBe("nosniff");
        const html = await page.text();
        expect(html).toContain('<html lang="fr">');
        expect(html).toContain('<form method="post" action="/login">');
        expect(html).toContain(">Se connecter</button>");
      }
      // Another site's page posting the link (login CSRF), or a client naming no origin.
      expect((await open(token, { origin: "http://evil.example" })).status).toBe(403);
      expect((await open(token, { "sec-fetch-site": "cross-site" })).status).toBe(403);
      expect((await open(token, {})).status).toBe(403);
      expect((await open(token)).status).toBe(303);
      expect((await open(token)).status).toBe(400);
      expect((await view(token)).status).toBe(400);
    });

    it("keeps a used link's row 10 minutes past its expiry (clock skew), then forgets it", async () => {
      const sql = t.hub.services.store;
      const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
      expect(await consumeLoginLink(sql, "skew-recent", minutesAgo(5))).toBe(true);
      expect(await consumeLoginLink(sql, "skew-old", minutesAgo(20))).toBe(true);
      // The next redemption purges: the recent row stays (a lagging replica still refuses it).
      expect(await consumeLoginLink(sql, "skew-next", minutesAgo(-15))).toBe(true);
      expect(await consumeLoginLink(sql, "skew-recent", minutesAgo(5))).toBe(false);
      const rows = await sql.query<{ jti: string }>(
        "SELECT jti FROM login_link_use WHERE jti LIKE 'skew-%' ORDER BY jti",
      );
      expect(rows.map((r) => r.jti)).toEqual(["skew-next", "skew-recent"]);
    });

    it("COOKIE_SECURE and TRUST_PROXY are settings (off by default)", () => {
      const off = loadHubConfig({});
      expect([off.cookieSecure, off.trustProxy]).toEqual([false, false]);
      const on = loadHubConfig({ COOKIE_SECURE: "true", TRUST_PROXY: "1" });
      expect([on.cookieSecure, on.trustProxy]).toEqual([true, true]);
    });

    it("redeems a link once under concurrent POSTs", async () => {
      const token = await link({ role: "NATIONAL" });
      const statuses = (await Promise.all(Array.from({ length: 6 }, () => open(token)))).map(
        (r) => r.status,
      );
      expect(statuses.filter((s) => s === 303)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(5);
    });

    it("opens a session once: 303 to /app/ with an httpOnly, SameSite=Strict cookie; the second use is refused", async () => {
      const token = await link({ role: "NATIONAL", sessionTtl: "2h" });
      const first = await open(token);
      expect(first.status).toBe(303);
      expect(first.headers.get("location")).toBe("/app/");
      expect(first.headers.get("cache-control")).toBe("no-store");
      const cookie = first.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/^maillage_hub=[\w-]+\.[\w-]+\.[\w-]+; /);
      expect(cookie).toContain("HttpOnly");
      expect(cookie).toContain("SameSite=Strict");
      expect(cookie).toContain("Path=/");
      expect(cookie).toContain("Max-Age=7200");
      expect(cookie).not.toContain("Secure");

      const second = await open(token);
      expect(second.status).toBe(400);
      expect(second.headers.get("set-cookie")).toBeNull();
      const page = await second.text();
      expect(page).toContain("LOGIN_LINK_INVALID");
      expect(page).toContain("Lien de connexion invalide");
    });

    it("behind https: Secure, and the __Host- name (no other host or port can set it)", async () => {
      const response = await open(await link({ role: "NATIONAL" }), {
        origin: base,
        "x-forwarded-proto": "https",
      });
      const cookie = response.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/^__Host-maillage_hub=[\w-]+\.[\w-]+\.[\w-]+; /);
      expect(cookie).toContain("; Secure");
      expect(cookie).toContain("Path=/");
      expect(cookie).not.toContain("Domain");
    });

    it("refuses an expired link", async () => {
      const token = await link({ role: "NATIONAL", ttl: "1s" });
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect((await open(token)).status).toBe(400);
    });

    it("refuses a bearer token as a link, and a link as a bearer token", async () => {
      const bearer = await signHubToken(t.hub.keys, t.hub.config, { role: "NATIONAL" }, "1h");
      expect((await open(bearer)).status).toBe(400);
      expect((await open("not.a.jwt")).status).toBe(400);
      expect((await t.hub.fetch(`${base}/login`)).status).toBe(400);
      const tampered = `${await link({ role: "NATIONAL" })}x`;
      expect((await view(tampered)).status).toBe(400);

      const asBearer = await gql(SPACES_COUNT, {
        authorization: `Bearer ${await link({ role: "NATIONAL" })}`,
      });
      expect(asBearer.status).toBe(401);
      expect(asBearer.code).toBe("UNAUTHENTICATED");
    });

    it("signHubLoginLink prints <url>/login?t=… that works", async () => {
      const url = await signHubLoginLink(
        t.hub.config,
        { role: "FABRIQUE_ADMIN", fabriqueId },
        "http://127.0.0.1:4000/",
      );
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:4000\/login\?t=[\w-]+\.[\w-]+\.[\w-]+$/);
      const response = await open(new URL(url).searchParams.get("t") ?? "");
      expect(response.status).toBe(303);
    });
  });

  describe("the session", () => {
    it("GET /auth/session describes it; without a cookie 401", async () => {
      const { info } = await signIn({ role: "FABRIQUE_ADMIN", fabriqueId });
      expect(info).toMatchObject({
        server: "hub",
        role: "FABRIQUE_ADMIN",
        fabriqueId,
        fabriqueName,
        spaceId: null,
        memberId: null,
        nodeId: null,
      });
      expect(Date.parse((info as unknown as { expiresAt: string }).expiresAt)).toBeGreaterThan(
        Date.now() + 7 * 3600 * 1000,
      );
      expect(info.csrfToken).toMatch(/^[\w-]{43}$/);
      const anonymous = await t.hub.fetch(`${base}/auth/session`);
      expect(anonymous.status).toBe(401);
    });

    it("gives the same viewer as the bearer token: NATIONAL sees all, FABRIQUE_ADMIN its network", async () => {
      const national = await signIn({ role: "NATIONAL" });
      const admin = await signIn({ role: "FABRIQUE_ADMIN", fabriqueId });
      const bearerNational = await t.nationalToken();
      const bearerAdmin = await t.adminToken(fabriqueId);

      const all = await gql(SPACES_COUNT, {
        cookie: national.cookie,
        "x-maillage-csrf": national.csrf,
      });
      expect(all.body.data).toEqual(
        (await gql(SPACES_COUNT, { authorization: `Bearer ${bearerNational}` })).body.data,
      );
      const own = await gql(SPACES_COUNT, {
        cookie: admin.cookie,
        "x-maillage-csrf": admin.csrf,
      });
      expect(own.body.data).toEqual(
        (await gql(SPACES_COUNT, { authorization: `Bearer ${bearerAdmin}` })).body.data,
      );
      expect(own.body.data).not.toEqual(all.body.data);

      const refused = await gql(CREATE_FABRIQUE, {
        cookie: admin.cookie,
        "x-maillage-csrf": admin.csrf,
      });
      expect(refused.code).toBe("FORBIDDEN");
    });

    it("a POST with the cookie needs the session's x-maillage-csrf header from the same origin", async () => {
      const { cookie, csrf } = await signIn({ role: "NATIONAL" });
      const none = await gql(SPACES_COUNT, { cookie });
      expect(none.status).toBe(403);
      expect(none.code).toBe("CSRF_CHECK_FAILED");
      const wrong = await gql(CREATE_FABRIQUE, { cookie, "x-maillage-csrf": `${csrf}x` });
      expect(wrong.status).toBe(403);
      expect(wrong.code).toBe("CSRF_CHECK_FAILED");
      const crossOrigin = await gql(SPACES_COUNT, {
        cookie,
        "x-maillage-csrf": csrf,
        origin: "http://evil.example",
      });
      expect(crossOrigin.code).toBe("CSRF_CHECK_FAILED");
      const crossSite = await gql(SPACES_COUNT, {
        cookie,
        "x-maillage-csrf": csrf,
        "sec-fetch-site": "cross-site",
      });
      expect(crossSite.code).toBe("CSRF_CHECK_FAILED");
      // X-Forwarded-Host is not believed without TRUST_PROXY.
      const forwarded = await gql(SPACES_COUNT, {
        cookie,
        "x-maillage-csrf": csrf,
        origin: "http://evil.test",
        "x-forwarded-host": "evil.test",
      });
      expect(forwarded.status).toBe(403);
      expect(forwarded.code).toBe("CSRF_CHECK_FAILED");
      const ok = await gql(SPACES_COUNT, {
        cookie,
        "x-maillage-csrf": csrf,
        origin: base,
        "sec-fetch-site": "same-origin",
      });
      expect(ok.status).toBe(200);
      expect(ok.body.errors).toBeUndefined();
      // A bearer client is never checked.
      const bearer = await gql(SPACES_COUNT, {
        authorization: `Bearer ${await t.nationalToken()}`,
        origin: "http://elsewhere.example",
      });
      expect(bearer.body.errors).toBeUndefined();
      // A GET query with the cookie passes (yoga refuses mutations over GET).
      const get = await t.hub.fetch(`${base}/graphql?query=${encodeURIComponent(SPACES_COUNT)}`, {
        headers: { cookie, accept: "application/json" },
      });
      expect(((await get.json()) as { errors?: unknown }).errors).toBeUndefined();
    });

    it("answers no CORS headers", async () => {
      const response = await t.hub.fetch(`${base}/graphql`, {
        method: "OPTIONS",
        headers: {
          origin: "http://evil.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,x-maillage-csrf",
        },
      });
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    });

    it("POST /logout ends the session (with the CSRF header): its cookie is refused after", async () => {
      const { cookie, csrf } = await signIn({ role: "NATIONAL" });
      const refused = await t.hub.fetch(`${base}/logout`, { method: "POST", headers: { cookie } });
      expect(refused.status).toBe(403);
      expect((await gql(SPACES_COUNT, { cookie, "x-maillage-csrf": csrf })).status).toBe(200);
      const response = await t.hub.fetch(`${base}/logout`, {
        method: "POST",
        headers: { cookie, "x-maillage-csrf": csrf },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("set-cookie")).toMatch(/^maillage_hub=; .*Max-Age=0/);
      // The same cookie, kept by someone: refused now, on HTTP and for /auth/session.
      const after = await gql(SPACES_COUNT, { cookie, "x-maillage-csrf": csrf });
      expect(after.status).toBe(401);
      expect(after.code).toBe("UNAUTHENTICATED");
      expect((await t.hub.fetch(`${base}/auth/session`, { headers: { cookie } })).status).toBe(401);
      // Recorded in the database: another replica refuses it too (within its cache's seconds).
      const rows = await t.hub.services.store.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM session_end",
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
    });

    it("verifying a session does not re-read the key file on each request", async () => {
      const { cookie, csrf } = await signIn({ role: "NATIONAL" });
      const forced = vi.spyOn(t.hub.keys, "refresh");
      try {
        for (let i = 0; i < 3; i++) {
          expect((await gql(SPACES_COUNT, { cookie, "x-maillage-csrf": csrf })).status).toBe(200);
        }
        expect(forced).not.toHaveBeenCalled();
      } finally {
        forced.mockRestore();
      }
    });

    it("graphql-ws accepts the cookie from the same origin only", async () => {
      const { cookie } = await signIn({ role: "NATIONAL" });
      {
        const connect = (origin: string) =>
          new Promise<{ code?: number; data?: unknown }>((resolve) => {
            const client = createClient({
              url: `${url.replace("http", "ws")}/graphql`,
              retryAttempts: 0,
              lazy: false,
              onNonLazyError: () => {},
              webSocketImpl: class extends WebSocket {
                constructor(address: string, protocols?: string | string[]) {
                  super(address, protocols, { headers: { cookie, origin } });
                }
              },
              on: {
                closed: (event) => resolve({ code: (event as { code: number }).code }),
              },
            });
            client
              .iterate({ query: "query { spaces(first: 1) { totalCount } }" })
              .next()
              .then((result) => {
                resolve({ data: result.value?.data });
                void client.dispose();
              })
              .catch(() => undefined);
          });
        const same = await connect(url);
        expect(same.data).toMatchObject({ spaces: { totalCount: expect.any(Number) } });
        const cross = await connect("http://evil.example");
        expect(cross.code).toBe(4403);
      }
    });
  });

  describe("signing out with a socket open", () => {
    it("closes this replica's sockets of the session, and refuses the cookie on a new one", async () => {
      const { cookie, csrf } = await signIn({ role: "NATIONAL" });
      const open = () =>
        new Promise<{ socket: WebSocket; closed: Promise<number> }>((resolve, reject) => {
          const socket = new WebSocket(
            `${url.replace("http", "ws")}/graphql`,
            "graphql-transport-ws",
            {
              headers: { cookie, origin: url },
            },
          );
          const closed = new Promise<number>((done) => socket.on("close", (code) => done(code)));
          socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
          socket.on("message", (data) => {
            if (JSON.parse(String(data)).type === "connection_ack") resolve({ socket, closed });
          });
          socket.on("error", reject);
          void closed.then((code) => reject(new Error(`closed ${code}`)));
        });
      const first = await open();
      const out = await t.hub.fetch(`${base}/logout`, {
        method: "POST",
        headers: { cookie, "x-maillage-csrf": csrf },
      });
      expect(out.status).toBe(204);
      expect(await first.closed).toBe(4401);
      await expect(open()).rejects.toThrow("closed 4403");
    });
  });

  describe("the web app under /app/", () => {
    const get = (p: string, headers: Record<string, string> = {}) =>
      t.hub.fetch(`${base}${p}`, { headers, redirect: "manual" });

    it("serves index.html with its CSP, assets immutable, and refuses traversal", async () => {
      expect((await get("/app")).status).toBe(301);
      const index = await get("/app/");
      expect(index.status).toBe(200);
      expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(index.headers.get("cache-control")).toBe("no-cache");
      expect(index.headers.get("content-security-policy")).toContain("default-src 'self'");
      const fallback = await get("/app/dashboard/region/84");
      expect(fallback.status).toBe(200);
      expect(await fallback.text()).toContain("<title>app</title>");
      const asset = await get("/app/assets/main-abc123.js");
      expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect((await get("/app/assets/missing.js")).status).toBe(404);
      for (const p of ["/app/%2e%2e/%2e%2e/package.json", "/app/..%2f..%2fpackage.json"]) {
        const response = await get(p);
        expect(response.status).toBe(404);
      }
    });

    it("the landing page links to /app/; it and GraphiQL are nosniff and never framed", async () => {
      const landing = await fetch(`${url}/`);
      expect(landing.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(landing.headers.get("x-content-type-options")).toBe("nosniff");
      const html = await landing.text();
      expect(html).toContain('href="/app/"');
      const graphiql = await t.hub.fetch(`${base}/graphql`, { headers: { accept: "text/html" } });
      expect(graphiql.headers.get("x-content-type-options")).toBe("nosniff");
      expect(graphiql.headers.get("x-frame-options")).toBe("DENY");
    });
  });
}
