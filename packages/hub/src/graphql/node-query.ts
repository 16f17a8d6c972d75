import { parseId } from "@maillage/schema";
import { brandWithType } from "@pothos/core";
import { NodeAgentRef } from "../modules/nodes/node.graphql.ts";
import { ResourceRef, resourcesOf } from "../modules/resources/resource.graphql.ts";
import { SpaceRef } from "../modules/spaces/space.graphql.ts";
import { canSeeSpace } from "../modules/spaces/visibility.ts";
import { TrainingRef, trainingsOf } from "../modules/trainings/training.graphql.ts";
import { builder } from "./builder.ts";

/**
 * Relay's `node(id)`, for the raw ids the whole API uses: which kind of record an id names is
 * looked up (ULIDs are unique across tables), then the record is loaded as its own query
 * would load it. An id that is malformed, unknown, or names a record the caller may not see
 * answers null, the same in every case: the answer never tells which ids exist elsewhere.
 */
builder.queryField("node", (t) =>
  t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    authScopes: { authenticated: true },
    description:
      "The record with this id (a Space, NodeAgent, Resource or Training), or null when the id is " +
      "malformed, unknown or not visible to the caller.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const parsed = parseId(String(args.id));
      if (!parsed.ok || ctx.viewer === null) return null;
      const id = parsed.id;
      const [space, node] = await Promise.all([
        ctx.prisma.space.findUnique({ where: { id } }),
        ctx.prisma.node.findUnique({ where: { id } }),
      ]);
      if (space) {
        if (!canSeeSpace(ctx.viewer, space)) return null;
        brandWithType(space, SpaceRef);
        return space;
      }
      if (node) {
        const visible =
          ctx.viewer.role === "NATIONAL" ||
          (ctx.viewer.role === "FABRIQUE_ADMIN" && ctx.viewer.fabriqueId === node.fabriqueId);
        if (!visible) return null;
        brandWithType(node, NodeAgentRef);
        return node;
      }
      if (ctx.viewer.role !== "NATIONAL" && ctx.viewer.role !== "FABRIQUE_ADMIN") return null;
      const [[resource], [training]] = await Promise.all([
        resourcesOf(ctx).visible([id]),
        trainingsOf(ctx).visible([id]),
      ]);
      if (resource) {
        brandWithType(resource, ResourceRef);
        return resource;
      }
      if (!training) return null;
      brandWithType(training, TrainingRef);
      return training;
    },
  }),
);
