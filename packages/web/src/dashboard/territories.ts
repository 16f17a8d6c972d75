import type { ResultOf } from "../client/hub-graphql.ts";
import type { DepartmentSpacesQuery } from "./queries.ts";

export type Space = NonNullable<
  ResultOf<typeof DepartmentSpacesQuery>["spaces"]
>["edges"][number]["node"];
export type Fabrique = Omit<Space, "fabrique" | "kind" | "id"> & { id: string };

/** A fabrique territory with places in the department, and how many. */
export interface Territory {
  fabrique: Fabrique;
  places: number;
}

/** The spaces grouped by fabrique territory (a fabrique is its own territory), by name. */
export function territoriesOf(spaces: readonly Space[]): Territory[] {
  const byId = new Map<string, Territory>();
  for (const space of spaces) {
    const fabrique = space.kind === "FABRIQUE" ? space : space.fabrique;
    if (!fabrique) continue;
    const entry = byId.get(fabrique.id) ?? { fabrique, places: 0 };
    entry.places += 1;
    byId.set(fabrique.id, entry);
  }
  return [...byId.values()].sort((a, b) => a.fabrique.name.localeCompare(b.fabrique.name, "fr"));
}
