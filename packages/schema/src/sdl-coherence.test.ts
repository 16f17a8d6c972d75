/**
 * One language at the hub and the agents: packages/schema/hub.graphql and agent.graphql (the
 * committed SDLs, each checked against its server by its own snapshot test) are compared here.
 *
 * API conventions (README, "API conventions"), for both servers and whatever is built next:
 *
 * 1. A record's own id is `id`, never `<record>Id` (a BookingRequest has `id`, not `requestId`).
 * 2. A field or argument holding another record's id ends in `Id` (`spaceId`, `forMemberId`,
 *    `toSpaceId`; `Ids` for a list) and has type ID; the record itself, where it is offered,
 *    has the bare name (`space`, `fabrique`). A code (INSEE) ends in `Code` (`communeCode`).
 * 3. A period of instants (a booking, a loan, a request, a free slot, a changed range) is
 *    `startsAt`/`endsAt`: DateTime, end excluded; the arguments that create one have the same
 *    names. `from`/`to` are the bounds of a search (`resourceAvailability(from, to)`) and the
 *    ends of a range of days (YYYY-MM-DD, both included: closures, activity, health).
 * 4. A record's creation time is `createdAt`, its last change `updatedAt`.
 * 5. A resource's booking rules are grouped: `rules { minMinutes maxMinutes leadMinutes
 *    cancelDeadlineMinutes }`, in inputs too (`rules: BookingRulesInput`).
 * 6. One type name per concept, the same at hub and agent (`ResourceClosure`, never `Closure`).
 *
 * What is checked:
 * - a type (object, input, interface, enum) present in both SDLs agrees on the fields they
 *   share: same type, same arguments (names and types), same enum values, same kind;
 * - a concept never appears under two names across the SDLs: on a type present in both, one
 *   name of a same-meaning pair only at the hub while the other is only at the agent (the pairs:
 *   `x`/`xId`, `x`/`xCode`, and SYNONYMS below); likewise for the arguments of a shared field
 *   and for type names (TYPE_SYNONYMS);
 * - each SDL follows conventions 1–3 where a machine can tell: ID-typed names, no DateTime
 *   output field named `from`/`to`, no field of the SYNONYMS' losing side.
 *
 * Each difference the servers keep on purpose is in ALLOW_LIST with its reason; each one
 * waiting for a change in a file owned elsewhere is in PENDING. Both are checked for stale
 * entries: an entry that no longer matches a difference fails the test until it is removed.
 */
import { readFileSync } from "node:fs";
import {
  buildSchema,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
} from "graphql";
import { describe, expect, it } from "vitest";

/** Same-meaning names: [kept, replaced]. The second never appears beside the first's absence. */
const SYNONYMS: readonly (readonly [string, string])[] = [
  ["startsAt", "from"],
  ["endsAt", "to"],
  ["id", "requestId"],
  ["createdAt", "requestedAt"],
  ["forMemberId", "forMember"],
  ["forSpaceId", "forSpace"],
  ["toSpaceId", "toSpace"],
  ["rules", "minMinutes"],
  ["rules", "maxMinutes"],
  ["rules", "leadMinutes"],
  ["rules", "cancelDeadlineMinutes"],
];

/** Names that are never used as fields: their concept has the first name of its pair. */
const RETIRED_FIELD_NAMES = ["requestedAt", "forMember", "forSpace", "toSpace"];

/** Same-meaning type names: [kept, replaced]. */
const TYPE_SYNONYMS: readonly (readonly [string, string])[] = [
  ["ResourceClosure", "Closure"],
  ["ResourceClosureInput", "ClosureInput"],
];

/**
 * Differences kept on purpose, by the key the checks report, each with its reason. Keep it
 * short: a new entry needs a reason a reader accepts, or the names get fixed instead.
 */
