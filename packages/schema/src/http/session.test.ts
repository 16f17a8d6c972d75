import { describe, expect, it } from "vitest";
import {
  agentSessionCookie,
  createSessionRoutes,
  isSameOrigin,
  parseCookies,
  passesCsrfCheck,
  serializeSessionCookie,
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
  it("redeem a link on GET only, and leave other paths alone", async () => {
    const redeemed: string[] = [];
    const routes = createSessionRoutes({
      server: "agent",
      cookieName: "maillage_agent_n1",
      redeemLoginLink: async (token) => {
        redeemed.push(token);
        return token === "good"
          ? {
              claims: { sub: "s", role: "MEMBER", fabriqueId: "f", memberId: "m" },
              sessionTtlSeconds: 60,
            }
          : null;
      },
      signSession: async () => "session.jwt.value",
      sessionOf: async () => null,
    });
    const head = await routes(
      new Request("http://127.0.0.1:4001/login?t=good", { method: "HEAD" }),
    );
    expect(head).toBeUndefined();
    expect(redeemed).toEqual([]);
    const ok = await routes(new Request("http://127.0.0.1:4001/login?t=good"));
    expect(ok?.status).toBe(303);
    expect(ok?.headers.get("set-cookie")).toBe(
      "maillage_agent_n1=session.jwt.value; HttpOnly; SameSite=Strict; Path=/; Max-Age=60",
    );
    const bad = await routes(new Request("http://127.0.0.1:4001/login?t=bad"));
    expect(bad?.status).toBe(400);
    expect(bad?.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await routes(new Request("http://127.0.0.1:4001/graphql"))).toBeUndefined();
    const anonymous = await routes(new Request("http://127.0.0.1:4001/auth/session"));
    expect(anonymous?.status).toBe(401);
  });
});
