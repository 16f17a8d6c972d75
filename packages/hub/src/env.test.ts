import { DEFAULT_GRAPHQL_LIMITS } from "@maillage/schema";
import { describe, expect, it } from "vitest";
import { ConfigError, loadHubConfig } from "./env.ts";

describe("loadHubConfig: GraphQL limits", () => {
  it("defaults to the documented limits", () => {
    expect(loadHubConfig({}).graphqlLimits).toEqual(DEFAULT_GRAPHQL_LIMITS);
  });

  it("reads each from its GRAPHQL_MAX_* variable", () => {
    expect(
      loadHubConfig({
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
  });

  it("refuses a limit that is not a positive integer, naming the variable", () => {
    expect(() => loadHubConfig({ GRAPHQL_MAX_DEPTH: "0" })).toThrow(ConfigError);
    expect(() => loadHubConfig({ GRAPHQL_MAX_COST: "lots" })).toThrow(/GRAPHQL_MAX_COST/);
  });
});