const ALLOW_LIST: Record<string, string> = {
  "Query.resources":
    "Different questions under one name: the hub searches the whole network (filters, proximity, availability) and pages it with a Relay connection; an agent lists its own resources at one of its spaces (other nodes' ones: networkResources), a short local list.",
  "Query.trainings":
    "As Query.resources: the hub searches every visible training of the network (filters, proximity) and pages it with a Relay connection; an agent answers its network's trainings and the shared ones replicated to it, a local list it holds offline.",
  "Query.bookingRequests":
    "The hub pages every request of a fabrique's side, network-wide, with a Relay connection; an agent lists its own node's requests, a short local list, with their direction (OUTGOING/INCOMING) relative to itself.",
  "Mutation.createSatellite":
    "The hub serves every fabrique and needs to know which one the satellite joins (fabriqueId); an agent serves exactly one fabrique.",
  "Space.commune":
    "The hub stores a space's commune name, department and region with the space, so its commune is always known; an agent keeps the INSEE code only (communeCode) and derives the rest, which it cannot do for a code a newer geography retired (null).",
};

/**
 * Known violations waiting for a change in files owned elsewhere (the hub's spaces and
 * resources GraphQL files). Not exceptions: remove each entry with its fix (the test fails on
 * an entry that no longer matches anything).
 */
const PENDING: Record<string, string> = {};

type Sdl = { name: "hub" | "agent"; schema: GraphQLSchema };

function load(name: "hub" | "agent"): Sdl {
  const text = readFileSync(new URL(`../${name}.graphql`, import.meta.url), "utf8");
  return { name, schema: buildSchema(text) };
}

/** The named types of a schema, but introspection's and the built-in scalars. */
function namedTypes(schema: GraphQLSchema): Map<string, GraphQLNamedType> {
  const builtIn = new Set(["String", "Int", "Float", "Boolean", "ID"]);
  return new Map(
    Object.entries(schema.getTypeMap()).filter(
      ([name]) => !name.startsWith("__") && !builtIn.has(name),
    ),
  );
}

type AnyField = GraphQLField<unknown, unknown> | GraphQLInputField;

function fieldsOf(type: GraphQLNamedType): Record<string, AnyField> | null {
  return isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)
    ? type.getFields()
    : null;
}

function argsOf(field: AnyField): Map<string, string> {
  return new Map("args" in field ? field.args.map((a) => [a.name, String(a.type)] as const) : []);
}

function kindOf(type: GraphQLNamedType): string {
  if (isObjectType(type)) return "object";
  if (isInterfaceType(type)) return "interface";
  if (isInputObjectType(type)) return "input";
  if (isEnumType(type)) return "enum";
  return type.constructor.name;
}

/** Same-meaning pairs among two name sets: `x`/`xId`, `x`/`xIds`, `x`/`xCode`, SYNONYMS. */
function sameMeaning(a: string, b: string): boolean {
  return (
    b === `${a}Id` ||
    b === `${a}Ids` ||
    b === `${a}Code` ||
    a === `${b}Id` ||
    a === `${b}Ids` ||
    a === `${b}Code` ||
    SYNONYMS.some(([x, y]) => (a === x && b === y) || (a === y && b === x))
  );
}

/** Pairs split across two sides: one name only at the hub, its same-meaning other only at the agent. */
function splitPairs(hubOnly: string[], agentOnly: string[]): [string, string][] {
  return hubOnly.flatMap((h) =>
    agentOnly.filter((a) => sameMeaning(h, a)).map((a) => [h, a] as [string, string]),
  );
}

