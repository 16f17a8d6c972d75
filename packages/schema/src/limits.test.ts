import { buildSchema, type GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  checkGraphQLLimits,
  DEFAULT_GRAPHQL_LIMITS,
  GraphQLLimitsEnv,
  graphqlLimitsFromEnv,
  parseWithinLimits,
} from "./limits.ts";

const schema = buildSchema(`
  type Space { id: ID! name: String! fabrique: Space satellites(first: Int): [Space!]! }
  type Query { spaces(first: Int): [Space!]! space(id: ID!): Space }
`);

const refusal = (errors: readonly GraphQLError[]) =>
  errors.map((e) => ({
    code: e.extensions.code,
    limit: e.extensions.limit,
    max: e.extensions.max,
  }));

const aliases = (n: number, field = "spaces(first: 50) { id name }") =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

describe("GraphQL limits (GraphQL Armor)", () => {
  it("lets an ordinary operation through", () => {
    expect(
      checkGraphQLLimits(schema, "{ spaces(first: 50) { id name fabrique { name } } }"),
    ).toEqual([]);
  });

  it("refuses too many aliases with QUERY_TOO_COMPLEX naming the limit", () => {
    const limits = { ...DEFAULT_GRAPHQL_LIMITS, maxAliases: 3 };
    expect(checkGraphQLLimits(schema, aliases(3, "space(id: 1) { id }"), limits)).toEqual([]);
    const errors = checkGraphQLLimits(schema, aliases(4, "space(id: 1) { id }"), limits);
    expect(refusal(errors)).toEqual([{ code: "QUERY_TOO_COMPLEX", limit: "aliases", max: 3 }]);
    expect(errors[0]?.message).toBe("Aliases limit of 3 exceeded, found 4.");
  });

  it("refuses a deep nesting", () => {
    const deep = `{ space(id: 1) { ${"fabrique { ".repeat(12)}id${" }".repeat(12)} } }`;
    expect(refusal(checkGraphQLLimits(schema, deep))).toEqual([
      { code: "QUERY_TOO_COMPLEX", limit: "depth", max: DEFAULT_GRAPHQL_LIMITS.maxDepth },
    ]);
  });

  it("refuses a costly operation (page sizes multiply)", () => {
    const costly = "{ spaces(first: 500) { satellites(first: 500) { id name } } }";
    expect(refusal(checkGraphQLLimits(schema, costly))).toEqual([
      { code: "QUERY_TOO_COMPLEX", limit: "cost", max: DEFAULT_GRAPHQL_LIMITS.maxCost },
    ]);
  });

  it("refuses too many directives", () => {
    const directives = `{ spaces { id ${"@include(if: true) ".repeat(25)} } }`;
    expect(refusal(checkGraphQLLimits(schema, directives))).toEqual([
      { code: "QUERY_TOO_COMPLEX", limit: "directives", max: DEFAULT_GRAPHQL_LIMITS.maxDirectives },
    ]);
  });

  it("stops the parser at the token limit: 2,000 aliases are not even parsed whole", () => {
    const huge = aliases(2000);
    // The parser itself stops at token 3,001 of about 20,000 (timings: npm run bench:limits).
    expect(() => parseWithinLimits(huge, DEFAULT_GRAPHQL_LIMITS)).toThrow(/Token limit of 3000/);
    expect(refusal(checkGraphQLLimits(schema, huge))).toEqual([
      { code: "QUERY_TOO_COMPLEX", limit: "tokens", max: DEFAULT_GRAPHQL_LIMITS.maxTokens },
    ]);
  });

  it("reads its overrides from the environment, defaults otherwise", () => {
    const env = z.object(GraphQLLimitsEnv);
    expect(graphqlLimitsFromEnv(env.parse({}))).toEqual(DEFAULT_GRAPHQL_LIMITS);
    expect(
      graphqlLimitsFromEnv(env.parse({ GRAPHQL_MAX_ALIASES: "5", GRAPHQL_MAX_BODY_BYTES: "1024" })),
    ).toEqual({ ...DEFAULT_GRAPHQL_LIMITS, maxAliases: 5, maxBodyBytes: 1024 });
    expect(env.safeParse({ GRAPHQL_MAX_DEPTH: "0" }).success).toBe(false);
    expect(env.safeParse({ GRAPHQL_MAX_COST: "lots" }).success).toBe(false);
  });
});
