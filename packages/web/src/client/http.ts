import { print } from "@0no-co/graphql.web";
import type { TadaDocumentNode } from "gql.tada";
import { csrfToken, markSessionExpired } from "../app/session.ts";
import { ApiError, apiErrorOf, type GraphQLErrorBody } from "./errors.ts";

export { ApiError } from "./errors.ts";

const printed = new WeakMap<object, string>();

/** The document's text, printed once. */
export function documentText(doc: object): string {
  let text = printed.get(doc);
  if (text === undefined) {
    text = print(doc as Parameters<typeof print>[0]);
    printed.set(doc, text);
  }
  return text;
}

/** Headers of a same-origin GraphQL call: JSON, and the session's CSRF token. */
export function graphqlHeaders(accept = "application/graphql-response+json, application/json") {
  const headers: Record<string, string> = { "content-type": "application/json", accept };
  const token = csrfToken();
  if (token) headers["x-maillage-csrf"] = token;
  return headers;
}

/**
 * One query or mutation: POST /graphql on the page's own origin with the session cookie.
 * Resolves with `data`; rejects with an ApiError (code "NETWORK" when the server is unreachable).
 */
export async function request<R, V>(doc: TadaDocumentNode<R, V>, variables?: V): Promise<R> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: graphqlHeaders(),
      body: JSON.stringify({ query: documentText(doc), variables: variables ?? {} }),
    });
  } catch (error) {
    // the browser's own words ("Failed to fetch") stay a detail for support: errorMessage() says it
    throw new ApiError(
      "NETWORK",
      `fetch /graphql: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let body: { data?: R | null; errors?: GraphQLErrorBody[] } | undefined;
  try {
    body = (await response.json()) as typeof body;
  } catch {
    body = undefined;
  }
  if (body?.errors?.length) {
    const error = apiErrorOf(body.errors);
    if (error.code === "UNAUTHENTICATED") markSessionExpired();
    throw error;
  }
  if (!response.ok || !body || body.data == null) {
    if (response.status === 401) markSessionExpired();
    throw new ApiError(
      `HTTP_${response.status}`,
      `HTTP ${response.status} ${response.statusText} without GraphQL data`,
    );
  }
  return body.data;
}
