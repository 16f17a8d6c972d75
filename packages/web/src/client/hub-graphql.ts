import { initGraphQLTada } from "gql.tada";
import type { introspection } from "./hub-env.d.ts";

/** Typed documents against the hub's committed SDL (packages/schema/hub.graphql). */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; JSON: unknown };
}>();

export type { FragmentOf, ResultOf, TadaDocumentNode, VariablesOf } from "gql.tada";
export { readFragment } from "gql.tada";
