import { GraphQLError } from "graphql";
import { type ErrorCode, isErrorCode, MaillageError } from "./errors.ts";

/** The part of a pino logger the masker uses. */
export type ErrorLogger = {
  debug(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
};

/**
 * Codes that graphql-yoga and its plugins emit under another name than ours: each answers
 * as the documented code it means.
 */
const CODE_ALIASES: Record<string, ErrorCode> = {
  // yoga: several operations and no (or an unknown) operationName.
  OPERATION_RESOLUTION_FAILURE: "BAD_REQUEST",
  // Persisted operations are not supported: the request carried no query.
  PERSISTED_QUERY_NOT_FOUND: "BAD_REQUEST",
  PERSISTED_QUERY_NOT_SUPPORTED: "BAD_REQUEST",
};

/**
 * The extensions a GraphQL-level error (yoga's request checks, the parser, validation, the
 * limits, graphql-js's input coercion) may show besides its code. Anything else a library
 * puts there — yoga's `originalError` with the JSON parser's message, a stack — stays out.
 */
const PUBLIC_EXTENSIONS = ["http", "limit", "max", "field", "retryAfterSeconds"] as const;

/** The innermost error of a chain of GraphQLErrors (graphql-js and yoga wrap what resolvers throw). */
function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

/**
 * A GraphQL-level error's documented code, as the masker answers it: its own (the outer
 * error's over its cause's), yoga's aliases mapped, none meaning BAD_USER_INPUT; undefined for
 * an undocumented code (answered INTERNAL_SERVER_ERROR).
 */
function graphQLErrorCode(cause: GraphQLError, outer: GraphQLError | undefined) {
  const raw = { ...cause.extensions, ...(outer ?? cause).extensions }.code ?? "BAD_USER_INPUT";
  return isErrorCode(raw) ? raw : CODE_ALIASES[String(raw)];
}

/** The documented code the masker (below) answers `error` with. */
export function maskedCodeOf(error: unknown): ErrorCode {
  const cause = rootCause(error);
  if (cause instanceof MaillageError) return cause.code;
  if (cause instanceof GraphQLError) {
    const outer = error instanceof GraphQLError ? error : undefined;
    return graphQLErrorCode(cause, outer) ?? "INTERNAL_SERVER_ERROR";
  }
  return "INTERNAL_SERVER_ERROR";
}

/**
 * The one place where failures become GraphQL errors, for the hub and the node agent alike.
 * A MaillageError keeps its code and public details. A GraphQL-level error keeps its message,
 * its documented code (yoga's few other codes become the documented ones they mean; none:
 * BAD_USER_INPUT, graphql-js's own errors being about the caller's input) and a few public
 * extensions, never `originalError` or a stack. Anything else — an exception from a resolver,
 * Prisma, the SQL driver — is logged and answered INTERNAL_SERVER_ERROR without detail.
 */
export function createErrorMasker(logger: ErrorLogger) {
  return (error: unknown, message: string): GraphQLError => {
    const cause = rootCause(error);
    const outer = error instanceof GraphQLError ? error : undefined;
    if (cause instanceof MaillageError) {
      if (cause.cause) logger.debug({ err: cause.cause, code: cause.code }, cause.message);
      return new GraphQLError(cause.message, {
        nodes: outer?.nodes,
        path: outer?.path,
        extensions: { code: cause.code, ...(cause.details ?? {}) },
      });
    }
    if (cause instanceof GraphQLError) {
      const shown = outer ?? cause;
      const extensions = { ...cause.extensions, ...shown.extensions };
      const code = graphQLErrorCode(cause, outer);
      if (code === undefined) {
        logger.error({ err: cause, code: extensions.code }, "an error with an undocumented code");
        return internal(message, outer);
      }
      const kept: Record<string, unknown> = { code };
      for (const key of PUBLIC_EXTENSIONS) if (key in extensions) kept[key] = extensions[key];
      // yoga answers an error whose `originalError` is not GraphQL's (a body that is not
      // JSON) with its HTTP status even to application/json; without it, keep that status.
      if ("originalError" in extensions && typeof kept.http === "object" && kept.http !== null)
        kept.http = { ...kept.http, spec: false };
      return new GraphQLError(shown.message, {
        nodes: shown.nodes,
        source: shown.source,
        positions: shown.positions,
        path: shown.path,
        extensions: kept,
      });
    }
    logger.error({ err: cause }, "unexpected error");
    return internal(message, outer);
  };
}

function internal(message: string, outer: GraphQLError | undefined) {
  return new GraphQLError(message, {
    path: outer?.path,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  });
}

/**
 * Gives a code to a GraphQL error that has none (graphql-ws hands over parse and validation
 * errors bare; yoga codes them on HTTP only).
 */
export function withDefaultCode(error: unknown, code: ErrorCode): unknown {
  if (!(error instanceof GraphQLError) || error.originalError || error.extensions.code)
    return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code },
  });
}
