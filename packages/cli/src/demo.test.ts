import { describe, expect, it, vi } from "vitest";
import { runDemo } from "./demo.ts";
import { fakeContext, fakeHubApi } from "./test-support.ts";

describe("demo", () => {
  it("seeds, starts, prints the GraphiQL URL and a 12 h NATIONAL token, stops on a signal", async () => {
    const { api, calls } = fakeHubApi({ seeded: true });
    const io = fakeContext(api, { PORT: "4321" });
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("Press Ctrl-C to stop."));

    const banner = io.stdout();
    expect(banner).toContain("http://127.0.0.1:4321/graphql");
    expect(banner).toContain("export TOKEN=header.payload.signature");
    expect(banner).toContain("seeded a new demo network: 3 fabriques, 14 satellites");
    expect(banner).toContain("curl -s http://127.0.0.1:4321/graphql");
    expect(calls.tokens).toEqual([
      { config: expect.any(Object), claims: { role: "NATIONAL" }, ttl: "12h" },
    ]);

    io.stop();
    expect(await exit).toBe(0);
    expect(calls.stopped).toBe(1);
  });

  it("says so when it reuses existing data", async () => {
    const { api } = fakeHubApi({ seeded: false });
    const io = fakeContext(api);
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("reused the existing data"));
    io.stop();
    expect(await exit).toBe(0);
  });

  it("always runs on embedded storage, whatever DATABASE_URL and REDIS_URL say", async () => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api, {
      DATABASE_URL: "postgresql://prod/db",
      REDIS_URL: "redis://r:6379",
    });
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(calls.started).toBe(1));
    expect(calls.createHub[0]).toMatchObject({ databaseUrl: undefined, redisUrl: undefined });
    io.stop();
    await exit;
  });
});
