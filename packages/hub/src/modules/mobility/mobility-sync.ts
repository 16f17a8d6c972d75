import {
  type PassPayload,
  type TariffPayload,
  tariffEntityId,
  type VisitPayload,
} from "@maillage/schema";
import {
  type EntityHandler,
  inNodeNetwork,
  type Known,
  OK,
  ownedElsewhere,
  refuse,
  type Verdict,
} from "../sync/push-handlers.ts";
import { withMobilityRollup } from "./mobility-rollup.repository.ts";
import * as repo from "./mobility-sync.repository.ts";

/**
 * The roads of mobility (issue 11):
 * - PASS, owned by the member's home node, for a member of its own (or, revoked, for one the
 *   hub no longer knows: an erased member's last word) at a home space of its network. Sent to
 *   every node (offline checks: revoked, short code). The hub keeps its owner and validity only.
 * - VISIT, owned by the node of the VISITED space (a space of its network). Kept at the hub
 *   (mobility rollups by deltas) and routed to the member's home node only: the member's owner
 *   at the hub, or — a member the hub does not know (yet, or any more) — the node of the home
 *   space's network; it stays at the hub when that is the visited node itself. Once sent, a
 *   visit stays its member's, at its places; only its member may go (null: anonymised after an
 *   erasure, then it stays anonymous). A visit's DELETE (a check-in undone) is its owner's.
 * - TARIFF, owned by the space's node (entityId `<spaceId>:<validFrom>`), sent to every node.
 */

export const passHandler: EntityHandler = {
  want(event, wanted) {
    wanted.passes.add(event.entityId);
    if (event.op === "DELETE") return;
    const pass = event.payload as PassPayload;
    wanted.members.add(pass.memberId);
    wanted.spaces.add(pass.homeSpaceId);
  },
  check(node, event, known): Verdict {
    const existing = known.passes.get(event.entityId);
    const owned = ownedElsewhere(existing, node, event);
    if (owned || event.op === "DELETE") return owned ?? OK;
    const pass = event.payload as PassPayload;
    if (!inNodeNetwork(node, pass.homeSpaceId, known)) {
      return refuse(
        "OWNERSHIP_VIOLATION",
        `space ${pass.homeSpaceId} is not in this node's network`,
      );
    }
    if (existing) return OK;
    const member = known.members.get(pass.memberId);
    if (member?.owner_node_id === node.id) return OK;
    // A revoked pass of a member the hub no longer has (erased) is its home's last word.
    if (member === undefined && pass.status === "REVOKED") return OK;
    return refuse(
      "OWNERSHIP_VIOLATION",
      `member ${pass.memberId} is not a member of this node's network`,
    );
  },
  accept(node, event, known) {
    known.passes.set(event.entityId, { id: event.entityId, owner_node_id: node.id });
    return { targetNodeId: null };
  },
  async apply(session, node, finals) {
    await repo.upsertPasses(
      session,
      node.id,
      finals
        .filter((e) => e.op === "UPSERT")
        .map((e) => ({ id: e.entityId, pass: e.payload as PassPayload })),
    );
    await repo.deleteOwned(
      session,
      "pass",
      node.id,
      finals.filter((e) => e.op === "DELETE").map((e) => e.entityId),
    );
  },
};

export const tariffHandler: EntityHandler = {
  want(event, wanted) {
    wanted.tariffs.add(event.entityId);
    if (event.op === "UPSERT") wanted.spaces.add((event.payload as TariffPayload).spaceId);
  },
  check(node, event, known): Verdict {
    const owned = ownedElsewhere(known.tariffs.get(event.entityId), node, event);
    if (owned || event.op === "DELETE") return owned ?? OK;
    const tariff = event.payload as TariffPayload;
    if (event.entityId !== tariffEntityId(tariff.spaceId, tariff.validFrom)) {
      return refuse("INVALID_EVENT", "entityId: must be <spaceId>:<validFrom>");
    }
    return inNodeNetwork(node, tariff.spaceId, known)
      ? OK
      : refuse("OWNERSHIP_VIOLATION", `space ${tariff.spaceId} is not in this node's network`);
  },
  accept(node, event, known) {
    known.tariffs.set(event.entityId, { id: event.entityId, owner_node_id: node.id });
    return { targetNodeId: null };
  },
  async apply(session, node, finals) {
    await repo.upsertTariffs(
      session,
      node.id,
      finals
        .filter((e) => e.op === "UPSERT")
        .map((e) => ({ id: e.entityId, tariff: e.payload as TariffPayload })),
    );
    await repo.deleteOwned(
      session,
      "tariff",
      node.id,
      finals.filter((e) => e.op === "DELETE").map((e) => e.entityId),
    );
  },
};

