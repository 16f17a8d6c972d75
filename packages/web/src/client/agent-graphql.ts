import { initGraphQLTada } from "gql.tada";
import type { introspection } from "./agent-env.d.ts";

/** Typed documents against the agent's committed SDL (packages/schema/agent.graphql). */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string };
}>();

export type { FragmentOf, ResultOf, TadaDocumentNode, VariablesOf } from "gql.tada";
export { readFragment } from "gql.tada";
