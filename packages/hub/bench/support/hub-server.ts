// A hub in its own process, for the benches (started by servers.ts, never by hand): the load
// generator then does not share the hub's event loop, and process.cpuUsage() here is the
// hub's alone. Configured by the parent through BENCH_HUB (JSON: databaseUrl, dataDir,
// redisUrl, registryCache); answers the parent's IPC requests (servers.ts: ServerRequest).
import { pino } from "pino";
import { createHub } from "../../src/app.ts";
import { signHubToken } from "../../src/auth/tokens.ts";
import { loadHubConfig } from "../../src/env.ts";
import { serveParent } from "./child.ts";
import { NO_RATE_LIMITS } from "./no-rate-limits.ts";

const options = JSON.parse(process.env.BENCH_HUB ?? "{}") as {
  databaseUrl: string;
  dataDir: string;
  redisUrl?: string;
  /** false: the hub's registry cache off (REGISTRY_CACHE=false), to measure execution. */
  registryCache?: boolean;
};
const config = loadHubConfig(NO_RATE_LIMITS, {
  dataDir: options.dataDir,
  databaseUrl: options.databaseUrl,
  redisUrl: options.redisUrl,
  registryCache: options.registryCache ?? true,
  port: 0,
  logLevel: "silent",
});
const hub = await createHub(config, { logger: pino({ level: "silent" }) });
const { url } = await hub.start();
serveParent(url, {
  token: (claims) =>
    signHubToken(hub.keys, config, claims as Parameters<typeof signHubToken>[2], "2h"),
  stop: () => hub.stop(),
});
