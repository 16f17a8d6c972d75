import { buildSchema, graphql, isNonNullType, printSchema } from "graphql";
import { expect, it } from "vitest";
import { withNullableRootFields } from "./root-fields.ts";

const sdl = `
  type Health { spaces: Int! }
  type Query { health: Health! secrets: [String!]! }
  type Mutation { a: Int! b: Int! }
  type Subscription { ticks: Int! }
`;

const rootValue = {
  health: () => ({ spaces: 21 }),
  secrets: () => {
    throw new Error("FORBIDDEN");
  },
  a: () => 1,
  b: () => {
    throw new Error("FORBIDDEN");
  },
};

it("a refused root field no longer wipes the other root fields' data", async () => {
  const before = await graphql({
    schema: buildSchema(sdl),
    source: "{ health { spaces } secrets }",
    rootValue,
  });
  expect(before.data).toBeNull();

  const schema = withNullableRootFields(buildSchema(sdl));
  const after = await graphql({ schema, source: "{ health { spaces } secrets }", rootValue });
  expect(after.data).toEqual({ health: { spaces: 21 }, secrets: null });
  expect(after.errors?.map((e) => e.path)).toEqual([["secrets"]]);

  const mutation = await graphql({ schema, source: "mutation { a b }", rootValue });
  expect(mutation.data).toEqual({ a: 1, b: null });
});

it("changes only the root fields' outer nullability", () => {
  const schema = withNullableRootFields(buildSchema(sdl));
  expect(printSchema(schema)).toContain("secrets: [String!]\n");
  expect(printSchema(schema)).toContain("health: Health\n");
  expect(printSchema(schema)).toContain("spaces: Int!");
  expect(isNonNullType(schema.getSubscriptionType()?.getFields().ticks?.type)).toBe(true);
});
