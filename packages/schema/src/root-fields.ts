import {
  type GraphQLFieldConfigMap,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLSchema,
  getNullableType,
} from "graphql";

/**
 * Makes every field of the Query and Mutation types nullable, keeping resolvers, arguments
 * and descriptions. A root field that fails (FORBIDDEN, NOT_FOUND…) then answers null with
 * its error, and the other root fields of the same request keep their data: with a non-null
 * root field, GraphQL's null propagation would wipe the whole `data` (and, for mutations,
 * hide the results of those that did run). Both servers apply it to the schema they build
 * and print; a subscription has one root field, so it is left as it is.
 */
export function withNullableRootFields(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig();
  const relax = (type: GraphQLObjectType | null | undefined) => {
    if (!type) return type;
    const { fields, ...rest } = type.toConfig();
    const nullable: GraphQLFieldConfigMap<unknown, unknown> = {};
    for (const [name, field] of Object.entries(fields)) {
      nullable[name] = { ...field, type: getNullableType(field.type) as GraphQLOutputType };
    }
    return new GraphQLObjectType({ ...rest, fields: nullable });
  };
  const query = relax(config.query);
  const mutation = relax(config.mutation);
  const replaced = new Set([config.query, config.mutation].filter(Boolean));
  return new GraphQLSchema({
    ...config,
    query,
    mutation,
    // The old root types go; anything that referred to them by object would now point at
    // a second type of the same name, which GraphQLSchema refuses at once.
    types: config.types.filter((type) => !replaced.has(type as GraphQLObjectType)),
  });
}
