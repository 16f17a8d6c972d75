import { type DocumentNode, print } from "graphql";
import type { Viewer } from "../context.ts";

/**
 * Who an answer is for, and which operation it answers: what lets the hub give one viewer
 * the result computed for another (shared subscription executions, realtime/
 * shared-execution.ts; cached registry answers, modules/spaces/registry-cache.ts).
 *
 * The audience is every claim of the viewer except the token's own bookkeeping (`exp`, `iat`,
 * `nbf`, `jti`), and except `sub` for people (NATIONAL, FABRIQUE_ADMIN): the scope-auth rules
 * (graphql/builder.ts) and the visibility rules of the types read `role` and `fabriqueId`;
 * `sub` is read only for node agents (`changes`, push, pull) and by a mutation (enrolment
 * codes' `createdBy`). A claim added to the tokens later joins the audience by default.
 * `realtime/shared-execution.test.ts` checks where `.sub` is read.
 */

/** Claims that say nothing of what a viewer may see. */
const TOKEN_BOOKKEEPING = new Set(["exp", "iat", "nbf", "jti"]);
/** Roles that are people: nothing shared or cached reads their `sub`. */
const PEOPLE = new Set(["NATIONAL", "FABRIQUE_ADMIN"]);

/** Computed once per viewer object: a token's verified claims, a socket's viewer. */
const audiences = new WeakMap<Viewer, string>();

/** The part of a viewer that decides what it may be shown (see the file comment). */
export function audienceOf(viewer: Viewer | null): string {
  if (viewer === null) return "anonymous";
  let audience = audiences.get(viewer);
  if (audience === undefined) {
    const person = PEOPLE.has(viewer.role);
    const claims = Object.entries(viewer)
      .filter(([name]) => !TOKEN_BOOKKEEPING.has(name) && !(person && name === "sub"))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    audience = canonicalJson(Object.fromEntries(claims));
    audiences.set(viewer, audience);
  }
  return audience;
}

const printed = new WeakMap<DocumentNode, string>();

/** The printed document, printed once per parsed document. */
export function documentTextOf(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** One string per operation and audience: equal variables in any key order, equal keys. */
export function operationKeyOf(
  documentText: string,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  audience: string,
): string {
  return canonicalJson([documentText, operationName ?? null, variables ?? {}, audience]);
}

/** JSON with object keys sorted at every level: equal values, equal strings. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}
