import type { Viewer } from "../../context.ts";
import type { Prisma } from "../../generated/prisma/client.ts";

/** The fabrique whose network a space belongs to: itself for a fabrique. */
export function networkOf(space: { id: string; fabriqueId: string | null }): string {
  return space.fabriqueId ?? space.id;
}

/** NATIONAL sees every space; a fabrique's team sees its own network; nobody else any. */
export function canSeeSpace(
  viewer: Viewer | null,
  space: { id: string; fabriqueId: string | null },
) {
  if (viewer?.role === "NATIONAL") return true;
  return viewer?.role === "FABRIQUE_ADMIN" && viewer.fabriqueId === networkOf(space);
}

/** The same rule as a query filter, so lists never load what the caller may not see. */
export function visibleSpaces(viewer: Viewer | null): Prisma.SpaceWhereInput {
  if (viewer?.role === "NATIONAL") return {};
  if (viewer?.role === "FABRIQUE_ADMIN" && viewer.fabriqueId) {
    return { OR: [{ id: viewer.fabriqueId }, { fabriqueId: viewer.fabriqueId }] };
  }
  return { id: { in: [] } };
}
