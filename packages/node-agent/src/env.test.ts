import path from "node:path";
import { DEFAULT_GRAPHQL_LIMITS } from "@maillage/schema";
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

  it("reads the GraphQL limits from GRAPHQL_MAX_*, the documented defaults otherwise", () => {
    expect(loadAgentConfig({}).graphqlLimits).toEqual(DEFAULT_GRAPHQL_LIMITS);
    expect(
      loadAgentConfig({
        GRAPHQL_MAX_DEPTH: "6",
        GRAPHQL_MAX_ALIASES: "5",
        GRAPHQL_MAX_TOKENS: "800",
        GRAPHQL_MAX_COST: "1000",
        GRAPHQL_MAX_DIRECTIVES: "4",
        GRAPHQL_MAX_BODY_BYTES: "65536",
      }).graphqlLimits,
    ).toEqual({
      maxDepth: 6,
      maxAliases: 5,
      maxTokens: 800,
      maxCost: 1000,
      maxDirectives: 4,
      maxBodyBytes: 65536,
    });
    expect(() => loadAgentConfig({ GRAPHQL_MAX_ALIASES: "-1" })).toThrow(/GRAPHQL_MAX_ALIASES/);
  });

  it("refuses a bad variable with a ConfigError naming it", () => {
    expect(() => loadAgentConfig({ PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadAgentConfig({ HUB_URL: "hub" })).toThrow(/HUB_URL/);
  });
});
