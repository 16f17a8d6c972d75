import {
  CreateSpaceInput,
  type Geography,
  MaillageError,
  parseInput,
  type SpacePayload,
  UpdateSpaceInput,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import type { Viewer } from "../../context.ts";
import type { LocalWriter } from "../../outbox/local-writer.ts";
import { type SpaceRecord, spacePayloadOf, spaceRepository } from "./space.repository.ts";

/**
 * The fabrique's local network: its satellites, owned by this node. Rules:
 * - the fabrique's team (FABRIQUE_ADMIN) registers, updates and closes satellites; a
 *   satellite (SATELLITE) reads and updates its own space, nothing else;
 * - only records this node owns can change here (reference copies of the fabrique and of
 *   other networks come from the hub);
 * - names are unique, without case, among the open spaces of the network;
 * - a space is placed in a current French commune (UNKNOWN_COMMUNE otherwise), checked with
 *   the same geography as the hub;
 * - a closed satellite cannot change;
 * - every change appends its event to the outbox in the same transaction.
 */
export type SatelliteService = ReturnType<typeof createSatelliteService>;

export function canSeeSpace(viewer: Viewer, space: Pick<SpaceRecord, "id">): boolean {
  if (viewer.role === "FABRIQUE_ADMIN") return true;
  return viewer.role === "SATELLITE" && viewer.spaceId === space.id;
}

export function createSatelliteService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  geography: Geography;
  fabriqueId: string;
  /** The clock (tests set it); a satellite's id, a ULID, records when it joined the network. */
  now?: () => Date;
}) {
  const { store, writer, geography, fabriqueId } = deps;
  const now = deps.now ?? (() => new Date());

  async function loadVisible(db: SqlSession, viewer: Viewer, id: string): Promise<SpaceRecord> {
    const space = await spaceRepository.find(db, id);
    // A space the caller may not see is reported as absent, not as forbidden.
    if (!space || !canSeeSpace(viewer, space)) {
      throw new MaillageError("NOT_FOUND", `no space ${id}`, { id });
    }
    return space;
  }

  /** A satellite of this network that this node owns and that is still open. */
  function assertChangeable(space: SpaceRecord) {
    if (!space.owned || space.kind !== "SATELLITE" || space.fabriqueId !== fabriqueId) {
      throw new MaillageError(
        "FORBIDDEN",
        "only the satellites this node owns can be changed here; the others are the hub's or another node's",
        { id: space.id },
      );
    }
    if (space.status === "CLOSED") {
      throw new MaillageError("SPACE_CLOSED", "a closed space cannot be changed", { id: space.id });
    }
  }

  async function assertNameFree(db: SqlSession, name: string, exceptId?: string) {
    if (await spaceRepository.nameTaken(db, fabriqueId, name, exceptId)) {
      throw new MaillageError("DUPLICATE_NAME", `"${name}" is already used in this network`, {
        name,
      });
    }
  }

  function assertAdmin(viewer: Viewer, what: string) {
    if (viewer.role !== "FABRIQUE_ADMIN") {
      throw new MaillageError("FORBIDDEN", `only the fabrique's team ${what}`);
    }
  }

  async function save(tx: SqlSession, id: string, state: SpacePayload) {
    return spaceRepository.saveOwned(tx, id, state);
  }

  return {
    async list(viewer: Viewer, options: { includeClosed: boolean }): Promise<SpaceRecord[]> {
      if (viewer.role === "SATELLITE" && viewer.spaceId) {
        const own = await spaceRepository.find(store, viewer.spaceId);
        return own && own.fabriqueId === fabriqueId ? [own] : [];
      }
      assertAdmin(viewer, "lists the satellites");
      return spaceRepository.satellitesOf(store, fabriqueId, options);
    },

    /** Null when absent or not visible to the caller. */
    async find(viewer: Viewer, id: string): Promise<SpaceRecord | null> {
      const space = await spaceRepository.find(store, id);
      return space && canSeeSpace(viewer, space) ? space : null;
    },

    async create(viewer: Viewer, raw: unknown): Promise<SpaceRecord> {
      assertAdmin(viewer, "registers satellites");
      const input = parseInput(CreateSpaceInput, raw);
      geography.requireCommune(input.communeCode);
      return writer.write(async (tx, changes) => {
        const fabrique = await spaceRepository.find(tx, fabriqueId);
        if (fabrique?.status === "CLOSED") {
          throw new MaillageError("SPACE_CLOSED", "the fabrique is closed", { fabriqueId });
        }
        await assertNameFree(tx, input.name);
        const id = ulid(now().getTime());
        const space = await save(tx, id, {
          kind: "SATELLITE",
          fabriqueId,
          name: input.name,
          communeCode: input.communeCode,
          services: input.services,
          openingHours: input.openingHours,
          status: "OPEN",
        });
        await changes.append({
          entity: "SPACE",
          entityId: id,
          op: "UPSERT",
          payload: spacePayloadOf(space),
        });
        return space;
      });
    },

    async update(viewer: Viewer, id: string, raw: unknown): Promise<SpaceRecord> {
      const input = parseInput(UpdateSpaceInput, raw);
      if (input.communeCode !== undefined) geography.requireCommune(input.communeCode);
      return writer.write(async (tx, changes) => {
        const space = await loadVisible(tx, viewer, id);
        assertChangeable(space);
        const before = spacePayloadOf(space);
        const after: SpacePayload = {
          ...before,
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.communeCode !== undefined ? { communeCode: input.communeCode } : {}),
          ...(input.services !== undefined ? { services: input.services } : {}),
          ...(input.openingHours !== undefined ? { openingHours: input.openingHours } : {}),
        };
        if (JSON.stringify(after) === JSON.stringify(before)) return space; // nothing to replicate
        if (input.name !== undefined) await assertNameFree(tx, input.name, space.id);
        const updated = await save(tx, id, after);
        await changes.append({ entity: "SPACE", entityId: id, op: "UPSERT", payload: after });
        return updated;
      });
    },

    async close(viewer: Viewer, id: string): Promise<SpaceRecord> {
      assertAdmin(viewer, "closes satellites");
      return writer.write(async (tx, changes) => {
        const space = await loadVisible(tx, viewer, id);
        assertChangeable(space);
        const after: SpacePayload = { ...spacePayloadOf(space), status: "CLOSED" };
        const closed = await save(tx, id, after);
        await changes.append({ entity: "SPACE", entityId: id, op: "UPSERT", payload: after });
        return closed;
      });
    },
  };
}
