import { fileURLToPath } from "node:url";
import { withNullableRootFields } from "@maillage/schema";
import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.ts";
import "./scalars.ts";
import "../modules/spaces/space.graphql.ts";
import "../modules/nodes/node.graphql.ts";
import "../modules/sync/sync.graphql.ts";
import "../modules/health/health.graphql.ts";
import "../modules/health/network-feed.graphql.ts";
import "../modules/resources/resource.graphql.ts";
import "../modules/bookings/booking.graphql.ts";
import "../modules/trainings/training.graphql.ts";
import "../modules/mobility/mobility.graphql.ts";
import "./node-query.ts";

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

/** Root fields are nullable: a refused one leaves the others' data (see withNullableRootFields). */
export const schema = withNullableRootFields(builder.toSchema());

/** The SDL committed in the contract package; schema.test.ts fails when they drift. */
export const HUB_SDL_PATH = fileURLToPath(new URL("../../../schema/hub.graphql", import.meta.url));

export function printHubSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
