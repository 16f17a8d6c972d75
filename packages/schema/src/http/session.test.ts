import { describe, expect, it } from "vitest";
import {
  agentSessionCookie,
  createSessionEnds,
  createSessionRoutes,
  isLoginPostSameOrigin,
  isSameOrigin,
  parseCookies,
  passesCsrfCheck,
  type SessionRoutesOptions,
  serializeSessionCookie,
  sessionCookieOf,
} from "./session.ts";

const headers = (h: Record<string, string>) => (name: string) => h[name];

describe("session cookies", () => {
  it("parses a Cookie header", () => {
    const cookies = parseCookies('a=1; maillage_hub=x.y.z; b="q"; a=2');
    expect(cookies.get("maillage_hub")).toBe("x.y.z");
    expect(cookies.get("a")).toBe("1");
    expect(cookies.get("b")).toBe("q");
    expect(parseCookies(null).size).toBe(0);
  });

  it("serializes httpOnly, SameSite=Strict, Path=/ and Secure when asked", () => {
    expect(serializeSessionCookie("n", "v", { maxAgeSeconds: 60, secure: false })).toBe(
      "n=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=60",
    );
    expect(serializeSessionCookie("n", "v", { maxAgeSeconds: 60, secure: true })).toMatch(
      /; Secure$/,
    );
  });

  it("names each agent's cookie after its node", () => {
    expect(agentSessionCookie("01JNODE")).toBe("maillage_agent_01JNODE");
  });
});

describe("same origin and CSRF", () => {
  it("compares Origin with the Host, and refuses a cross-site fetch", () => {
    expect(isSameOrigin(headers({ host: "127.0.0.1:4000" }))).toBe(true);
    expect(isSameOrigin(headers({ host: "127.0.0.1:4000", origin: "http://127.0.0.1:4000" }))).toBe(
      true,
    );
    // Cookies ignore ports; origins do not: the hub's page may not call an agent with its cookie.
    expect(isSameOrigin(headers({ host: "127.0.0.1:4000", origin: "http://127.0.0.1:4001" }))).toBe(
      false,
    );
    expect(isSameOrigin(headers({ host: "127.0.0.1:4000", origin: "null" }))).toBe(false);
    expect(isSameOrigin(headers({ host: "a", "sec-fetch-site": "cross-site" }))).toBe(false);
    expect(isSameOrigin(headers({ host: "a", "sec-fetch-site": "same-site" }))).toBe(false);
    expect(isSameOrigin(headers({ host: "a", "sec-fetch-site": "same-origin" }))).toBe(true);
  });

  it("needs the session's token on any method but GET", () => {
    const session = { csrf: "t".repeat(43) };
    const request = (method: string, h: Record<string, string>) =>
      new Request("http://127.0.0.1:4000/graphql", { method, headers: h });
    expect(passesCsrfCheck(request("GET", {}), session)).toBe(true);
    expect(passesCsrfCheck(request("POST", {}), session)).toBe(false);
    expect(passesCsrfCheck(request("POST", { "x-maillage-csrf": "t".repeat(42) }), session)).toBe(
      false,
    );
    expect(passesCsrfCheck(request("POST", { "x-maillage-csrf": session.csrf }), session)).toBe(
      true,
    );
    expect(
      passesCsrfCheck(
        request("POST", { "x-maillage-csrf": session.csrf, origin: "http://evil.example" }),
        session,
      ),
    ).toBe(false);
  });
});

