import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { checkGraphQLLimits, DEFAULT_GRAPHQL_LIMITS } from "@maillage/schema";
import {
  type GraphQLSchema,
  getIntrospectionQuery,
  Lexer,
  Source,
  TokenKind,
  validate,
} from "graphql";
import { describe, expect, it } from "vitest";
import { schema as hubSchema } from "../../packages/hub/src/graphql/schema.ts";
import { schema as agentSchema } from "../../packages/node-agent/src/graphql/schema.ts";
import { findOperations } from "./operations.ts";

/**
 * Every operation the CLI, the demo, the agents' sync, the examples, the benches and the test
 * suites send stays within the default limits, at the server it is meant for. The files that
 * build over-limit operations on purpose (to check they are refused) are left out by name.
 */
const DELIBERATELY_OVER_LIMITS = [
  "packages/schema/src/limits.test.ts",
  "packages/hub/src/limits.test.ts",
  "packages/node-agent/src/limits.test.ts",
  "packages/hub/bench/limits.ts",
  "tests/limits/",
];

const { operations, files } = findOperations((file) =>
  DELIBERATELY_OVER_LIMITS.some((excluded) => file.startsWith(excluded)),
);

function targets(source: string): { name: string; schema: GraphQLSchema }[] {
  const servers = [
    { name: "hub", schema: hubSchema },
    { name: "agent", schema: agentSchema },
  ];
  const valid = servers.filter(({ schema }) => validate(schema, parseOrThrow(source)).length === 0);
  // A document valid at neither (a test of a validation error, a field being renamed) is still
  // checked against both: the limits do not depend on the schema.
  return valid.length > 0 ? valid : servers;
}

function parseOrThrow(source: string) {
  const found = operations.find((o) => o.source === source);
  if (!found) throw new Error("unknown source");
  return found.document;
}

/** What GraphQL Armor measures of a document (its accept callbacks report the value). */
function measure(schema: GraphQLSchema, source: string) {
  const measured = { depth: 0, aliases: 0, cost: 0, directives: 0, tokens: 0 };
  const record = (key: keyof typeof measured) => ({
    onAccept: [
      (_ctx: unknown, details: { n: number }) => {
        measured[key] = details.n;
      },
    ],
    propagateOnRejection: false,
  });
  validate(schema, parseOrThrow(source), [
    maxDepthRule({ n: Number.MAX_SAFE_INTEGER, ...record("depth") }),
    maxAliasesRule({ n: Number.MAX_SAFE_INTEGER, ...record("aliases") }),
    costLimitRule({ maxCost: Number.MAX_SAFE_INTEGER, ...record("cost") }),
    maxDirectivesRule({ n: Number.MAX_SAFE_INTEGER, ...record("directives") }),
  ] as Parameters<typeof validate>[2]);
  const lexer = new Lexer(new Source(source));
  while (lexer.advance().kind !== TokenKind.EOF) measured.tokens++;
  return measured;
}

describe("the operations this repository sends", () => {
  it("are found in realistic numbers (the scan cannot pass on nothing)", () => {
    expect(files).toBeGreaterThan(100);
    expect(operations.length).toBeGreaterThan(50);
    const valid = operations.filter(
      (o) =>
        validate(hubSchema, o.document).length === 0 ||
        validate(agentSchema, o.document).length === 0,
    );
    expect(valid.length).toBeGreaterThan(50);
    // The agents' sync operations, the CLI's and the example's are among them.
    const where = operations.map((o) => o.where).join("\n");
    expect(where).toMatch(/^packages\/schema\/src\/sync\/protocol\.ts/m);
    expect(where).toMatch(/^packages\/cli\/src\//m);
    expect(where).toMatch(/^examples\/national-query\/query\.ts/m);
  });

  it("none is refused by the default limits", () => {
    const refused: string[] = [];
    for (const op of operations) {
      for (const { name, schema } of targets(op.source)) {
        for (const error of checkGraphQLLimits(schema, op.source, DEFAULT_GRAPHQL_LIMITS)) {
          refused.push(`${op.where} (${name}): ${error.message}`);
        }
      }
    }
    expect(refused).toEqual([]);
  });

  it("GraphiQL's introspection query is within the limits too", () => {
    const introspection = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    expect(checkGraphQLLimits(hubSchema, introspection)).toEqual([]);
    expect(checkGraphQLLimits(agentSchema, introspection)).toEqual([]);
  });

  it("the largest of them, per limit, against the defaults", () => {
    const largest = { depth: 0, aliases: 0, cost: 0, directives: 0, tokens: 0 };
    const at: Record<string, string> = {};
    for (const op of operations) {
      for (const { schema } of targets(op.source)) {
        const m = measure(schema, op.source);
        for (const key of Object.keys(largest) as (keyof typeof largest)[]) {
          if (m[key] > largest[key]) {
            largest[key] = m[key];
            at[key] = op.where;
          }
        }
      }
    }
    console.info("largest operation per limit:", largest, at);
    const d = DEFAULT_GRAPHQL_LIMITS;
    expect(largest.depth).toBeLessThanOrEqual(d.maxDepth);
    expect(largest.aliases).toBeLessThanOrEqual(d.maxAliases);
    expect(largest.cost).toBeLessThanOrEqual(d.maxCost);
    expect(largest.directives).toBeLessThanOrEqual(d.maxDirectives);
    expect(largest.tokens).toBeLessThanOrEqual(d.maxTokens);
  });
});
