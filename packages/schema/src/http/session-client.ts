import { expect } from "vitest";

/** A server's HTTP handler called in process (`hub.fetch`, `agent.fetch`). */
export type InProcessFetch = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * For tests of the sign-in routes (createSessionRoutes) at the hub and at an agent: a browser's
 * requests to the server behind `fetch`, its pages at `base` (`http://hub.test`…). `fetch` is
 * called each time, so a suite may hand it before its server has started.
 */
export function sessionClient(fetch: InProcessFetch, base: string) {
  /** What a scanner or a preview does: GET the link (nothing used up). */
  const view = (token: string) =>
    fetch(`${base}/login?t=${encodeURIComponent(token)}`, { redirect: "manual" });

  /** The page's "Se connecter" button: a same-origin POST of the link. */
  const open = (token: string, headers: Record<string, string> = { origin: base }) =>
    fetch(`${base}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams({ t: token }).toString(),
    });

  /** Signs in with a fresh link: the cookie header and the session's CSRF token. */
  async function signIn(token: string) {
    const response = await open(token);
    expect(response.status).toBe(303);
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const session = await fetch(`${base}/auth/session`, { headers: { cookie } });
    const info = (await session.json()) as Record<string, unknown> & { csrfToken: string };
    return { cookie, csrf: info.csrfToken, info };
  }

  /** A GraphQL operation over HTTP: the status, the body and the first error's code. */
  async function gql(query: string, headers: Record<string, string>) {
    const response = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { extensions?: { code?: string } }[];
    };
    return { status: response.status, body, code: body.errors?.[0]?.extensions?.code };
  }

  return { view, open, signIn, gql };
}
