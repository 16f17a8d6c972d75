import { describe, expect, it, vi } from "vitest";
import { commandHelp } from "./args.ts";
import {
  HUB_START,
  HUB_TOKEN,
  hubStartOptions,
  hubTokenOptions,
  runHubStart,
  runHubToken,
} from "./hub.ts";
import { main } from "./main.ts";
import { fakeContext, fakeHubApi } from "./test-support.ts";

describe("hub token", () => {
  it("prints the token and a newline, nothing else, on stdout", async () => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api);
    const code = await runHubToken(
      ["--role", "FABRIQUE_ADMIN", "--fabrique", "fab_1", "--ttl", "8h"],
      io.ctx,
    );
    expect(code).toBe(0);
    expect(io.stdout()).toBe("header.payload.signature\n");
    expect(io.stderr()).toBe("");
    expect(calls.tokens).toEqual([
      {
        config: expect.any(Object),
        claims: { role: "FABRIQUE_ADMIN", fabriqueId: "fab_1" },
        ttl: "8h",
      },
    ]);
  });

  it("never creates a hub (the database may be held by a running hub)", async () => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api);
    expect(await runHubToken(["--role", "NATIONAL"], io.ctx)).toBe(0);
    expect(calls.createHub).toEqual([]);
    expect(calls.tokens[0]).toMatchObject({ claims: { role: "NATIONAL" }, ttl: "1h" });
    expect(calls.tokens[0]?.claims).not.toHaveProperty("fabriqueId");
  });

  it("reads the key from --data-dir, resolved against the working directory", async () => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api);
    await runHubToken(["--role", "NATIONAL", "--data-dir", "state/hub"], io.ctx);
    expect(calls.tokens[0]?.config.dataDir).toBe("/work/here/state/hub");
  });

  it("accepts the ttl forms it documents", () => {
    for (const ttl of ["30s", "15m", "1h", "7d", "365d"]) {
      expect(hubTokenOptions({ role: "NATIONAL", ttl }, "/").ttl).toBe(ttl);
    }
  });
});

describe("hub start", () => {
  it("applies --port and --data-dir over the environment", () => {
    expect(hubStartOptions({ port: "0", "data-dir": "../hub" }, "/srv/maillage")).toEqual({
      port: 0,
      dataDir: "/srv/hub",
    });
    expect(hubStartOptions({}, "/")).toEqual({ port: undefined, dataDir: undefined });
  });

  it("starts, says where it listens, and stops cleanly on a signal", async () => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api, { PORT: "4100" });
    const exit = runHubStart(["--port", "4200"], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("listening on http://127.0.0.1:4200"));
    expect(calls.createHub[0]?.port).toBe(4200);
    expect(io.stdout()).toContain("embedded PGlite in /data/.maillage/hub");
    expect(calls.stopped).toBe(0);

    io.stop("SIGTERM");
    expect(await exit).toBe(0);
    expect(calls.stopped).toBe(1);
    expect(io.stdout()).toContain("Received SIGTERM");
  });

  it("names PostgreSQL and Redis without printing their URLs", async () => {
    const { api } = fakeHubApi();
    const env = { DATABASE_URL: "postgresql://u:secret@db/x", REDIS_URL: "redis://:secret@r:6379" };
    const io = fakeContext(api, env);
    const exit = runHubStart([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("listening"));
    io.stop();
    await exit;
    expect(io.stdout()).toContain("PostgreSQL");
    expect(io.stdout()).toContain("Redis");
    expect(io.stdout()).not.toContain("secret");
  });
});

describe("hub start, when things go wrong", () => {
  it("exits at once with 130 on Ctrl-C while the hub is still starting", async () => {
    const { api, calls } = fakeHubApi({ createHangs: true });
    const io = fakeContext(api);
    const exit = runHubStart([], io.ctx);
    await vi.waitFor(() => expect(calls.createHub).toHaveLength(1));
    io.stop("SIGINT");
    expect(await exit).toBe(130);
    expect(io.stderr()).toBe("maillage: received SIGINT while starting, exiting\n");
  });

  it("stops the hub it built when start fails, and reports the error", async () => {
    const error = Object.assign(new Error("listen EADDRINUSE: address already in use"), {
      code: "EADDRINUSE",
    });
    const { api, calls } = fakeHubApi({ startFails: error });
    const io = fakeContext(api);
    expect(await main(["hub", "start"], io.ctx)).toBe(1);
    expect(calls.stopped).toBe(1);
    expect(io.stderr()).toBe("maillage: listen EADDRINUSE: address already in use\n");
  });
});

describe("help texts", () => {
  it("list every option of the command", () => {
    const start = commandHelp(HUB_START);
    expect(start).toMatch(/^Usage: maillage hub start \[options\]\n/);
    expect(start).toContain("--port <port>");
    expect(start).toContain("--data-dir <dir>");
    const token = commandHelp(HUB_TOKEN);
    for (const flag of [
      "--role <role>",
      "--fabrique <id>",
      "--ttl <ttl>",
      "--data-dir <dir>",
      "-h, --help",
    ]) {
      expect(token).toContain(flag);
    }
  });
});
