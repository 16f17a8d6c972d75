import { fileURLToPath } from "node:url";
import { withNullableRootFields } from "@maillage/schema";
import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.ts";
import "./scalars.ts";
import "../modules/spaces/space.graphql.ts";
import "../modules/members/member.graphql.ts";
import "../modules/sync/sync.graphql.ts";
import "../modules/activity/activity.graphql.ts";
import "../modules/resources/resource.graphql.ts";
import "../modules/calendar/calendar.graphql.ts";
import "../modules/bookings/booking-request.graphql.ts";
import "../modules/resources/credential.graphql.ts";
import "../modules/credentials/credentials.graphql.ts";
import "../modules/resources/live.graphql.ts";
import "../modules/trainings/training.graphql.ts";
import "../modules/trainings/enrolment.graphql.ts";
import "../modules/mobility/mobility.graphql.ts";
import "../modules/settlement/settlement.graphql.ts";

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

/** Root fields are nullable: a refused one leaves the others' data (see withNullableRootFields). */
export const schema = withNullableRootFields(builder.toSchema());

/** The SDL committed in the contract package; schema.test.ts fails when they drift. */
export const AGENT_SDL_PATH = fileURLToPath(
  new URL("../../../schema/agent.graphql", import.meta.url),
);

export function printAgentSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
