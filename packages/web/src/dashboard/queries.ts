import { graphql } from "../client/hub-graphql.ts";

/** Who the caller is at the hub: the fabriques it sees (names for drill-down). */
export const FabriquesQuery = graphql(`
  query Fabriques {
    fabriques {
      id
      name
    }
  }
`);
