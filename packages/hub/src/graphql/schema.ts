import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.ts";
import "./scalars.ts";
import "../modules/spaces/space.graphql.ts";
import "../modules/nodes/node.graphql.ts";

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const schema = builder.toSchema();

/** The SDL committed at packages/schema/hub.graphql; a test fails when they drift. */
export function printHubSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