describe("the session routes", () => {
  const origin = "http://127.0.0.1:4001";
  function routesFor(overrides: Partial<SessionRoutesOptions> = {}) {
    const redeemed: string[] = [];
    const used = new Set<string>();
    const ended: string[] = [];
    const routes = createSessionRoutes({
      server: "agent",
      cookieName: "maillage_agent_n1",
      checkLoginLink: async (token) => token === "good" && !used.has(token),
      redeemLoginLink: async (token) => {
        redeemed.push(token);
        if (token !== "good" || used.has(token)) return null;
        used.add(token);
        return {
          claims: { sub: "s", role: "MEMBER", fabriqueId: "f", memberId: "m" },
          sessionTtlSeconds: 60,
        };
      },
      signSession: async () => "session.jwt.value",
      sessionOf: async () => null,
      endSession: async (session) => {
        ended.push(session.jti);
      },
      ...overrides,
    });
    return { routes, redeemed, ended };
  }
  const post = (token: string, headers: Record<string, string> = { origin }) =>
    new Request(`${origin}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams({ t: token }).toString(),
    });

  it("GET /login shows a French-first page whose form POSTs the link; it uses nothing up", async () => {
    const { routes, redeemed } = routesFor();
    for (let i = 0; i < 2; i++) {
      const page = await routes(new Request(`${origin}/login?t=good`));
      expect(page?.status).toBe(200);
      expect(page?.headers.get("set-cookie")).toBeNull();
      expect(page?.headers.get("cache-control")).toBe("no-store");
      expect(page?.headers.get("x-content-type-options")).toBe("nosniff");
      expect(page?.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(page?.headers.get("content-security-policy")).toContain("form-action 'self'");
      expect(page?.headers.get("referrer-policy")).toBe("strict-origin");
      const html = (await page?.text()) ?? "";
      expect(html).toContain('<html lang="fr">');
      expect(html).toContain('<form method="post" action="/login">');
      expect(html).toContain('<input type="hidden" name="t" value="good" />');
      expect(html).toContain(">Se connecter</button>");
      expect(html).not.toContain("<script");
    }
    expect(redeemed).toEqual([]);
    const head = await routes(new Request(`${origin}/login?t=good`, { method: "HEAD" }));
    expect(head).toBeUndefined();
    // The button: 303 once, with the cookie; then the link is used up.
    const ok = await routes(post("good"));
    expect(ok?.status).toBe(303);
    expect(ok?.headers.get("location")).toBe("/app/");
    expect(ok?.headers.get("set-cookie")).toBe(
      "maillage_agent_n1=session.jwt.value; HttpOnly; SameSite=Strict; Path=/; Max-Age=60",
    );
    expect((await routes(post("good")))?.status).toBe(400);
    // A used or bad link: the error page at once, on GET too.
    const used = await routes(new Request(`${origin}/login?t=good`));
    expect(used?.status).toBe(400);
    expect(await used?.text()).toContain("LOGIN_LINK_INVALID");
    const bad = await routes(new Request(`${origin}/login?t=bad`));
    expect(bad?.status).toBe(400);
    expect(bad?.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(bad?.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(bad?.headers.get("x-content-type-options")).toBe("nosniff");
    expect(bad?.headers.get("cache-control")).toBe("no-store");
    expect(await routes(new Request(`${origin}/graphql`))).toBeUndefined();
    const anonymous = await routes(new Request(`${origin}/auth/session`));
    expect(anonymous?.status).toBe(401);
  });

  it("POST /login redeems only from this server's own page (login CSRF)", async () => {
    const { routes, redeemed } = routesFor();
    const attempts: Record<string, string>[] = [
      { origin: "http://evil.example" },
      { origin: "http://127.0.0.1:4000" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site", origin },
      { origin: "null" },
      {},
    ];
    for (const headers of attempts) {
      const refused = await routes(post("good", headers));
      expect(refused?.status).toBe(403);
      expect((await refused?.text())?.includes('"code":"CSRF_CHECK_FAILED"')).toBe(true);
    }
    expect(redeemed).toEqual([]);
    // `Origin: null` (a no-referrer page) passes with Sec-Fetch-Site: same-origin.
    const ok = await routes(post("good", { origin: "null", "sec-fetch-site": "same-origin" }));
    expect(ok?.status).toBe(303);
  });

  it("over https (or COOKIE_SECURE) the cookie is __Host- and Secure", async () => {
    const { routes } = routesFor({ policy: { cookieSecure: true, trustProxy: false } });
    const ok = await routes(post("good"));
    expect(ok?.headers.get("set-cookie")).toBe(
      "__Host-maillage_agent_n1=session.jwt.value; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure",
    );
    const proxied = routesFor();
    const behindTls = await proxied.routes(post("good", { origin, "x-forwarded-proto": "https" }));
    expect(behindTls?.headers.get("set-cookie")).toMatch(/^__Host-maillage_agent_n1=.*; Secure$/);
  });

  it("POST /logout ends the session itself", async () => {
    const session = {
      sub: "s",
      role: "MEMBER" as const,
      fabriqueId: "f",
      memberId: "m",
      exp: Math.floor(Date.now() / 1000) + 60,
      csrf: "c".repeat(43),
      jti: "session-1",
    };
    const { routes, ended } = routesFor({ sessionOf: async () => session });
    const refused = await routes(new Request(`${origin}/logout`, { method: "POST" }));
    expect(refused?.status).toBe(403);
    expect(ended).toEqual([]);
    const out = await routes(
      new Request(`${origin}/logout`, {
        method: "POST",
        headers: { "x-maillage-csrf": session.csrf, origin },
      }),
    );
    expect(out?.status).toBe(204);
    expect(out?.headers.get("set-cookie")).toMatch(/^maillage_agent_n1=; .*Max-Age=0/);
    expect(ended).toEqual(["session-1"]);
  });
});

describe("cookie names, proxies and ended sessions", () => {
  it("reads __Host-<name> first; over https a plain-named (tossable) cookie is ignored", () => {
    const get = headers({ cookie: "maillage_hub=tossed; __Host-maillage_hub=real" });
    expect(sessionCookieOf(get, "maillage_hub")).toBe("real");
    expect(sessionCookieOf(get, "maillage_hub", true)).toBe("real");
    const plain = headers({ cookie: "maillage_hub=plain" });
    expect(sessionCookieOf(plain, "maillage_hub")).toBe("plain");
    expect(sessionCookieOf(plain, "maillage_hub", true)).toBeUndefined();
  });

  it("believes X-Forwarded-Host only under TRUST_PROXY", () => {
    const forged = headers({
      host: "hub.test",
      origin: "http://evil.test",
      "x-forwarded-host": "evil.test",
    });
    expect(isSameOrigin(forged, "hub.test")).toBe(false);
    expect(isSameOrigin(forged, "hub.test", { cookieSecure: false, trustProxy: true })).toBe(true);
    expect(isLoginPostSameOrigin(forged, "hub.test")).toBe(false);
  });

  it("caches whether a session was ended for a few seconds at most", async () => {
    let clock = 0;
    const ended = new Set<string>();
    let looks = 0;
    const ends = createSessionEnds({
      isEnded: async (jti) => {
        looks += 1;
        return ended.has(jti);
      },
      end: async (jti) => {
        ended.add(jti);
      },
      checkMs: 5000,
      now: () => clock,
    });
    expect(await ends.isEnded("a")).toBe(false);
    ended.add("a"); // ended at another replica
    clock = 4999;
    expect(await ends.isEnded("a")).toBe(false);
    clock = 5000;
    expect(await ends.isEnded("a")).toBe(true);
    expect(looks).toBe(2);
    await ends.end("b", new Date());
    expect(await ends.isEnded("b")).toBe(true);
    expect(looks).toBe(2);
  });
});