/** The member's home node, where a visit goes (the visited node itself: it stays at the hub). */
function homeOf(
  known: Known,
  memberId: string | null,
  homeSpaceId: string,
  fallback: string,
): string {
  return (
    (memberId === null ? undefined : known.members.get(memberId)?.owner_node_id) ??
    known.homeNodes.get(homeSpaceId) ??
    fallback
  );
}

export const visitHandler: EntityHandler = {
  want(event, wanted) {
    wanted.visits.add(event.entityId);
    if (event.op === "DELETE") return;
    const visit = event.payload as VisitPayload;
    if (visit.memberId !== null) wanted.members.add(visit.memberId);
    wanted.spaces.add(visit.spaceId);
    wanted.spaces.add(visit.homeSpaceId);
    wanted.homeNodes.add(visit.homeSpaceId);
  },
  check(node, event, known): Verdict {
    const existing = known.visits.get(event.entityId);
    const owned = ownedElsewhere(existing, node, event);
    if (owned || event.op === "DELETE") return owned ?? OK;
    const visit = event.payload as VisitPayload;
    if (!inNodeNetwork(node, visit.spaceId, known)) {
      return refuse("OWNERSHIP_VIOLATION", `space ${visit.spaceId} is not in this node's network`);
    }
    if (!known.spaces.has(visit.homeSpaceId)) {
      return refuse("INVALID_EVENT", `homeSpaceId: unknown space ${visit.homeSpaceId}`);
    }
    if (existing) {
      if (existing.space_id !== visit.spaceId || existing.home_space_id !== visit.homeSpaceId) {
        return refuse("INVALID_EVENT", "a visit stays at its places");
      }
      if (
        existing.member_id !== null &&
        visit.memberId !== null &&
        visit.memberId !== existing.member_id
      ) {
        return refuse("INVALID_EVENT", "memberId: a visit stays its member's");
      }
    }
    return OK;
  },
  accept(node, event, known) {
    const existing = known.visits.get(event.entityId);
    if (event.op === "DELETE") {
      // To the home node that holds it; an unknown visit concerns nobody else.
      const home = existing
        ? homeOf(known, existing.member_id, existing.home_space_id, node.id)
        : node.id;
      known.visits.delete(event.entityId);
      return { targetNodeId: home };
    }
    const visit = event.payload as VisitPayload;
    // Anonymous at the hub stays anonymous: the log carries it so (the member was erased).
    const memberId = existing && existing.member_id === null ? null : visit.memberId;
    if (memberId !== visit.memberId) {
      (event as { payload: unknown }).payload = { ...visit, memberId: null, passId: null };
    }
    known.visits.set(event.entityId, {
      id: event.entityId,
      owner_node_id: node.id,
      member_id: memberId,
      home_space_id: visit.homeSpaceId,
      space_id: visit.spaceId,
    });
    return {
      targetNodeId: homeOf(
        known,
        memberId ?? existing?.member_id ?? null,
        visit.homeSpaceId,
        node.id,
      ),
      visitId: event.entityId,
    };
  },
  async apply(session, node, finals) {
    const upserts = finals.filter((e) => e.op === "UPSERT");
    const before = new Map(
      (
        await repo.visitsByIds(
          session,
          finals.map((e) => e.entityId),
        )
      ).map((v) => [v.id, v]),
    );
    // Members whose visit this push anonymises (their erasure, seen from the visited node).
    const erased = new Set(
      upserts.flatMap((e) => {
        const was = before.get(e.entityId)?.member_id;
        return was && (e.payload as VisitPayload).memberId === null ? [was] : [];
      }),
    );
    await withMobilityRollup(
      session,
      finals.map((e) => e.entityId),
      async () => {
        await repo.upsertVisits(
          session,
          node.id,
          upserts.map((e) => ({ id: e.entityId, visit: e.payload as VisitPayload })),
        );
        await repo.deleteOwned(
          session,
          "visit",
          node.id,
          finals.filter((e) => e.op === "DELETE").map((e) => e.entityId),
        );
        await repo.anonymiseVisitsOf(session, [...erased]);
      },
      erased,
    );
  },
};
