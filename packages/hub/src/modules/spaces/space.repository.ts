import type { Prisma, PrismaClient, Space } from "../../generated/prisma/client.ts";
import { appendToLog, prismaSql } from "../sync/change-log.repository.ts";
import { hubSpaceEvent } from "../sync/space-events.ts";

/** The only place that reads and writes the `space` table (plus GraphQL selections). */
export type SpaceRepository = ReturnType<typeof createSpaceRepository>;

/** Prisma's error code for a unique constraint violation, also raised through adapters. */
const UNIQUE_VIOLATION = "P2002";

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === UNIQUE_VIOLATION;
}

export function createSpaceRepository(prisma: PrismaClient) {
  return {
    find: (id: string): Promise<Space | null> => prisma.space.findUnique({ where: { id } }),

    /** Is `name` used by another open space of the network (case-insensitive)? */
    async nameTaken(networkId: string, name: string, exceptId?: string): Promise<boolean> {
      const clash = await prisma.space.findFirst({
        select: { id: true },
        where: {
          status: "OPEN",
          name: { equals: name, mode: "insensitive" },
          OR: [{ id: networkId }, { fabriqueId: networkId }],
          ...(exceptId ? { NOT: { id: exceptId } } : {}),
        },
      });
      return clash !== null;
    },

    countOpenSatellites: (fabriqueId: string): Promise<number> =>
      prisma.space.count({ where: { fabriqueId, status: "OPEN" } }),

    /** Writes of the hub's own spaces go to the hub's log too, for the nodes to replicate. */
    insert: (data: Prisma.SpaceUncheckedCreateInput): Promise<Space> =>
      prisma.$transaction(async (tx) => {
        const space = await tx.space.create({ data });
        await appendToLog(prismaSql(tx), [hubSpaceEvent(space)]);
        return space;
      }),

    update: (id: string, data: Prisma.SpaceUncheckedUpdateInput): Promise<Space> =>
      prisma.$transaction(async (tx) => {
        const space = await tx.space.update({ where: { id }, data });
        await appendToLog(prismaSql(tx), [hubSpaceEvent(space)]);
        return space;
      }),

    hasActiveNode: async (fabriqueId: string): Promise<boolean> =>
      (await prisma.node.count({ where: { fabriqueId, status: "ACTIVE" } })) > 0,

    /** Open spaces per region, department and kind, for the `regions` overview. */
    async countsByDepartment(where: Prisma.SpaceWhereInput) {
      const rows = await prisma.space.groupBy({
        by: ["regionCode", "departmentCode", "kind", "rural"],
        where: { ...where, status: "OPEN" },
        _count: { _all: true },
      });
      return rows.map((r) => ({
        regionCode: r.regionCode,
        departmentCode: r.departmentCode,
        kind: r.kind,
        rural: r.rural,
        count: r._count._all,
      }));
    },
  };
}
