import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { describeSync, fabriqueSlug, runDemo } from "./demo.ts";
import { main } from "./main.ts";
import { fakeAgentApi, fakeContext, fakeHubApi } from "./test-support.ts";

describe("demo", () => {
  it("seeds, starts, prints the GraphiQL URL and a 12 h NATIONAL token, stops on a signal", async () => {
    const { api, calls } = fakeHubApi({ seeded: true });
    const io = fakeContext(api, { PORT: "4321" });
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("Press Ctrl-C to stop."));

    const banner = io.stdout();
    // GraphiQL opens signed in: the page reads the token from the fragment.
    expect(banner).toContain(
      "GraphiQL  http://127.0.0.1:4321/graphql#token=header.payload.signature\n",
    );
    expect(banner).toContain("export TOKEN=header.payload.signature");
    expect(banner).toContain("seeded a new demo network: 3 fabriques, 14 satellites");
    expect(banner).toContain("curl -s http://127.0.0.1:4321/graphql");
    expect(banner).toContain('"{ networkHealth {');
    expect(calls.tokens).toEqual([
      { config: expect.any(Object), claims: { role: "NATIONAL" }, ttl: "12h" },
    ]);
    // `hub report` and `hub token` find the demo's hub through its run file, while it runs.
    const dataDir = (calls.createHub[0] as { dataDir: string }).dataDir;
    expect(await api.readHubRun(dataDir)).toMatchObject({ url: "http://127.0.0.1:4321" });

    io.stop();
    expect(await exit).toBe(0);
    expect(calls.stopped).toBe(1);
    expect(await api.readHubRun(dataDir)).toBeUndefined();
  });

  it("prints the web app's one-time sign-in links first, in French, with a 12 h link TTL", async () => {
    const { api, calls } = fakeHubApi({ seeded: true });
    const io = fakeContext(api, { PORT: "4321" });
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("Press Ctrl-C to stop."));
    const banner = io.stdout();
    expect(banner).toContain("each link below opens one session");
    expect(banner).toContain(
      "  Tableau de bord national :\n    http://127.0.0.1:4321/login?t=hub.link.signature\n",
    );
    expect(banner.indexOf("Tableau de bord national")).toBeLessThan(banner.indexOf("GraphiQL"));
    expect(calls.loginLinks).toEqual([
      {
        config: expect.any(Object),
        request: { role: "NATIONAL", ttl: "12h" },
        baseUrl: "http://127.0.0.1:4321",
      },
    ]);
    io.stop();
    expect(await exit).toBe(0);
  });

  it("says so when it reuses existing data", async () => {
    const { api } = fakeHubApi({ seeded: false });
    const io = fakeContext(api);
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("reused the existing data"));
    expect(io.stdout()).not.toContain("History");
    io.stop();
    expect(await exit).toBe(0);
  });

  it("tells the story of the first start: a year of history, and which fabriques run no node agent", async () => {
    const { api, calls } = fakeHubApi({ seeded: true });
    const io = fakeContext(api, { PORT: "4321" }, fakeAgentApi().api);
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("Press Ctrl-C to stop."));
    // Nodes in the history for the fabriques that get an agent: the first two.
    expect(calls.seed).toContain("seedDemoNetwork nodes=2");
    const banner = io.stdout();
    expect(banner).toContain("History   2025-01-01 to 2025-12-31: 5,000 daily activity reports,");
    expect(banner).toContain(
      "4,000 bookings (300 requested by another network, 40 multi-day loans)",
    );
    expect(banner).toContain("No node agent: Fabrique C.");
    expect(banner).not.toMatch(/No node agent:.*Fabrique [AB]/);
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

describe("demo, node agents", () => {
  const agentsDir = (root: string) => path.join(root, "agents");

  async function tempDataDir() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-demo-cli-"));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    return dir;
  }

  it("enrols agents for the first two demo fabriques, starts them after the hub, prints their URLs and tokens", async () => {
    const root = await tempDataDir();
    const events: string[] = [];
    const hub = fakeHubApi({ seeded: true, events });
    const agent = fakeAgentApi({ events });
    const env = { PORT: "4321", DATA_DIR: root, DATABASE_URL: "postgresql://prod/db" };
    const io = fakeContext(hub.api, env, agent.api);
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("Press Ctrl-C to stop."));

    // The first two fabriques of DEMO_NETWORK, found by name among the hub's fabriques.
    expect(hub.calls.graphql).toEqual([
      { operation: "DemoFabriques", variables: {} },
      { operation: "EnrolDemoAgent", variables: { f: "global-2" } },
      { operation: "EnrolDemoAgent", variables: { f: "global-1" } },
    ]);
    const dirB = path.join(agentsDir(root), "fabrique-b");
    const dirA = path.join(agentsDir(root), "fabrique-a");
    expect(agent.calls.init).toEqual([
      { dataDir: dirB, hubUrl: "http://127.0.0.1:4321", code: "CODE-global-2" },
      { dataDir: dirA, hubUrl: "http://127.0.0.1:4321", code: "CODE-global-1" },
    ]);
    // Embedded storage, the hub of this start, the ports after the hub's.
    expect(agent.calls.createAgent).toMatchObject([
      { dataDir: dirB, port: 4322, hubUrl: "http://127.0.0.1:4321", databaseUrl: undefined },
      { dataDir: dirA, port: 4323, hubUrl: "http://127.0.0.1:4321", databaseUrl: undefined },
    ]);
    expect(agent.calls.tokens).toEqual([
      { dataDir: dirB, role: "FABRIQUE_ADMIN", ttl: "12h" },
      { dataDir: dirA, role: "FABRIQUE_ADMIN", ttl: "12h" },
    ]);

    // One store initialised for the hub, copied to each agent before anyone opens it.
    expect(hub.calls.seed.filter((call) => call.startsWith("copy ")).sort()).toEqual(
      [`copy ${dirB}`, `copy ${dirA}`].sort(),
    );

    const banner = io.stdout();
    expect(banner).toMatch(/Fabrique B\s+http:\/\/127\.0\.0\.1:4322\/graphql\s+\(enrolled now\)/);
    expect(banner).toContain("GraphiQL  http://127.0.0.1:4322/graphql#token=agent.header.payload");
    expect(banner).toContain("GraphiQL  http://127.0.0.1:4323/graphql#token=agent.header.payload");
    expect(banner).toMatch(/Fabrique A\s+http:\/\/127\.0\.0\.1:4323\/graphql\s+\(enrolled now\)/);
    expect(banner).toContain(
      "  Console de l'équipe — Fabrique B :\n    http://127.0.0.1:4322/login?t=agent.link.FABRIQUE_ADMIN\n",
    );
    expect(banner).toContain("Console de l'équipe — Fabrique A :");
    expect(banner).toContain("export AGENT1_TOKEN=agent.header.payload");
    expect(banner).toContain("export AGENT2_TOKEN=agent.header.payload");
    expect(banner).toContain("pulled from the hub: 2 satellites owned, outbox empty");
    expect(banner).toContain(`maillage agent status --data-dir ${dirB}`);
    // The first agent's trainings, made once both agents run; the second's members ask for one.
    expect(banner).toContain("Initiation à l'impression 3D: 4/4 places, 2 on the waitlist");
    expect(banner).toContain(
      "2 members of the second fabrique asked for the laser training from their own agent",
    );

    io.stop("SIGTERM");
    expect(await exit).toBe(0);
    expect(io.stdout()).toContain("Received SIGTERM, stopping the agents and the hub…");
    expect(events).toEqual(["stop agent fabrique-b", "stop agent fabrique-a", "stop hub"]);
  });

  it("reuses agents enrolled by an earlier start: no new code, no new enrolment", async () => {
    const hub = fakeHubApi({ seeded: false });
    const enrolled = ["/data/.maillage/agents/fabrique-b", "/data/.maillage/agents/fabrique-a"];
    const agent = fakeAgentApi({ enrolled });
    const io = fakeContext(hub.api, {}, agent.api);
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("Press Ctrl-C to stop."));
    expect(hub.calls.graphql.map((call) => call.operation)).toEqual(["DemoFabriques"]);
    expect(hub.calls.seed.filter((call) => call.startsWith("copy "))).toEqual([]);
    expect(agent.calls.init).toEqual([]);
    expect(agent.calls.createAgent.map((config) => config.dataDir)).toEqual(enrolled);
    expect(io.stdout()).toMatch(/Fabrique B\s+\S+\s+\(reused\)/);
    // Its trainings were made at its first start: none again.
    expect(io.stdout()).not.toContain("Trainings run by the first fabrique");
    io.stop();
    expect(await exit).toBe(0);
  });

  it("replaces an agent enrolled in an earlier demo hub when the hub's data is new", async () => {
    const root = await tempDataDir();
    const stale = path.join(agentsDir(root), "fabrique-b");
    await fs.mkdir(stale, { recursive: true });
    await fs.writeFile(path.join(stale, "old-data"), "");
    const hub = fakeHubApi({ seeded: true });
    const agent = fakeAgentApi({ enrolled: [stale] });
    const io = fakeContext(hub.api, { DATA_DIR: root }, agent.api);
    // The fake keeps its own record of enrolled dirs: it forgets the stale one at the new init.
    const initAgent = agent.api.initAgent;
    agent.api.initAgent = async (options) => {
      agent.enrolled.delete(options.dataDir);
      return initAgent(options);
    };
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("Press Ctrl-C to stop."));
    await expect(fs.stat(path.join(stale, "old-data"))).rejects.toThrow(/ENOENT/);
    expect(io.stdout()).toMatch(/Fabrique B\s+\S+\s+\(enrolled now, in place of the agent/);
    io.stop();
    await exit;
  });

  it("lets the agents pick free ports when the hub does (PORT=0)", async () => {
    const agent = fakeAgentApi();
    const io = fakeContext(fakeHubApi().api, { PORT: "0" }, agent.api);
    const exit = runDemo([], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("Press Ctrl-C to stop."));
    expect(agent.calls.createAgent.map((config) => config.port)).toEqual([0, 0]);
    io.stop();
    await exit;
  });

  it("stops the agents already built and the hub when an agent fails to start", async () => {
    const events: string[] = [];
    const error = Object.assign(new Error("listen EADDRINUSE: address already in use"), {
      code: "EADDRINUSE",
    });
    const hub = fakeHubApi({ events, seeded: false });
    const enrolled = ["/data/.maillage/agents/fabrique-b", "/data/.maillage/agents/fabrique-a"];
    const agent = fakeAgentApi({ events, enrolled, startFails: error });
    const io = fakeContext(hub.api, {}, agent.api);
    expect(await main(["demo"], io.ctx)).toBe(1);
    expect(io.stderr()).toBe("maillage: listen EADDRINUSE: address already in use\n");
    expect(events.at(-1)).toBe("stop hub");
    expect(events.filter((event) => event.startsWith("stop agent"))).toHaveLength(2);
  });
});

