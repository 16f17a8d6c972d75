import {
  GraphQLError,
  GraphQLInputObjectType,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  parse,
  validate,
} from "graphql";
import { describe, expect, it } from "vitest";
import { nameInputFields, parseDateTime, parseDateTimeLiteral } from "./graphql-scalars.ts";

describe("DateTime", () => {
  it("takes an instant with an explicit offset", () => {
    expect(parseDateTime("2026-12-15T10:00:00+01:00").toISOString()).toBe(
      "2026-12-15T09:00:00.000Z",
    );
    expect(parseDateTime("2026-12-15T09:00:00Z").toISOString()).toBe("2026-12-15T09:00:00.000Z");
    expect(parseDateTime("2026-07-15T10:00:00.250+0200").toISOString()).toBe(
      "2026-07-15T08:00:00.250Z",
    );
  });

  it("refuses a time without an offset, a date alone and garbage, with BAD_USER_INPUT", () => {
    for (const value of ["2026-12-15T10:00:00", "2026-12-15", "tomorrow", 1765789200000]) {
      let error: unknown;
      try {
        parseDateTime(value);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions.code).toBe("BAD_USER_INPUT");
    }
    expect(() => parseDateTime("2026-02-30T10:00:00Z")).not.toThrow(); // JS rolls it over
    expect(() => parseDateTime("2026-12-15T25:00:00Z")).toThrow(/not a valid instant/);
  });
});

describe("a bad literal names its field", () => {
  const DateTime = new GraphQLScalarType({
    name: "DateTime",
    parseValue: parseDateTime,
    parseLiteral: parseDateTimeLiteral,
  });
  const Input = new GraphQLInputObjectType({ name: "I", fields: { startsAt: { type: DateTime } } });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: "Query",
      fields: {
        f: { type: GraphQLString, args: { at: { type: DateTime }, input: { type: Input } } },
      },
    }),
  });
  const named = (source: string) => {
    const document = parse(source);
    return nameInputFields(validate(schema, document), document).map((e) => ({
      message: e.message,
      field: e.extensions.field,
      code: e.extensions.code,
    }));
  };

  it("as an argument and inside an input object", () => {
    expect(named('{ f(at: "2026-12-15T10:00:00") }')).toEqual([
      expect.objectContaining({ field: "at", code: "BAD_USER_INPUT" }),
    ]);
    expect(named('{ f(input: { startsAt: "2026-12-15T10:00:00" }) }')).toEqual([
      expect.objectContaining({ field: "input.startsAt", code: "BAD_USER_INPUT" }),
    ]);
    expect(named('{ f(at: "2026-12-15T10:00:00Z") }')).toEqual([]);
  });
});
