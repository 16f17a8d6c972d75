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

/** A fabrique's id (a ULID). */
const FABRIQUE = "01JC4Z8Q6X1V9T2B3N4M5P6R7S";

type Asked = { url: string; auth: string | null; variables: Record<string, unknown> };

/** A hub that answers the fabrique check with `space` (or throws `error`), recording requests. */
function fakeHubAnswering(io: ReturnType<typeof fakeContext>, answer: unknown | Error) {
  const asked: Asked[] = [];
  io.ctx.fetch = (async (url: string, init: RequestInit) => {
    asked.push({
      url,
      auth: new Headers(init.headers).get("authorization"),
      variables: JSON.parse(String(init.body)).variables,
    });
    if (answer instanceof Error) throw answer;
    return Response.json(answer);
  }) as typeof fetch;
  return asked;
}

describe("hub token", () => {
  it("prints the token and a newline on stdout, and says on stderr when no hub could verify the fabrique", async () => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api);
    const asked = fakeHubAnswering(io, new TypeError("fetch failed"));
    const code = await runHubToken(
      ["--role", "FABRIQUE_ADMIN", "--fabrique", FABRIQUE, "--ttl", "8h"],
      io.ctx,
    );
    expect(code).toBe(0);
    expect(io.stdout()).toBe("header.payload.signature\n");
    expect(asked.map((a) => a.url)).toEqual(["http://127.0.0.1:4000/graphql"]);
    expect(io.stderr()).toBe(
      `maillage: warning: could not verify that ${FABRIQUE} is a fabrique: no hub answers at http://127.0.0.1:4000 (the default port); signed anyway\n`,
    );
    expect(calls.tokens.at(-1)).toEqual({
      config: expect.any(Object),
      claims: { role: "FABRIQUE_ADMIN", fabriqueId: FABRIQUE },
      ttl: "8h",
    });
  });

  it("reads a lower-case id as the upper-case one the hub's scopes compare", async () => {
    for (const given of [FABRIQUE.toLowerCase()]) {
      const { api, calls } = fakeHubApi();
      const io = fakeContext(api);
      fakeHubAnswering(io, new TypeError("fetch failed"));
      expect(await runHubToken(["--role", "FABRIQUE_ADMIN", "--fabrique", given], io.ctx)).toBe(0);
      expect(calls.tokens.at(-1)?.claims).toEqual({ role: "FABRIQUE_ADMIN", fabriqueId: FABRIQUE });
    }
  });

  it.each([
    ["fab_1", /is not a fabrique id/],
    ["fab 1", /is not a fabrique id/],
    [`${FABRIQUE}X`, /is not a fabrique id/],
    [`8${FABRIQUE.slice(1)}`, /is not a fabrique id/],
    [FABRIQUE.replace("J", "I"), /is not a fabrique id/],
    // The base64 "Relay global id" form is no id of Maillage's (one form everywhere).
    [Buffer.from(`Space:${FABRIQUE}`).toString("base64"), /is not a fabrique id/],
  ])("refuses --fabrique %s with a usage error, signing nothing", async (given, reason) => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api);
    const asked = fakeHubAnswering(io, new TypeError("fetch failed"));
    expect(
      await main(["hub", "token", "--role", "FABRIQUE_ADMIN", "--fabrique", given], io.ctx),
    ).toBe(2);
    expect(io.stdout()).toBe("");
    expect(io.stderr()).toMatch(/^maillage: --fabrique "[^"]+" [^\n]+\n$/);
    expect(io.stderr()).toMatch(reason);
    expect(calls.tokens).toEqual([]);
    expect(asked).toEqual([]);
  });

  it("asks the running hub, found by its run file, whether the id is a fabrique", async () => {
    const { api, calls } = fakeHubApi({
      running: { "/data/.maillage/hub": "http://127.0.0.1:4321" },
    });
    const io = fakeContext(api);
    const asked = fakeHubAnswering(io, {
      data: { space: { kind: "FABRIQUE", name: "La Fabrique du Vivarais", fabrique: null } },
    });
    expect(
      await main(["hub", "token", "--role", "FABRIQUE_ADMIN", "--fabrique", FABRIQUE], io.ctx),
    ).toBe(0);
    expect(io.stderr()).toBe("");
    expect(io.stdout()).toBe("header.payload.signature\n");
    // Asked with a short NATIONAL token, by the raw id.
    expect(asked).toEqual([
      {
        url: "http://127.0.0.1:4321/graphql",
        auth: "Bearer header.payload.signature",
        variables: { id: FABRIQUE },
      },
    ]);
    expect(calls.tokens.map((t) => [t.claims, t.ttl])).toEqual([
      [{ role: "NATIONAL" }, "1m"],
      [{ role: "FABRIQUE_ADMIN", fabriqueId: FABRIQUE }, "1h"],
    ]);
  });

  it.each([
    [
      { data: { space: null } },
      /^maillage: NOT_FOUND: the hub at http:\/\/127\.0\.0\.1:4999 knows no space /,
    ],
    [
      {
        data: { space: { kind: "SATELLITE", name: "Le Local", fabrique: { name: "La Fabrique" } } },
      },
      /^maillage: NOT_A_FABRIQUE: 01JC4Z8Q6X1V9T2B3N4M5P6R7S is Le Local, a satellite of La Fabrique/,
    ],
  ])("refuses what the running hub does not know as a fabrique: %j", async (answer, message) => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api, { PORT: "4999" });
    fakeHubAnswering(io, answer);
    expect(
      await main(["hub", "token", "--role", "FABRIQUE_ADMIN", "--fabrique", FABRIQUE], io.ctx),
    ).toBe(1);
    expect(io.stdout()).toBe("");
    expect(io.stderr()).toMatch(/^maillage: [^\n]+\n$/);
    expect(io.stderr()).toMatch(message);
    expect(calls.tokens.map((t) => t.claims)).toEqual([{ role: "NATIONAL" }]);
  });

  it("signs with a warning when the hub that answers refuses this data dir's keys", async () => {
    const { api } = fakeHubApi();
    const io = fakeContext(api);
    fakeHubAnswering(io, {
      errors: [{ message: "invalid or expired token", extensions: { code: "UNAUTHENTICATED" } }],
    });
    expect(await runHubToken(["--role", "FABRIQUE_ADMIN", "--fabrique", FABRIQUE], io.ctx)).toBe(0);
    expect(io.stdout()).toBe("header.payload.signature\n");
    expect(io.stderr()).toMatch(
      /^maillage: warning: could not verify .* does not accept this data dir's keys/,
    );
  });

  it("loads neither the hub nor the agent, and never creates a hub", async () => {
    const { api, calls } = fakeHubApi();
    const io = fakeContext(api);
    io.ctx.loadHub = () => Promise.reject(new Error("the hub must not be loaded"));
    io.ctx.loadAgent = () => Promise.reject(new Error("the agent must not be loaded"));
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

  it("writes its URL in the data dir's run file while it runs, and removes it when stopping", async () => {
    const { api, runFiles } = fakeHubApi();
    const io = fakeContext(api);
    const exit = runHubStart(["--port", "4321", "--data-dir", "state/hub"], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("listening"));
    expect(runFiles.get("/work/here/state/hub")?.url).toBe("http://127.0.0.1:4321");
    io.stop("SIGTERM");
    expect(await exit).toBe(0);
    expect(runFiles.size).toBe(0);
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
