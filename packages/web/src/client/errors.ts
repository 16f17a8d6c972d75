/**
 * A failed GraphQL call: `code` is the first error's `extensions.code` (the API's documented
 * codes, packages/schema/src/errors.ts), "NETWORK" when the server could not be reached,
 * "HTTP_<status>" when it answered without a GraphQL body.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: string,
    message: string,
    /** The input field the error is about, when the API names one (`extensions.field`). */
    readonly field?: string,
    /** Every error of the response, for forms showing several (e.g. importActivity's lines). */
    readonly errors: readonly GraphQLErrorBody[] = [],
  ) {
    super(message);
  }
}

export interface GraphQLErrorBody {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

/** The ApiError of a GraphQL response's `errors`. */
export function apiErrorOf(errors: readonly GraphQLErrorBody[]): ApiError {
  const first = errors[0];
  return new ApiError(
    first?.extensions?.code ?? "INTERNAL_SERVER_ERROR",
    first?.message ?? "Unknown error",
    first?.extensions?.field,
    errors,
  );
}
