import type { Geography } from "@maillage/schema";
import {
  type ActivityPayload,
  activityEntityId,
  type ChangeEvent,
  isFutureDate,
  MAX_PUSH_BATCH,
  MaillageError,
  type PushRejection,
  type PushResult,
  parseChangeEvent,
  type SpacePayload,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { activityByKeys, applyActivity } from "../activity/activity.repository.ts";
import { activityArrival, announce, nodeStatusEvent, spaceEvent } from "../health/announce.ts";
import { appendToLog, type LogEntry } from "./change-log.repository.ts";
import * as repo from "./sync.repository.ts";

/**
 * Applying a node's pushed changes. One transaction per push:
 * 1. lock the node's row (its pushes apply one after the other) and read its pushed seq;
 * 2. walk the batch in seq order: skip what was already applied (a re-send), stop at a gap
 *    or at the first event that fails the contract or the ownership rule;
 * 3. apply the accepted events — in bulk, or one by one under savepoints when the bulk
 *    statement fails, to name the event the database refuses (a duplicate name);
 * 4. append them to the hub's log and record the new pushed seq, then commit.
 * The answer says the highest contiguous seq applied, and why it stopped if it did.
 */
export type PushService = ReturnType<typeof createPushService>;

type Accepted = {
  event: ChangeEvent;
  state: SpacePayload | { homeSpaceId: string } | ActivityPayload | null;
};

/** "<spaceId>:<YYYY-MM-DD>" → its parts. */
function splitActivityId(entityId: string): { spaceId: string; day: string } | undefined {
  const match = /^(.+):(\d{4}-\d{2}-\d{2})$/.exec(entityId);
  return match?.[1] && match[2] ? { spaceId: match[1], day: match[2] } : undefined;
}

type Verdict = { ok: true } | { ok: false; code: string; message: string };

export function createPushService(deps: {
  store: SqlStore;
  geography: Geography;
  onLogAppended: () => void;
  /** A node created, changed or closed one of its satellites (dashboards follow these). */
  onSpaceChanged: (spaceId: string, fabriqueId: string, op: "UPSERT" | "DELETE") => void;
  onLivenessChanged: (change: { nodeId: string; fabriqueId: string; previous: string }) => void;
}) {
  const { store, geography } = deps;

  function reject(seq: number, code: string, message: string): PushRejection {
    return { seq, code, message };
  }

  /** Ownership and references of one event, given what the hub and this batch hold. */
  function check(
    node: repo.NodeSyncRow,
    event: ChangeEvent,
    spaces: Map<string, repo.OwnedRow>,
    members: Map<string, repo.OwnedRow>,
    reports: Map<string, repo.OwnedRow>,
  ): Verdict {
    const existing = { SPACE: spaces, MEMBER: members, ACTIVITY: reports }[event.entity].get(
      event.entityId,
    );
    if (existing && existing.owner_node_id !== node.id) {
      return {
        ok: false,
        code: "OWNERSHIP_VIOLATION",
        message: `${event.entity} ${event.entityId} is not owned by node ${node.id}`,
      };
    }
    // Deleting what the hub never had (its creation was refused, say) changes nothing:
    // accepted, so that an erasure can never block the node's outbox.
    if (event.op === "DELETE") return { ok: true };
    if (event.entity === "ACTIVITY") {
      const report = event.payload as ActivityPayload;
      if (event.entityId !== activityEntityId(report.spaceId, report.date)) {
        return {
          ok: false,
          code: "INVALID_EVENT",
          message: "an activity report's id is <spaceId>:<date>",
        };
      }
      if (isFutureDate(report.date)) {
        return { ok: false, code: "INVALID_EVENT", message: `${report.date} is in the future` };
      }
      const space = spaces.get(report.spaceId);
      const inNetwork =
        report.spaceId === node.fabrique_id ||
        (space !== undefined && space.owner_node_id === node.id);
      return inNetwork
        ? { ok: true }
        : {
            ok: false,
            code: "OWNERSHIP_VIOLATION",
            message: `space ${report.spaceId} is not in this node's network`,
          };
    }
    if (event.entity === "SPACE") {
      const space = event.payload as SpacePayload;
      if (space.kind !== "SATELLITE" || space.fabriqueId !== node.fabrique_id) {
        return {
          ok: false,
          code: "OWNERSHIP_VIOLATION",
          message: `a node writes satellites of its own fabrique (${node.fabrique_id}) only`,
        };
      }
      if (!geography.commune(space.communeCode)) {
        return {
          ok: false,
          code: "UNKNOWN_COMMUNE",
          message: `unknown INSEE code ${space.communeCode}`,
        };
      }
      return { ok: true };
    }
    const { homeSpaceId } = event.payload as { homeSpaceId: string };
    const home = spaces.get(homeSpaceId);
    const inNetwork =
      homeSpaceId === node.fabrique_id ||
      (home !== undefined &&
        home.fabrique_id === node.fabrique_id &&
        home.owner_node_id === node.id);
    return inNetwork
      ? { ok: true }
      : {
          ok: false,
          code: "OWNERSHIP_VIOLATION",
          message: `home space ${homeSpaceId} is not in this node's network`,
        };
  }

  async function applyAll(session: SqlSession, nodeId: string, accepted: Accepted[]) {
    // Each event carries the record's whole state: the last one per record decides.
    const last = new Map<string, Accepted>();
    for (const a of accepted) last.set(`${a.event.entity}:${a.event.entityId}`, a);
    const finals = [...last.values()];
    const spaceRows: repo.SpaceWrite[] = [];
    const closed: string[] = [];
    const memberRows: { id: string; home_space_id: string; owner_node_id: string }[] = [];
    const erased: string[] = [];
    const activity: { spaceId: string; day: string; report: ActivityPayload | null }[] = [];
    for (const { event, state } of finals) {
      if (event.entity === "ACTIVITY") {
        const key = splitActivityId(event.entityId);
        if (key)
          activity.push({
            ...key,
            report: event.op === "DELETE" ? null : (state as ActivityPayload),
          });
      } else if (event.entity === "SPACE") {
        if (event.op === "DELETE") closed.push(event.entityId);
        else spaceRows.push(toSpaceWrite(event.entityId, state as SpacePayload, nodeId));
      } else if (event.op === "DELETE") erased.push(event.entityId);
      else {
        const member = state as { homeSpaceId: string };
        memberRows.push({
          id: event.entityId,
          home_space_id: member.homeSpaceId,
          owner_node_id: nodeId,
        });
      }
    }
    await repo.upsertSpaces(session, spaceRows);
    await repo.closeSpaces(session, closed);
    await repo.upsertMembers(session, memberRows);
    await repo.deleteMembers(session, erased);
    await applyActivity(session, nodeId, activity);
  }

  function toSpaceWrite(id: string, space: SpacePayload, nodeId: string): repo.SpaceWrite {
    const commune = geography.requireCommune(space.communeCode);
    return {
      id,
      kind: space.kind,
      name: space.name,
      commune_code: commune.code,
      commune_name: commune.name,
      department_code: commune.departmentCode,
      region_code: commune.regionCode,
      population: commune.population,
      rural: commune.rural,
      services: space.services,
      opening_hours: space.openingHours,
      status: space.status,
      fabrique_id: space.fabriqueId,
      owner_node_id: nodeId,
    };
  }

  /** The database's verdict on one event, when the bulk apply was refused. */
  function databaseRefusal(error: unknown): { code: string; message: string } | undefined {
    const code = (error as { code?: string }).code;
    if (code === "23505")
      return {
        code: "DUPLICATE_NAME",
        message: "another open space of this network has this name",
      };
    if (code === "23503")
      return { code: "OWNERSHIP_VIOLATION", message: "refers to a record the hub does not have" };
    // Data exceptions (a NUL byte, malformed text): the event can never be stored as it is.
    if (code?.startsWith("22"))
      return { code: "INVALID_EVENT", message: "a value cannot be stored" };
    return undefined;
  }

  async function push(
    nodeId: string,
    rawEvents: unknown[],
    report: { pending: number; oldestPendingAt: Date | null },
  ): Promise<PushResult> {
    if (rawEvents.length > MAX_PUSH_BATCH) {
      throw new MaillageError("BATCH_TOO_LARGE", `at most ${MAX_PUSH_BATCH} events per push`, {
        max: MAX_PUSH_BATCH,
      });
    }
    const outcome = await store.transaction(async (session) => {
      const node = await repo.lockNode(session, nodeId);
      if (node?.status !== "ACTIVE") {
        throw new MaillageError("UNAUTHENTICATED", "unknown or revoked node");
      }
      // Order by the seq each event claims; an unparsable one is placed where it claims to be.
      const ordered = rawEvents
        .map((raw) => ({ raw, seq: Number((raw as { seq?: unknown } | null)?.seq) }))
        .sort(
          (a, b) => (Number.isFinite(a.seq) ? a.seq : 0) - (Number.isFinite(b.seq) ? b.seq : 0),
        );

      let expected = node.pushed_seq + 1;
      let duplicates = 0;
      const resent: { seq: number; id: unknown }[] = [];
      let expectedSeq: number | null = null;
      let rejected: PushRejection | null = null;
      const candidates: ChangeEvent[] = [];
      for (const { raw, seq } of ordered) {
        if (Number.isInteger(seq) && seq < expected) {
          duplicates++;
          resent.push({ seq, id: (raw as { id?: unknown }).id });
          continue;
        }
        if (Number.isInteger(seq) && seq > expected) {
          expectedSeq = expected;
          break;
        }
        const parsed = parseChangeEvent(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          rejected = reject(
            Number.isInteger(seq) ? seq : expected,
            "INVALID_EVENT",
            `${issue?.path.join(".") || "event"}: ${issue?.message ?? "invalid"}`,
          );
          break;
        }
        if (parsed.data.nodeId !== node.id) {
          rejected = reject(
            seq,
            "OWNERSHIP_VIOLATION",
            `event of node ${parsed.data.nodeId} pushed by ${node.id}`,
          );
          break;
        }
        candidates.push(parsed.data);
        expected++;
      }

      // A re-sent seq must be the very event the hub applied: the same seq with another id
      // means the node lost its history (a restored backup) and is writing over it.
      const conflict = await repo.firstSeqConflict(session, node.id, resent);
      if (conflict !== undefined) {
        return {
          result: {
            appliedThrough: node.pushed_seq,
            applied: 0,
            duplicates: 0,
            expectedSeq: null,
            rejected: reject(
              conflict,
              "SEQ_CONFLICT",
              `seq ${conflict} was applied with another event id`,
            ),
          },
          previousLiveness: "ONLINE",
          fabriqueId: node.fabrique_id,
          spaces: [] as ChangeEvent[],
        };
      }

      // Ownership, against the hub's rows and what earlier events of this batch create.
      const spaceIds = new Set<string>();
      const memberIds = new Set<string>();
      const reportKeys: { spaceId: string; day: string }[] = [];
      for (const e of candidates) {
        if (e.entity === "SPACE") spaceIds.add(e.entityId);
        else if (e.entity === "ACTIVITY") {
          const key = splitActivityId(e.entityId);
          if (key) reportKeys.push(key);
          if (e.op === "UPSERT") spaceIds.add((e.payload as ActivityPayload).spaceId);
        } else {
          memberIds.add(e.entityId);
          if (e.op === "UPSERT") spaceIds.add((e.payload as { homeSpaceId: string }).homeSpaceId);
        }
      }
      const spaces = new Map(
        (await repo.spacesByIds(session, [...spaceIds])).map((r) => [r.id, r]),
      );
      const members = new Map(
        (await repo.membersByIds(session, [...memberIds])).map((r) => [r.id, r]),
      );
      const reports = new Map<string, repo.OwnedRow>(
        (await activityByKeys(session, reportKeys)).map((r) => [
          activityEntityId(r.space_id, r.day),
          {
            id: activityEntityId(r.space_id, r.day),
            owner_node_id: r.owner_node_id,
            fabrique_id: null,
          },
        ]),
      );

      const existedBefore = new Set(spaces.keys());
      const accepted: Accepted[] = [];
      for (const event of candidates) {
        const verdict = check(node, event, spaces, members, reports);
        if (!verdict.ok) {
          rejected = reject(event.seq, verdict.code, verdict.message);
          expectedSeq = null;
          break;
        }
        accepted.push({
          event,
          state: event.op === "DELETE" ? null : (event.payload as Accepted["state"]),
        });
        const row = {
          id: event.entityId,
          owner_node_id: node.id,
          fabrique_id: null as string | null,
        };
        if (event.entity === "ACTIVITY") reports.set(event.entityId, row);
        else if (event.entity === "SPACE") {
          row.fabrique_id =
            (event.payload as SpacePayload | null)?.fabriqueId ??
            spaces.get(event.entityId)?.fabrique_id ??
            null;
          spaces.set(event.entityId, row);
        } else members.set(event.entityId, row);
      }

      // Apply: in bulk; if the database refuses, one by one to name the event it refuses.
      await session.exec("SAVEPOINT bulk");
      try {
        await applyAll(session, node.id, accepted);
        await session.exec("RELEASE SAVEPOINT bulk");
      } catch (error) {
        if (!databaseRefusal(error)) throw error;
        await session.exec("ROLLBACK TO SAVEPOINT bulk");
        const kept: Accepted[] = [];
        for (const a of accepted) {
          await session.exec("SAVEPOINT one");
          try {
            await applyAll(session, node.id, [a]);
            await session.exec("RELEASE SAVEPOINT one");
            kept.push(a);
          } catch (oneError) {
            const refusal = databaseRefusal(oneError);
            if (!refusal) throw oneError;
            await session.exec("ROLLBACK TO SAVEPOINT one");
            rejected = reject(a.event.seq, refusal.code, refusal.message);
            expectedSeq = null;
            break;
          }
        }
        accepted.splice(kept.length);
      }

      await appendToLog(
        session,
        accepted.map(({ event }) => toLogEntry(event)),
      );
      const pushedSeq = node.pushed_seq + accepted.length;
      const { previousLiveness, fabriqueId } = await repo.recordPush(session, node.id, {
        pushedSeq,
        pending: report.pending,
        oldestPendingAt: report.oldestPendingAt,
      });
      await announcePush(session, node, accepted, existedBefore, previousLiveness);
      return {
        result: {
          appliedThrough: pushedSeq,
          applied: accepted.length,
          duplicates,
          expectedSeq,
          rejected,
        },
        previousLiveness,
        fabriqueId,
        spaces: accepted.filter((a) => a.event.entity === "SPACE").map((a) => a.event),
      };
    });
    if (outcome.result.applied > 0) deps.onLogAppended();
    for (const event of outcome.spaces)
      deps.onSpaceChanged(event.entityId, outcome.fabriqueId, event.op);
    if (outcome.previousLiveness !== "ONLINE") {
      deps.onLivenessChanged({
        nodeId,
        fabriqueId: outcome.fabriqueId,
        previous: outcome.previousLiveness,
      });
    }
    return outcome.result;
  }

  return { push };
}

/** The national feed's entries for what this push changed (same transaction). */
async function announcePush(
  session: SqlSession,
  node: repo.NodeSyncRow,
  accepted: Accepted[],
  existedBefore: Set<string>,
  previousLiveness: string,
): Promise<void> {
  const finalSpaces = new Map<string, Accepted>();
  const reports: { spaceId: string; day: string }[] = [];
  for (const a of accepted) {
    if (a.event.entity === "SPACE") finalSpaces.set(a.event.entityId, a);
    if (a.event.entity === "ACTIVITY" && a.event.op === "UPSERT") {
      const payload = a.event.payload as ActivityPayload;
      reports.push({ spaceId: payload.spaceId, day: payload.date });
    }
  }
  const rows = await repo.spacesForFeed(session, [...finalSpaces.keys()]);
  const spaceEvents = rows.map((space) => {
    const a = finalSpaces.get(space.id);
    const closed =
      a?.event.op === "DELETE" || (a?.state as SpacePayload | null)?.status === "CLOSED";
    return spaceEvent(
      closed ? "SPACE_CLOSED" : existedBefore.has(space.id) ? "SPACE_UPDATED" : "SPACE_CREATED",
      space,
    );
  });
  await announce(session, [
    ...spaceEvents,
    await activityArrival(session, node.fabrique_id, reports),
    previousLiveness === "ONLINE"
      ? undefined
      : nodeStatusEvent({
          nodeId: node.id,
          fabriqueId: node.fabrique_id,
          status: "ONLINE",
          previous: previousLiveness,
        }),
  ]);
}

function toLogEntry(event: ChangeEvent): LogEntry {
  return {
    eventId: event.id,
    originNodeId: event.nodeId,
    seq: event.seq,
    entity: event.entity,
    entityId: event.entityId,
    op: event.op,
    payload: event.payload,
    occurredAt: event.occurredAt,
    schemaVersion: event.schemaVersion,
    targetNodeId: null,
  };
}
