import {
  DATE_TIME_DESCRIPTION,
  parseDateTime,
  parseDateTimeLiteral,
  serializeDateTime,
} from "@maillage/schema";
import { builder } from "./builder.ts";

builder.scalarType("DateTime", {
  description: DATE_TIME_DESCRIPTION,
  serialize: serializeDateTime,
  parseValue: parseDateTime,
  parseLiteral: parseDateTimeLiteral,
});