/** Every difference between two SDLs, by key (see ALLOW_LIST), with what differs. */
export function compareSdls(hub: GraphQLSchema, agent: GraphQLSchema): Map<string, string> {
  const found = new Map<string, string>();
  const hubTypes = namedTypes(hub);
  const agentTypes = namedTypes(agent);
  for (const [name, hubType] of hubTypes) {
    const agentType = agentTypes.get(name);
    if (!agentType) continue;
    if (kindOf(hubType) !== kindOf(agentType)) {
      found.set(name, `a ${kindOf(hubType)} at the hub, a ${kindOf(agentType)} at the agent`);
      continue;
    }
    if (isEnumType(hubType) && isEnumType(agentType)) {
      const values = (t: typeof hubType) =>
        t
          .getValues()
          .map((v) => v.name)
          .sort()
          .join(", ");
      if (values(hubType) !== values(agentType)) {
        found.set(name, `values ${values(hubType)} at the hub, ${values(agentType)} at the agent`);
      }
      continue;
    }
    const hubFields = fieldsOf(hubType);
    const agentFields = fieldsOf(agentType);
    if (!hubFields || !agentFields) continue;
    for (const [fieldName, hubField] of Object.entries(hubFields)) {
      const agentField = agentFields[fieldName];
      if (!agentField) continue;
      const key = `${name}.${fieldName}`;
      if (String(hubField.type) !== String(agentField.type)) {
        found.set(key, `type ${hubField.type} at the hub, ${agentField.type} at the agent`);
        continue;
      }
      const hubArgs = argsOf(hubField);
      const agentArgs = argsOf(agentField);
      const show = (args: Map<string, string>) =>
        `(${[...args].map(([n, t]) => `${n}: ${t}`).join(", ")})`;
      if (show(hubArgs) !== show(agentArgs)) {
        found.set(key, `arguments ${show(hubArgs)} at the hub, ${show(agentArgs)} at the agent`);
      }
    }
    const hubOnly = Object.keys(hubFields).filter((f) => !(f in agentFields));
    const agentOnly = Object.keys(agentFields).filter((f) => !(f in hubFields));
    for (const [h, a] of splitPairs(hubOnly, agentOnly)) {
      found.set(`${name}.${h}/${a}`, `one concept, two names: ${h} at the hub, ${a} at the agent`);
    }
    // The arguments of a field both have: same names for the same thing, too.
    for (const [fieldName, hubField] of Object.entries(hubFields)) {
      const agentField = agentFields[fieldName];
      if (!agentField) continue;
      const hubArgs = [...argsOf(hubField).keys()];
      const agentArgs = [...argsOf(agentField).keys()];
      const pairs = splitPairs(
        hubArgs.filter((a) => !agentArgs.includes(a)),
        agentArgs.filter((a) => !hubArgs.includes(a)),
      );
      for (const [h, a] of pairs) {
        found.set(
          `${name}.${fieldName}(${h}/${a})`,
          `one argument, two names: ${h} at the hub, ${a} at the agent`,
        );
      }
    }
  }
  for (const [kept, replaced] of TYPE_SYNONYMS) {
    for (const [left, right, leftSide, rightSide] of [
      [hubTypes, agentTypes, "hub", "agent"],
      [agentTypes, hubTypes, "agent", "hub"],
    ] as const) {
      if (left.has(replaced) && !left.has(kept) && right.has(kept) && !right.has(replaced)) {
        found.set(
          `${kept}/${replaced}`,
          `one concept, two type names: ${replaced} at the ${leftSide}, ${kept} at the ${rightSide}`,
        );
      }
    }
  }
  return found;
}

/** Where one SDL breaks the conventions a machine can check, keyed `<sdl>: Type.field(arg)`. */
export function conventionBreaks(sdl: Sdl): Map<string, string> {
  const found = new Map<string, string>();
  const roots = new Set(
    [sdl.schema.getQueryType(), sdl.schema.getMutationType(), sdl.schema.getSubscriptionType()]
      .filter((t) => t != null)
      .map((t) => t.name),
  );
  const idName = (name: string) => name === "id" || /Ids?$/.test(name);
  for (const [typeName, type] of namedTypes(sdl.schema)) {
    const fields = fieldsOf(type);
    if (!fields) continue;
    const output = !isInputObjectType(type);
    for (const [fieldName, field] of Object.entries(fields)) {
      const key = `${sdl.name}: ${typeName}.${fieldName}`;
      const named = getNamedType(field.type).name;
      // A root field is an operation: its name says what it does, not what it holds.
      if (!roots.has(typeName) && named === "ID" && !idName(fieldName)) {
        found.set(key, `holds an id: name it ${fieldName}Id (convention 2)`);
      }
      if (output && named === "DateTime" && (fieldName === "from" || fieldName === "to")) {
        found.set(
          key,
          `a period of instants: ${fieldName === "from" ? "startsAt" : "endsAt"} (convention 3)`,
        );
      }
      if (RETIRED_FIELD_NAMES.includes(fieldName)) {
        const [kept] = SYNONYMS.find(([, replaced]) => replaced === fieldName) ?? [];
        found.set(key, `named ${kept} by convention`);
      }
      for (const [argName, argType] of argsOf(field)) {
        if (argType.replace(/[[\]!]/g, "") === "ID" && !idName(argName)) {
          found.set(`${key}(${argName})`, `holds an id: name it ${argName}Id (convention 2)`);
        }
        if (RETIRED_FIELD_NAMES.includes(argName)) {
          found.set(`${key}(${argName})`, "a retired name (see SYNONYMS)");
        }
      }
    }
  }
  return found;
}

