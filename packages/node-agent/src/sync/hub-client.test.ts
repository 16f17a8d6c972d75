import { describe, expect, it } from "vitest";
import { createHubClient, type FetchLike, retryAfterSeconds } from "./hub-client.ts";

describe("hub client: rate limits", () => {
  const answering =
    (status: number, body: string, headers: Record<string, string> = {}): FetchLike =>
    async () =>
      new Response(body, { status, headers });
  const pull = (fetch: FetchLike) =>
    createHubClient({ hubUrl: "http://hub.test", fetch }).pullChanges("token", {
      after: "0",
      limit: 10,
    });
  const refusal = (extensions: Record<string, unknown>) =>
    JSON.stringify({ errors: [{ message: "too many requests", extensions }] });

  it("reads retryAfterSeconds, the Retry-After header, and keeps the later of the two", async () => {
    await expect(
      pull(answering(429, refusal({ code: "RATE_LIMITED", retryAfterSeconds: 7 }))),
    ).rejects.toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 7 } });
    await expect(
      pull(answering(429, refusal({ code: "RATE_LIMITED" }), { "retry-after": "2" })),
    ).rejects.toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 2 } });
    await expect(
      pull(
        answering(429, refusal({ code: "RATE_LIMITED", retryAfterSeconds: 3 }), {
          "retry-after": "5",
        }),
      ),
    ).rejects.toMatchObject({ details: { retryAfterSeconds: 5 } });
  });

  it("takes a 429 without a GraphQL body (a proxy's) as rate limited, not as a hub down", async () => {
    await expect(
      pull(answering(429, "Too Many Requests", { "retry-after": "30" })),
    ).rejects.toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 30 } });
    const error = await pull(answering(429, "")).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "RATE_LIMITED", details: {} });
  });

  it("parses Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-12-07T10:00:00Z");
    expect(retryAfterSeconds("120", now)).toBe(120);
    expect(retryAfterSeconds(" 0 ", now)).toBe(0);
    expect(retryAfterSeconds("Mon, 07 Dec 2026 10:00:42 GMT", now)).toBe(42);
    expect(retryAfterSeconds("Mon, 07 Dec 2026 09:59:00 GMT", now)).toBe(0);
    expect(retryAfterSeconds("-3", now)).toBeUndefined();
    expect(retryAfterSeconds("later", now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
  });
});
