import { GraphQLError } from "graphql";
import { MaillageError } from "./errors.ts";

/** The part of a pino logger the masker uses. */
export type ErrorLogger = {
  debug(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
};

/**
 * The one place where failures become GraphQL errors, for the hub and the node agent alike. A MaillageError keeps its code and
 * public details; a GraphQLError keeps its code (BAD_USER_INPUT when graphql-js raised it
 * on a bad variable or scalar); anything else is logged and masked as INTERNAL_SERVER_ERROR.
 */
export function createErrorMasker(logger: ErrorLogger) {
  return (error: unknown, message: string): Error => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof MaillageError) {
      if (original.cause)
        logger.debug({ err: original.cause, code: original.code }, original.message);
      return new GraphQLError(original.message, {
        nodes: error instanceof GraphQLError ? error.nodes : undefined,
        path: error instanceof GraphQLError ? error.path : undefined,
        extensions: {
          code: original.code,
          ...(original.details ?? {}),
        },
      });
    }
    if (original instanceof GraphQLError) {
      // graphql-js's own errors (a variable of the wrong type, a bad scalar) are about the
      // caller's input; ours already carry a code.
      return new GraphQLError(original.message, {
        nodes: original.nodes,
        path: original.path,
        extensions: { code: "BAD_USER_INPUT", ...original.extensions },
      });
    }
    logger.error({ err: original }, "unexpected error");
    return new GraphQLError(message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
  };
}
