import type { Geography } from "@maillage/schema";
import { CreateSpaceInput, MaillageError, parseInput, UpdateSpaceInput } from "@maillage/schema";
import { ulid } from "ulid";
import type { Viewer } from "../../context.ts";
import type { Space } from "../../generated/prisma/client.ts";
import type { HubPubSub, SpaceChangedEvent } from "../../realtime/pubsub.ts";
import { isUniqueViolation, type SpaceRepository } from "./space.repository.ts";
import { canSeeSpace, networkOf } from "./visibility.ts";

/**
 * The rules of the network registry. Who may do what:
 * - the national body registers fabriques, and may update or close a fabrique;
 * - a fabrique's team registers, updates and closes the satellites of its own network,
 *   and updates its fabrique;
 * - names are unique among the open spaces of one network (the database guarantees it);
 * - a space's commune fixes its department, region, population and rural flag.
 */
export type SpaceService = ReturnType<typeof createSpaceService>;

export function createSpaceService(deps: {
  spaces: SpaceRepository;
  geography: Geography;
  pubsub: HubPubSub;
  /** Announces a space written here (app.ts: this replica's cached answers end at once). */
  announceSpaceChanged: (event: SpaceChangedEvent) => void;
}) {
  const { spaces, geography, pubsub } = deps;
  const announceLog = () => {
    pubsub.publish("log:appended");
    pubsub.publish("network:appended");
  };

  function placeIn(communeCode: string) {
    const commune = geography.requireCommune(communeCode);
    return {
      communeCode: commune.code,
      communeName: commune.name,
      departmentCode: commune.departmentCode,
      regionCode: commune.regionCode,
      population: commune.population,
      rural: commune.rural,
    };
  }

  async function loadVisible(viewer: Viewer, id: string): Promise<Space> {
    const space = await spaces.find(id);
    // A space the caller may not see is reported as absent, not as forbidden.
    if (!space || !canSeeSpace(viewer, space)) {
      throw new MaillageError("NOT_FOUND", `no space ${id}`, { id });
    }
    return space;
  }

  /** Records handed over to a node are changed at the node and reach the hub by sync. */
  function assertHubOwned(space: Space) {
    if (space.ownerNodeId) {
      throw new MaillageError(
        "OWNED_BY_NODE",
        "this space is managed by its fabrique's node agent: change it there",
        { id: space.id, nodeId: space.ownerNodeId },
      );
    }
  }

  function assertCanManage(viewer: Viewer, space: Space) {
    const ownTeam = viewer.role === "FABRIQUE_ADMIN" && viewer.fabriqueId === networkOf(space);
    const nationalOnFabrique = viewer.role === "NATIONAL" && space.kind === "FABRIQUE";
    if (!ownTeam && !nationalOnFabrique) {
      throw new MaillageError("FORBIDDEN", "only the fabrique's team manages its satellites");
    }
  }

  async function assertNameFree(networkId: string, name: string, exceptId?: string) {
    if (await spaces.nameTaken(networkId, name, exceptId)) {
      throw new MaillageError("DUPLICATE_NAME", `"${name}" is already used in this network`, {
        name,
      });
    }
  }

  /** Turns the constraint's verdict on a race into the same documented error. */
  async function write<T>(name: string | undefined, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new MaillageError("DUPLICATE_NAME", `"${name}" is already used in this network`, {
          name,
        });
      }
      throw error;
    }
  }

  function announce(space: Space, change: "CREATED" | "UPDATED" | "CLOSED") {
    deps.announceSpaceChanged({ spaceId: space.id, networkId: networkOf(space), change });
    announceLog();
  }

  return {
    loadVisible,

    async createFabrique(viewer: Viewer, raw: unknown): Promise<Space> {
      if (viewer.role !== "NATIONAL") {
        throw new MaillageError("FORBIDDEN", "only the national body registers fabriques");
      }
      const input = parseInput(CreateSpaceInput, raw);
      const id = ulid();
      const space = await spaces.insert({
        id,
        kind: "FABRIQUE",
        name: input.name,
        ...placeIn(input.communeCode),
        services: input.services,
        openingHours: input.openingHours,
      });
      announce(space, "CREATED");
      return space;
    },

    async createSatellite(viewer: Viewer, fabriqueId: string, raw: unknown): Promise<Space> {
      const input = parseInput(CreateSpaceInput, raw);
      const fabrique = await loadVisible(viewer, fabriqueId);
      if (fabrique.kind !== "FABRIQUE") {
        throw new MaillageError("NOT_A_FABRIQUE", `${fabriqueId} is a satellite`, { fabriqueId });
      }
      if (viewer.role !== "FABRIQUE_ADMIN") {
        throw new MaillageError("FORBIDDEN", "only the fabrique's team registers its satellites");
      }
      if (fabrique.status === "CLOSED") {
        throw new MaillageError("SPACE_CLOSED", "the fabrique is closed", { fabriqueId });
      }
      if (await spaces.hasActiveNode(fabrique.id)) {
        throw new MaillageError(
          "OWNED_BY_NODE",
          "this fabrique runs a node agent: register its satellites there",
          { fabriqueId },
        );
      }
      const place = placeIn(input.communeCode);
      await assertNameFree(fabrique.id, input.name);
      const space = await write(input.name, () =>
        spaces.insert({
          id: ulid(),
          kind: "SATELLITE",
          name: input.name,
          ...place,
          services: input.services,
          openingHours: input.openingHours,
          fabriqueId: fabrique.id,
        }),
      );
      announce(space, "CREATED");
      return space;
    },

    async updateSpace(viewer: Viewer, id: string, raw: unknown): Promise<Space> {
      const input = parseInput(UpdateSpaceInput, raw);
      const space = await loadVisible(viewer, id);
      assertCanManage(viewer, space);
      assertHubOwned(space);
      if (space.status === "CLOSED") {
        throw new MaillageError("SPACE_CLOSED", "a closed space cannot be changed", { id });
      }
      const place = input.communeCode ? placeIn(input.communeCode) : {};
      if (input.name) await assertNameFree(networkOf(space), input.name, space.id);
      const updated = await write(input.name, () =>
        spaces.update(space.id, networkOf(space), {
          ...place,
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.services !== undefined ? { services: input.services } : {}),
          ...(input.openingHours !== undefined ? { openingHours: input.openingHours } : {}),
        }),
      );
      announce(updated, "UPDATED");
      return updated;
    },

    async closeSpace(viewer: Viewer, id: string): Promise<Space> {
      const space = await loadVisible(viewer, id);
      assertCanManage(viewer, space);
      assertHubOwned(space);
      if (space.status === "CLOSED") return space;
      if (space.kind === "FABRIQUE" && (await spaces.countOpenSatellites(space.id)) > 0) {
        throw new MaillageError("HAS_OPEN_SATELLITES", "close the fabrique's satellites first", {
          id,
        });
      }
      const closed = await spaces.update(space.id, networkOf(space), {
        status: "CLOSED",
        closedAt: new Date(),
      });
      announce(closed, "CLOSED");
      return closed;
    },
  };
}