const hub = load("hub");
const agent = load("agent");
const differences = compareSdls(hub.schema, agent.schema);
const breaks = new Map([...conventionBreaks(hub), ...conventionBreaks(agent)]);
const accepted = (key: string) => key in ALLOW_LIST || key in PENDING;

describe("hub.graphql and agent.graphql speak one language", () => {
  it("a type or input present in both agrees on the fields they share (type, arguments, enum values)", () => {
    const unexplained = [...differences].filter(([key]) => !key.includes("/") && !accepted(key));
    expect(Object.fromEntries(unexplained)).toEqual({});
  });

  it("a concept never has one name at the hub and another at the agent", () => {
    const unexplained = [...differences].filter(([key]) => key.includes("/") && !accepted(key));
    expect(Object.fromEntries(unexplained)).toEqual({});
  });

  it("each SDL follows the naming conventions (ids, periods, retired names)", () => {
    const unexplained = [...breaks].filter(([key]) => !accepted(key));
    expect(Object.fromEntries(unexplained)).toEqual({});
  });

  it("the allow-list is short, gives a reason for each entry, and has no stale entry", () => {
    expect(Object.keys(ALLOW_LIST).length).toBeLessThan(8);
    for (const [key, reason] of Object.entries({ ...ALLOW_LIST, ...PENDING })) {
      expect(reason.length, `${key}: give the reason`).toBeGreaterThan(20);
    }
    const stale = Object.keys({ ...ALLOW_LIST, ...PENDING }).filter(
      (key) => !differences.has(key) && !breaks.has(key),
    );
    expect(stale, "fixed: remove these entries").toEqual([]);
  });
});

describe("the comparison itself", () => {
  const pair = (hubSdl: string, agentSdl: string) =>
    compareSdls(buildSchema(hubSdl), buildSchema(agentSdl));

  it("reports a shared field whose type or arguments differ", () => {
    const found = pair(
      "type Query { a: Int }  type T { n: ID!  m(x: Int): Int }",
      "type Query { a: Int }  type T { n: ID  m(y: Int): Int }",
    );
    expect([...found.keys()].sort()).toEqual(["T.m", "T.n"]);
  });

  it("reports one concept under two names, as fields, arguments and type names", () => {
    const found = pair(
      `type Query { s(from: String): T }  type T { startsAt: String  space: T  requestId: ID }
       type ResourceClosure { a: Int }`,
      `type Query { s(startsAt: String): T }  type T { from: String  spaceId: ID  id: ID }
       type Closure { a: Int }`,
    );
    expect([...found.keys()].sort()).toEqual([
      "Query.s",
      "Query.s(from/startsAt)",
      "ResourceClosure/Closure",
      "T.requestId/id",
      "T.space/spaceId",
      "T.startsAt/from",
    ]);
  });

  it("accepts a type that has both the record and its id on one side", () => {
    const found = pair(
      "type Query { a: Int }  type T { space: T }",
      "type Query { a: Int }  type T { space: T  spaceId: ID }",
    );
    expect([...found.keys()]).toEqual([]);
  });

  it("reports the conventions each SDL breaks", () => {
    const found = conventionBreaks({
      name: "agent",
      schema: buildSchema(
        "scalar DateTime  type Query { b(toSpace: ID): T }  type T { owner: ID  to: DateTime  forMember: ID }",
      ),
    });
    expect([...found.keys()].sort()).toEqual([
      "agent: Query.b(toSpace)",
      "agent: T.forMember",
      "agent: T.owner",
      "agent: T.to",
    ]);
  });
});
