import { GraphQLError } from "graphql";
import { builder } from "./builder.ts";

builder.scalarType("DateTime", {
  description: "An instant, as an ISO 8601 string in UTC.",
  serialize: (value) => new Date(value as Date | string).toISOString(),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : Number.NaN;
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new GraphQLError("DateTime must be an ISO 8601 string", {
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    return date;
  },
});
