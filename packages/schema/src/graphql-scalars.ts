import {
  type ASTNode,
  type DocumentNode,
  GraphQLError,
  Kind,
  type ValueNode,
  visit,
} from "graphql";

/**
 * The scalars both servers share, so that an instant reads the same at the hub and at every
 * agent.
 */

/** ISO 8601 with a date, a time and an explicit offset: `Z` or `±hh:mm` (or `±hhmm`). */
const WITH_OFFSET =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;

export const DATE_TIME_DESCRIPTION =
  "An instant, as ISO 8601 with an explicit offset (`2026-12-15T10:00:00+01:00`, or `Z` for " +
  "UTC); answered in UTC. A time without an offset is refused (BAD_USER_INPUT): it would be " +
  "read in some zone the caller did not choose.";

/**
 * Reads a DateTime input. An ISO string without an offset is refused rather than read as UTC
 * (or as the server's zone): availability windows are Paris wall-clock time, and a booking made
 * with `2026-12-15T10:00:00` would land an hour off without a word. graphql-js names the
 * variable and the path of the field in the message (`Variable "$input" got invalid value …
 * at "input.startsAt"`).
 */
export function parseDateTime(value: unknown): Date {
  if (typeof value !== "string") {
    throw new GraphQLError("DateTime must be an ISO 8601 string with an offset", {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  if (!WITH_OFFSET.test(value)) {
    throw new GraphQLError(
      `DateTime needs an explicit offset: "${value}" has none (write e.g. ` +
        `2026-12-15T10:00:00+01:00 for Paris in winter, or …Z for UTC)`,
      { extensions: { code: "BAD_USER_INPUT" } },
    );
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime "${value}" is not a valid instant`, {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  return date;
}

/** Reads a DateTime literal; a refusal carries the literal's node, so its field can be named. */
export function parseDateTimeLiteral(ast: ValueNode): Date {
  try {
    return parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined);
  } catch (error) {
    const refusal = error as GraphQLError;
    throw new GraphQLError(refusal.message, { nodes: ast, extensions: refusal.extensions });
  }
}

export function serializeDateTime(value: unknown): string {
  return new Date(value as Date | string).toISOString();
}

/**
 * graphql-js reports a bad literal argument (`startsAt: "2026-12-15T10:00:00"`) with the
 * scalar's message only; this names the argument or input field it was given for, in the
 * message and as `extensions.field` (`input.startsAt` inside an input object), as every other
 * BAD_USER_INPUT does. Errors about variables already name the variable and its path.
 */
export function nameInputFields(
  errors: readonly GraphQLError[],
  document: DocumentNode,
): GraphQLError[] {
  return errors.map((error) => {
    // graphql-js reports a scalar's GraphQLError as it is, or wrapped (originalError).
    const original = error.originalError instanceof GraphQLError ? error.originalError : error;
    const node = error.nodes?.[0];
    if (original.extensions.code !== "BAD_USER_INPUT") return error;
    if (!node || "field" in original.extensions) return error;
    const field = fieldPathOf(document, node);
    if (!field) return error;
    return new GraphQLError(`${field}: ${original.message}`, {
      nodes: error.nodes,
      extensions: { ...original.extensions, field },
    });
  });
}

/** The argument / input-field path leading to a value node: `input.startsAt`. */
function fieldPathOf(document: DocumentNode, target: ASTNode): string | undefined {
  let found: string | undefined;
  visit(document, {
    enter(node, _key, parent, _path, ancestors) {
      if (node !== target) return undefined;
      // `ancestors` stops before the parent: an argument's value has it as its parent.
      const names = [...ancestors, parent, node]
        .filter(
          (
            a,
          ): a is ASTNode & { kind: Kind.ARGUMENT | Kind.OBJECT_FIELD; name: { value: string } } =>
            !Array.isArray(a) &&
            ((a as ASTNode).kind === Kind.ARGUMENT || (a as ASTNode).kind === Kind.OBJECT_FIELD),
        )
        .map((a) => a.name.value);
      found = names.length > 0 ? names.join(".") : undefined;
      return false;
    },
  });
  return found;
}

/**
 * The envelop plugin both servers install (HTTP, server-sent events and graphql-ws alike):
 * validation errors about a literal name its field (nameInputFields).
 */
export function useInputFieldNames() {
  return {
    onValidate({ params }: { params: { documentAST: DocumentNode } }) {
      return ({
        result,
        setResult,
      }: {
        result: readonly GraphQLError[];
        setResult: (errors: GraphQLError[]) => void;
      }) => {
        if (result.length > 0) setResult(nameInputFields(result, params.documentAST));
      };
    },
  };
}
