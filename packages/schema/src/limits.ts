import { costLimitPlugin, costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesPlugin, maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin, maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin, maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { MaxTokensParserWLexer, maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  type Source,
  type ValidationContext,
  type ValidationRule,
  validate,
} from "graphql";
import { z } from "zod";

/**
 * Limits every GraphQL operation meets before anything runs, at the hub and at the node
 * agents alike (HTTP, server-sent events and graphql-ws). They are GraphQL Armor's envelop
 * plugins: the token limit replaces the parser, so a huge document is not even parsed whole;
 * the others are validation rules, so a refused operation never reaches a resolver. A refusal
 * carries the documented code QUERY_TOO_COMPLEX with `extensions.limit` (which limit) and
 * `extensions.max` (its value).
 */
export type GraphQLLimits = {
  /** Nesting of selections below the operation (introspection's `__schema` not counted). */
  maxDepth: number;
  /** Aliased fields in one operation (`__typename` aliases not counted). */
  maxAliases: number;
  /** Lexical tokens of the document (names, punctuation, values): stops the parser. */
  maxTokens: number;
  /** GraphQL Armor's cost estimate: objects 2, scalars 1, ×1.5 per level, × a literal `first`/`last`. */
  maxCost: number;
  /** Directives (`@include`, `@skip`…) in one operation. */
  maxDirectives: number;
  /** Bytes of an HTTP request body or of one WebSocket message. */
  maxBodyBytes: number;
};

/** Which limit refused an operation: `extensions.limit` of a QUERY_TOO_COMPLEX error. */
export type GraphQLLimitName = "depth" | "aliases" | "tokens" | "cost" | "directives";

/**
 * The defaults, chosen against every operation the CLI, the demo, the agents' sync, the
 * examples and the test suites send (tests/limits/operations.test.ts measures them all and
 * checks they pass with room to spare), and so that a flood of aliases or a deep nesting is
 * refused long before it costs anything.
 */
export const DEFAULT_GRAPHQL_LIMITS: GraphQLLimits = {
  maxDepth: 10,
  maxAliases: 30,
  maxTokens: 3000,
  maxCost: 50_000,
  maxDirectives: 20,
  maxBodyBytes: 8 * 1024 * 1024,
};

const limitValue = z.coerce.number().int().positive().optional();

/**
 * The environment variables that override the defaults; each server's env.ts merges this
 * shape into its own schema and hands the parsed values to `graphqlLimitsFromEnv`.
 */
export const GraphQLLimitsEnv = {
  GRAPHQL_MAX_DEPTH: limitValue,
  GRAPHQL_MAX_ALIASES: limitValue,
  GRAPHQL_MAX_TOKENS: limitValue,
  GRAPHQL_MAX_COST: limitValue,
  GRAPHQL_MAX_DIRECTIVES: limitValue,
  GRAPHQL_MAX_BODY_BYTES: limitValue,
};

export function graphqlLimitsFromEnv(
  env: {
    [K in keyof typeof GraphQLLimitsEnv]?: number | undefined;
  },
): GraphQLLimits {
  const d = DEFAULT_GRAPHQL_LIMITS;
  return {
    maxDepth: env.GRAPHQL_MAX_DEPTH ?? d.maxDepth,
    maxAliases: env.GRAPHQL_MAX_ALIASES ?? d.maxAliases,
    maxTokens: env.GRAPHQL_MAX_TOKENS ?? d.maxTokens,
    maxCost: env.GRAPHQL_MAX_COST ?? d.maxCost,
    maxDirectives: env.GRAPHQL_MAX_DIRECTIVES ?? d.maxDirectives,
    maxBodyBytes: env.GRAPHQL_MAX_BODY_BYTES ?? d.maxBodyBytes,
  };
}

/** The error a refused operation answers; GraphQL Armor's message without its "Syntax Error" prefix. */
export function limitExceeded(limit: GraphQLLimitName, max: number, armor: GraphQLError) {
  return new GraphQLError(armor.message.replace(/^Syntax Error: /, ""), {
    extensions: { code: "QUERY_TOO_COMPLEX", limit, max },
  });
}

/** Armor's callbacks: report our coded error instead of throwing its own. */
function onRejection(limit: GraphQLLimitName, max: number) {
  return {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const refusal = limitExceeded(limit, max, error);
        // Validation rules report (validation goes on, nothing executes); the parser has no
        // context and must stop at once.
        if (context) context.reportError(refusal);
        else throw refusal;
      },
    ],
  };
}

function ruleOptions(limits: GraphQLLimits) {
  return {
    depth: { n: limits.maxDepth, ...onRejection("depth", limits.maxDepth) },
    aliases: { n: limits.maxAliases, ...onRejection("aliases", limits.maxAliases) },
    cost: { maxCost: limits.maxCost, ...onRejection("cost", limits.maxCost) },
    directives: { n: limits.maxDirectives, ...onRejection("directives", limits.maxDirectives) },
    tokens: { n: limits.maxTokens, ...onRejection("tokens", limits.maxTokens) },
  };
}

/** The envelop plugins both servers install (yoga's `plugins`); graphql-ws goes through them too. */
export function graphqlLimitPlugins(limits: GraphQLLimits) {
  const o = ruleOptions(limits);
  return [
    maxTokensPlugin(o.tokens),
    maxDepthPlugin(o.depth),
    maxAliasesPlugin(o.aliases),
    costLimitPlugin(o.cost),
    maxDirectivesPlugin(o.directives),
  ];
}

/** The same limits as validation rules, for checking documents outside a server. */
export function graphqlLimitRules(limits: GraphQLLimits): ValidationRule[] {
  const o = ruleOptions(limits);
  return [
    maxDepthRule(o.depth),
    maxAliasesRule(o.aliases),
    costLimitRule(o.cost),
    maxDirectivesRule(o.directives),
  ] as ValidationRule[];
}

/** Parses with the token limit, as the servers do (throws QUERY_TOO_COMPLEX past it). */
export function parseWithinLimits(source: string | Source, limits: GraphQLLimits): DocumentNode {
  return new MaxTokensParserWLexer(source, ruleOptions(limits).tokens).parseDocument();
}

/** What the servers would refuse in a document: [] when it is within every limit. */
export function checkGraphQLLimits(
  schema: GraphQLSchema,
  source: string,
  limits: GraphQLLimits = DEFAULT_GRAPHQL_LIMITS,
): readonly GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parseWithinLimits(source, limits);
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
  return validate(schema, document, graphqlLimitRules(limits));
}
