import { MaillageError } from "@maillage/schema";
import type { Prisma, PrismaClient, Space } from "../../generated/prisma/client.ts";
import { announce, spaceEvent } from "../health/announce.ts";
import { moveSpaces } from "../mutualisation/space-moves.ts";
import { appendToLog, prismaSql } from "../sync/change-log.repository.ts";
import { hubSpaceEvent } from "./space-events.ts";
import {
  addSpaceDeltas,
  contributionsOfSpaces,
  withSpaceRollups,
} from "./space-rollup.repository.ts";

/** The only place that reads and writes the `space` table (plus GraphQL selections). */
export type SpaceRepository = ReturnType<typeof createSpaceRepository>;

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

async function lockFabrique(tx: Tx, fabriqueId: string): Promise<void> {
  await tx.$queryRawUnsafe("SELECT id FROM space WHERE id = $1 FOR UPDATE", fabriqueId);
}

function ownedByNode(id: string): MaillageError {
  return new MaillageError(
    "OWNED_BY_NODE",
    "this network is managed by its fabrique's node agent: change it there",
    { id },
  );
}

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

    /**
     * Writes of the hub's own spaces go to the hub's log too, for the nodes to replicate. The
     * network's fabrique row is locked first, as enrolment locks it: a write and a handover
     * of the same network are applied one after the other, never interleaved.
     */
    insert: (data: Prisma.SpaceUncheckedCreateInput): Promise<Space> =>
      prisma.$transaction(async (tx) => {
        if (data.fabriqueId) {
          await lockFabrique(tx, data.fabriqueId);
          if (
            (await tx.node.count({ where: { fabriqueId: data.fabriqueId, status: "ACTIVE" } })) > 0
          ) {
            throw ownedByNode(data.fabriqueId);
          }
        }
        const space = await tx.space.create({ data });
        // What it counts for in coverage (space_rollup and its siblings).
        await addSpaceDeltas(
          prismaSql(tx),
          [],
          await contributionsOfSpaces(prismaSql(tx), [space.id]),
        );
        await appendToLog(prismaSql(tx), [hubSpaceEvent(space)]);
        await announce(prismaSql(tx), [spaceEvent("SPACE_CREATED", space)]);
        return space;
      }),

    /** Updates a space the hub still owns; OWNED_BY_NODE once it was handed over. */
    update: (
      id: string,
      networkId: string,
      data: Prisma.SpaceUncheckedUpdateInput,
    ): Promise<Space> =>
      prisma.$transaction(async (tx) => {
        await lockFabrique(tx, networkId);
        // Placed in another commune: its resources' and bookings' counts follow (rollups).
        const moves = "communeCode" in data || "departmentCode" in data || "regionCode" in data;
        // And whatever it counts for in coverage, moved or not (space_rollup and its siblings).
        const { count } = await withSpaceRollups(prismaSql(tx), [id], () =>
          moveSpaces(prismaSql(tx), moves ? [id] : [], () =>
            tx.space.updateMany({ where: { id, ownerNodeId: null }, data }),
          ),
        );
        if (count === 0) throw ownedByNode(id);
        const space = await tx.space.findUniqueOrThrow({ where: { id } });
        await appendToLog(prismaSql(tx), [hubSpaceEvent(space)]);
        await announce(prismaSql(tx), [
          spaceEvent(data.status === "CLOSED" ? "SPACE_CLOSED" : "SPACE_UPDATED", space),
        ]);
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
