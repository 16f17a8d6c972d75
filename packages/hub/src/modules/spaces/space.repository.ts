import type { Prisma, PrismaClient, Space } from "../../generated/prisma/client.ts";

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

    insert: (data: Prisma.SpaceUncheckedCreateInput): Promise<Space> =>
      prisma.space.create({ data }),

    update: (id: string, data: Prisma.SpaceUncheckedUpdateInput): Promise<Space> =>
      prisma.space.update({ where: { id }, data }),

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