describe("fabriqueSlug", () => {
  it("names an agent's directory after its fabrique", () => {
    expect(fabriqueSlug("La Fabrique du Vivarais")).toBe("la-fabrique-du-vivarais");
    expect(fabriqueSlug("La Fabrique des Cévennes")).toBe("la-fabrique-des-cevennes");
    expect(fabriqueSlug("  L'Atelier d'Aubenas ")).toBe("l-atelier-d-aubenas");
  });
});

describe("describeSync", () => {
  const pulled = {
    nodeId: "n",
    fabriqueId: "f",
    oldestPendingAt: null,
    lastPushAt: null,
    lastPullAt: "2026-01-01T00:00:00.000Z",
    pullCursor: "1",
    hubReachable: true,
    lagSeconds: 0,
    poisoned: null,
    lastError: null,
    lastErrorAt: null,
  };
  it("says how many events wait in the outbox", () => {
    expect(describeSync({ ...pulled, outboxPending: 0 }, 6)).toBe(
      "pulled from the hub: 6 satellites owned, outbox empty",
    );
    expect(describeSync({ ...pulled, outboxPending: 1 }, 6)).toContain("1 event to push");
    expect(describeSync({ ...pulled, outboxPending: 2 }, 6)).toContain("2 events to push");
  });
});
