import type { GraphQLScalarType } from "graphql";
import { describe, expect, it } from "vitest";
import { schema as hubSchema } from "../packages/hub/src/graphql/schema.ts";
import { schema as agentSchema } from "../packages/node-agent/src/graphql/schema.ts";

describe.each([
  ["hub", hubSchema],
  ["agent", agentSchema],
])("the %s's scalars", (_name, schema) => {
  const scalar = (name: string) => schema.getType(name) as GraphQLScalarType;

  it("refuse a DateTime without an explicit offset, with BAD_USER_INPUT", () => {
    expect(() => scalar("DateTime").parseValue("2026-12-15T10:00:00")).toThrow(/explicit offset/);
    expect((scalar("DateTime").parseValue("2026-12-15T10:00:00+01:00") as Date).toISOString()).toBe(
      "2026-12-15T09:00:00.000Z",
    );
  });
});
