import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadAgentConfig } from "./env.ts";

describe("loadAgentConfig", () => {
  it("defaults to 127.0.0.1:4100, embedded PGlite under DATA_DIR/agent", () => {
    const config = loadAgentConfig({});
    expect(config).toMatchObject({
      port: 4100,
      host: "127.0.0.1",
      databaseUrl: undefined,
      hubUrl: undefined,
      hubAudience: "maillage",
      dataDir: path.resolve(".maillage", "agent"),
    });
    expect(config.sync.backoff).toEqual({ baseMs: 500, capMs: 30_000 });
  });

  it("reads the environment; options override it, undefined ones do not", () => {
    const env = {
      PORT: "4200",
      DATA_DIR: "/srv/maillage",
      HUB_URL: "https://hub.example",
      LOG_LEVEL: "warn",
    };
    expect(loadAgentConfig(env)).toMatchObject({
      port: 4200,
      dataDir: "/srv/maillage/agent",
      hubUrl: "https://hub.example",
      logLevel: "warn",
    });
    expect(loadAgentConfig(env, { port: undefined, dataDir: "/tmp/a" })).toMatchObject({
      port: 4200,
      dataDir: "/tmp/a",
    });
  });

  it("refuses a bad variable with a ConfigError naming it", () => {
    expect(() => loadAgentConfig({ PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadAgentConfig({ HUB_URL: "hub" })).toThrow(/HUB_URL/);
  });
});
