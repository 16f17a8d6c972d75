import {
  DATE_TIME_DESCRIPTION,
  parseDateTime,
  parseDateTimeLiteral,
  serializeDateTime,
} from "@maillage/schema";
import { GraphQLError, Kind } from "graphql";
import { builder } from "./builder.ts";

builder.scalarType("DateTime", {
  description: DATE_TIME_DESCRIPTION,
  serialize: serializeDateTime,
  parseValue: parseDateTime,
  parseLiteral: parseDateTimeLiteral,
});

builder.scalarType("JSON", {
  description: "Any JSON value.",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING) return ast.value;
    throw new GraphQLError("JSON literals must be passed as variables", {
      extensions: { code: "BAD_USER_INPUT" },
    });
  },
});
