import type { MemberPayload } from "@maillage/schema";
import { erasePresence } from "../mobility/mobility-rollup.repository.ts";
import { anonymiseVisitsOf } from "../mobility/mobility-sync.repository.ts";
import { type EntityHandler, OK, ownedElsewhere, refuse } from "../sync/push-handlers.ts";
import * as repo from "./member.repository.ts";

/**
 * MEMBER as nodes push it: a pseudonymous id and a home space, nothing personal (the contract
 * refuses any other field). Owned by the home node. Its DELETE (erasure at home) forgets the
 * member and makes its visits anonymous (counts kept: mobility/*).
 */
export const memberHandler: EntityHandler = {
  want(event, wanted) {
    wanted.members.add(event.entityId);
    if (event.op === "UPSERT") wanted.spaces.add((event.payload as MemberPayload).homeSpaceId);
  },
  check(node, event, known) {
    const owned = ownedElsewhere(known.members.get(event.entityId), node, event);
    if (owned) return owned;
    if (event.op === "DELETE") return OK;
    const { homeSpaceId } = event.payload as MemberPayload;
    const home = known.spaces.get(homeSpaceId);
    const inNetwork =
      homeSpaceId === node.fabrique_id ||
      (home !== undefined &&
        home.fabrique_id === node.fabrique_id &&
        home.owner_node_id === node.id);
    return inNetwork
      ? OK
      : refuse("OWNERSHIP_VIOLATION", `home space ${homeSpaceId} is not in this node's network`);
  },
  accept(node, event, known) {
    known.members.set(event.entityId, {
      id: event.entityId,
      owner_node_id: node.id,
      fabrique_id: null,
    });
    return { targetNodeId: null };
  },
  async apply(session, node, finals) {
    await repo.upsertMembers(
      session,
      finals
        .filter((e) => e.op === "UPSERT")
        .map((e) => ({
          id: e.entityId,
          home_space_id: (e.payload as MemberPayload).homeSpaceId,
          owner_node_id: node.id,
        })),
    );
    const erased = finals.filter((e) => e.op === "DELETE").map((e) => e.entityId);
    await repo.deleteMembers(session, erased);
    await anonymiseVisitsOf(session, erased);
    await erasePresence(session, erased);
  },
};
