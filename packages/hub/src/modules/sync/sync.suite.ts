import type { PullResult } from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { FOLLOW_POLL_MS } from "../../realtime/follow.ts";
import { type Backend, startTestHub, type TestHub } from "../../testing/fixture.ts";
import { enrolTestNode, type TestNode } from "../../testing/test-node.ts";
import { appendNetworkEvents, readNetworkEvents } from "../health/network-events.repository.ts";
import { ONLINE_WITHIN_MS, sweepLiveness } from "../nodes/liveness.ts";
import {
  type LogRead,
  MAX_CURSOR_LEAD,
  readLogFor,
  readLogForMany,
} from "./change-log.repository.ts";
import { createPullService, FOLLOW_RECORD_EVERY_MS } from "./pull.service.ts";

/** The store, writing down every statement sent through it (a transaction counts as BEGIN). */
function countingStore(store: SqlStore, statements: string[]): SqlStore {
  const counted = (session: SqlSession): SqlSession => ({
    exec: (sql) => {
      statements.push(sql);
      return session.exec(sql);
    },
    query: <Row>(sql: string, params?: unknown[]) => {
      statements.push(sql);
      return session.query<Row>(sql, params);
    },
  });
  return {
    ...store,
    ...counted(store),
    transaction: (fn) => {
      statements.push("BEGIN");
      return store.transaction((tx) => fn(counted(tx)));
    },
  };
}

/** A logger that keeps nothing, for the services a test builds itself. */
const quiet = { warn: () => {}, error: () => {} };

/** The hub's side of the sync protocol, on every storage backend. */
export function registerSyncTests(backend: Backend) {
  describe(`sync at the hub (${backend})`, () => {
    let t: TestHub;
    let national: string;

    beforeAll(async () => {
      t = await startTestHub(backend);
      national = await t.nationalToken();
    });
    afterAll(() => t?.close());
    beforeEach(() => t.reset());

    async function fabrique(name: string, communeCode: string) {
      const r = await t.gql<{ createFabrique: { id: string } }>(
        "mutation($i: CreateSpaceInput!) { createFabrique(input: $i) { id } }",
        { i: { name, communeCode } },
        national,
      );
      return r.data?.createFabrique.id as string;
    }

    async function networkState() {
      const { prisma } = t.hub.db;
      const spaces = await prisma.space.findMany({
        orderBy: { id: "asc" },
        select: {
          id: true,
          name: true,
          status: true,
          communeCode: true,
          rural: true,
          ownerNodeId: true,
          fabriqueId: true,
        },
      });
      const members = await prisma.member.findMany({
        orderBy: { id: "asc" },
        select: { id: true, homeSpaceId: true },
      });
      const log = await prisma.changeLog.count();
      return { spaces, members, log };
    }

    describe("push", () => {
      let a: TestNode;
      beforeEach(async () => {
        a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
      });

      it("applies a batch in seq order and derives geography at the hub", async () => {
        const r = await a.push([
          a.satellite("S1", "La Grange", "07107"),
          a.satellite("S2", "Le Local", "07129"),
        ]);
        expect(r.data?.pushChanges).toEqual({
          appliedThrough: 2,
          applied: 2,
          duplicates: 0,
          expectedSeq: null,
          rejected: null,
        });
        const s1 = await t.hub.db.prisma.space.findUniqueOrThrow({ where: { id: "S1" } });
        expect(s1).toMatchObject({
          communeName: "Jaujac",
          departmentCode: "07",
          rural: true,
          ownerNodeId: a.nodeId,
          fabriqueId: a.fabriqueId,
        });
      });

      it("skips a batch pushed twice, and converges whatever the order of batches", async () => {
        const batch1 = [a.satellite("S1", "Un"), a.satellite("S2", "Deux")];
        const batch2 = [
          a.satellite("S1", "Un bis"),
          a.event("MEMBER", "M1", { homeSpaceId: "S2" }),
        ];
        expect((await a.push(batch2)).data?.pushChanges).toMatchObject({
          appliedThrough: 0,
          applied: 0,
          expectedSeq: 1,
        });
        expect((await a.push(batch1)).data?.pushChanges).toMatchObject({
          appliedThrough: 2,
          applied: 2,
        });
        const once = await a.push(batch2);
        expect(once.data?.pushChanges).toMatchObject({ appliedThrough: 4, applied: 2 });
        const before = await networkState();
        const again = await a.push([...batch1, ...batch2]);
        expect(again.data?.pushChanges).toEqual({
          appliedThrough: 4,
          applied: 0,
          duplicates: 4,
          expectedSeq: null,
          rejected: null,
        });
        expect(await networkState()).toEqual(before);
        expect(before.spaces.find((s) => s.id === "S1")?.name).toBe("Un bis");
        expect(before.members).toEqual([{ id: "M1", homeSpaceId: "S2" }]);
      });

      it("applies concurrent pushes of one batch once", async () => {
        const batch = Array.from({ length: 20 }, (_, i) => a.satellite(`S${i}`, `Satellite ${i}`));
        const answers = await Promise.all([a.push(batch), a.push(batch), a.push(batch)]);
        expect(answers.map((r) => r.data?.pushChanges.applied).sort()).toEqual([0, 0, 20]);
        expect(await t.hub.db.prisma.changeLog.count({ where: { originNodeId: a.nodeId } })).toBe(
          20,
        );
      });

      it("stops at a gap and answers the expected seq", async () => {
        const e1 = a.satellite("S1", "Un");
        const e2 = a.satellite("S2", "Deux");
        a.satellite("S3", "Trois"); // seq 3, never sent
        const e4 = a.satellite("S4", "Quatre");
        const r = await a.push([e1, e2, e4]);
        expect(r.data?.pushChanges).toMatchObject({
          appliedThrough: 2,
          applied: 2,
          expectedSeq: 3,
          rejected: null,
        });
        expect(await t.hub.db.prisma.space.findUnique({ where: { id: "S4" } })).toBeNull();
      });

      it("refuses a bad event with its seq and code, applying what came before and nothing after", async () => {
        const good = a.satellite("S1", "Un");
        const bad = a.event("SPACE", "S2", {
          kind: "SATELLITE",
          fabriqueId: a.fabriqueId,
          name: "x",
          communeCode: "7",
          services: [],
          openingHours: [],
          status: "OPEN",
        });
        const after = a.satellite("S3", "Trois");
        const r = await a.push([good, bad, after]);
        expect(r.data?.pushChanges).toMatchObject({
          appliedThrough: 1,
          applied: 1,
          rejected: { seq: 2, code: "INVALID_EVENT" },
        });
        expect(await t.hub.db.prisma.space.count({ where: { ownerNodeId: a.nodeId } })).toBe(1);
      });

      it("refuses personal data in a member event", async () => {
        const r = await a.push([
          a.satellite("S1", "Un"),
          a.event("MEMBER", "M1", { homeSpaceId: "S1", email: "camille@example.org" }),
        ]);
        expect(r.data?.pushChanges.rejected).toMatchObject({ seq: 2, code: "INVALID_EVENT" });
        expect(await t.hub.db.prisma.member.count()).toBe(0);
        const logged = await t.hub.db.prisma.changeLog.findMany({ select: { payload: true } });
        expect(JSON.stringify(logged)).not.toContain("camille");
      });

      it("refuses an unknown commune with UNKNOWN_COMMUNE", async () => {
        const r = await a.push([a.satellite("S1", "Nulle part", "99999")]);
        expect(r.data?.pushChanges.rejected).toMatchObject({ seq: 1, code: "UNKNOWN_COMMUNE" });
      });

      it("lets the database refuse a duplicate name and names the event", async () => {
        const r = await a.push([
          a.satellite("S1", "Le Lieu"),
          a.satellite("S2", "Autre"),
          a.satellite("S3", "le lieu"),
          a.satellite("S4", "Après"),
        ]);
        expect(r.data?.pushChanges).toMatchObject({
          appliedThrough: 2,
          applied: 2,
          rejected: { seq: 3, code: "DUPLICATE_NAME" },
        });
        expect((await networkState()).spaces.map((s) => s.id)).toEqual(
          expect.arrayContaining(["S1", "S2"]),
        );
        expect(await t.hub.db.prisma.space.findUnique({ where: { id: "S4" } })).toBeNull();
      });

      it("refuses writes to records another node or the hub owns, writing nothing", async () => {
        const b = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
        await a.push([a.satellite("SA", "Chez A")]);
        const before = await networkState();
        // Each attempt is b's seq 1 again: a refused event is never applied, so the hub still expects 1.
        const first = (event: Record<string, unknown>) => ({ ...event, seq: 1 });
        const satelliteOf = (fabriqueId: string | null, kind = "SATELLITE") => ({
          kind,
          fabriqueId,
          name: "Volé",
          communeCode: "23008",
          services: [],
          openingHours: [],
          status: "OPEN",
        });
        const attempts = [
          b.event("SPACE", "SA", satelliteOf(b.fabriqueId)),
          b.event("SPACE", "SB", satelliteOf(a.fabriqueId)),
          b.event("SPACE", b.fabriqueId, satelliteOf(null, "FABRIQUE")),
          b.event("MEMBER", "MB", { homeSpaceId: "SA" }),
          a.satellite("SA", "Usurpé"),
        ];
        for (const attempt of attempts) {
          const r = await b.push([first(attempt)]);
          expect(r.data?.pushChanges).toMatchObject({
            applied: 0,
            rejected: { seq: 1, code: "OWNERSHIP_VIOLATION" },
          });
        }
        expect(await networkState()).toEqual(before);
      });

      it("closes a satellite on DELETE and erases a member on its tombstone", async () => {
        await a.push([a.satellite("S1", "Un"), a.event("MEMBER", "M1", { homeSpaceId: "S1" })]);
        const r = await a.push([
          a.event("MEMBER", "M1", null, "DELETE"),
          a.event("SPACE", "S1", null, "DELETE"),
        ]);
        expect(r.data?.pushChanges).toMatchObject({ applied: 2, rejected: null });
        expect(await t.hub.db.prisma.member.count()).toBe(0);
        expect(
          (await t.hub.db.prisma.space.findUniqueOrThrow({ where: { id: "S1" } })).status,
        ).toBe("CLOSED");
      });

      it("refuses a re-used seq carrying another event, and stores payloads as the contract normalises them", async () => {
        const first = a.satellite("S1", "  Atelier  ");
        (first.payload as { services: string[] }).services = ["Laser", "laser", " Laser "];
        await a.push([first]);
        const stored = await t.hub.db.prisma.space.findUniqueOrThrow({ where: { id: "S1" } });
        expect(stored).toMatchObject({ name: "Atelier", services: ["laser"] });
        const impostor = { ...a.satellite("S9", "Autre"), seq: 1 };
        const r = await a.push([impostor]);
        expect(r.data?.pushChanges.rejected).toMatchObject({ seq: 1, code: "SEQ_CONFLICT" });
        const same = await a.push([first]);
        expect(same.data?.pushChanges).toMatchObject({ duplicates: 1, rejected: null });
      });

      it("refuses text the database cannot store as an invalid event, not a transient error", async () => {
        const r = await a.push([a.satellite("S1", "Nul\u0000part")]);
        expect(r.data?.pushChanges.rejected).toMatchObject({ seq: 1, code: "INVALID_EVENT" });
      });

      it("refuses oversized batches", async () => {
        const r = await a.push(Array.from({ length: 1001 }, () => ({})));
        expect(r.errors?.[0]?.extensions?.code).toBe("BATCH_TOO_LARGE");
      });
    });

    describe("enrolment handover", () => {
      it("hands the satellites registered at the hub to the node, which alone changes them afterwards", async () => {
        const f = await fabrique("Fabrique A", "07186");
        const fabriqueId = f;
        const admin = await t.adminToken(fabriqueId);
        const created = await t.gql<{ createSatellite: { id: string } }>(
          `mutation($f: ID!) { createSatellite(fabriqueId: $f, input: { name: "Avant l'agent", communeCode: "07019" }) { id } }`,
          { f },
          admin,
        );
        const satelliteId = created.data?.createSatellite.id as string;
        const a = await enrolTestNode(t, f, national);

        const page = await a.pull("0");
        const handover = page.events.filter((e) => e.targetNodeId === a.nodeId);
        expect(handover).toMatchObject([
          {
            entity: "SPACE",
            entityId: satelliteId,
            op: "UPSERT",
            payload: { name: "Avant l'agent", kind: "SATELLITE" },
          },
        ]);

        const edit = await t.gql(
          `mutation($id: ID!) { updateSpace(id: $id, input: { name: "Par le hub" }) { name } }`,
          { id: satelliteId },
          admin,
        );
        expect(edit.errors?.[0]?.extensions?.code).toBe("OWNED_BY_NODE");
        const another = await t.gql(
          `mutation($f: ID!) { createSatellite(fabriqueId: $f, input: { name: "Nouveau", communeCode: "07019" }) { id } }`,
          { f },
          admin,
        );
        expect(another.errors?.[0]?.extensions?.code).toBe("OWNED_BY_NODE");

        const byNode = await a.push([a.satellite(satelliteId, "Par l'agent")]);
        expect(byNode.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        expect(
          (await t.hub.db.prisma.space.findUniqueOrThrow({ where: { id: satelliteId } })).name,
        ).toBe("Par l'agent");
      });
    });

    describe("re-enrolment and erasure", () => {
      it("accepts the erasure of a member the hub never had, so an outbox cannot block on it", async () => {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        const r = await a.push([a.event("MEMBER", "NEVER-SEEN", null, "DELETE")]);
        expect(r.data?.pushChanges).toMatchObject({ appliedThrough: 1, rejected: null });
      });

      it("hands everything over to a replacement node at re-enrolment, members included", async () => {
        const f = await fabrique("Fabrique A", "07186");
        const old = await enrolTestNode(t, f, national);
        await old.push([
          old.satellite("S1", "Un"),
          old.event("MEMBER", "M1", { homeSpaceId: "S1" }),
        ]);
        const replacement = await enrolTestNode(t, f, national);
        expect(replacement.nodeId).not.toBe(old.nodeId);
        const handover = (await replacement.pull("0")).events.filter(
          (e) => e.targetNodeId === replacement.nodeId,
        );
        expect(handover.map((e) => [e.entity, e.entityId])).toEqual([
          ["SPACE", "S1"],
          ["MEMBER", "M1"],
        ]);
        // The replaced node's key opens nothing any more; the new node writes from seq 1.
        const stale = await t.gql(
          'query { pullChanges(after: "0", limit: 1) { cursor } }',
          {},
          await old.token(),
        );
        expect(stale.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
        const r = await replacement.push([replacement.satellite("S1", "Un, repris")]);
        expect(r.data?.pushChanges).toMatchObject({
          appliedThrough: 1,
          applied: 1,
          rejected: null,
        });
      });

      it("passes the replaced node's shared resources to the replacement", async () => {
        const f = await fabrique("Fabrique A", "07186");
        const old = await enrolTestNode(t, f, national);
        const resource = {
          spaceId: old.fabriqueId,
          name: "Découpeuse laser",
          category: "MACHINE",
          description: null,
          sharingScope: "NETWORK",
          requiredCredential: null,
          minMinutes: 30,
          maxMinutes: 240,
          leadMinutes: 0,
          cancelDeadlineMinutes: 0,
          status: "AVAILABLE",
          movable: false,
          approvalRequired: false,
          windows: [],
          closures: [],
        };
        const first = await old.push([old.event("RESOURCE", "R1", resource)]);
        expect(first.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        const replacement = await enrolTestNode(t, f, national);
        const r = await replacement.push([
          replacement.event("RESOURCE", "R1", { ...resource, status: "MAINTENANCE" }),
        ]);
        expect(r.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
      });
    });

    describe("pull", () => {
      it("serves other nodes' changes and the hub's reference data, in order, page by page", async () => {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        const b = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
        await a.push(Array.from({ length: 5 }, (_, i) => a.satellite(`SA${i}`, `A ${i}`)));
        await b.push([b.satellite("SB", "Chez B", "23008")]);

        const seenByB: string[] = [];
        let cursor = "0";
        for (let i = 0; i < 10; i++) {
          const page = await b.pull(cursor, 2);
          seenByB.push(...page.events.map((e) => e.entityId));
          expect(BigInt(page.cursor) >= BigInt(cursor)).toBe(true);
          cursor = page.cursor;
          if (!page.hasMore) break;
        }
        // Both fabriques and both nodes' keys (hub reference data, NODE_KEY at each
        // enrolment) and A's satellites; never B's own change.
        expect(seenByB).toEqual([
          a.fabriqueId,
          a.nodeId,
          b.fabriqueId,
          b.nodeId,
          "SA0",
          "SA1",
          "SA2",
          "SA3",
          "SA4",
        ]);
        const caughtUp = await b.pull(cursor);
        expect(caughtUp).toMatchObject({ events: [], hasMore: false, cursor });
        const seenByA = (await a.pull("0")).events.map((e) => e.entityId);
        expect(seenByA).toEqual([a.fabriqueId, a.nodeId, b.fabriqueId, b.nodeId, "SB"]);
      });

      it("keeps a stalled live follower from piling up wake-ups", async () => {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        const follower = t.hub.services.pullService.follow(a.nodeId, "0", 10);
        await follower.next();
        // 1,100 appends announced while the follower does not read: nothing queues, nothing throws.
        for (let i = 0; i < 1100; i++) t.hub.services.pubsub.publish("log:appended");
        await new Promise((r) => setTimeout(r, 20));
        await follower.return();
      });

      it("refuses bad cursors and limits", async () => {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        const r = await t.gql(
          'query { pullChanges(after: "-1", limit: 10) { cursor } }',
          {},
          await a.token(),
        );
        expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        const big = await t.gql(
          'query { pullChanges(after: "0", limit: 5000) { cursor } }',
          {},
          await a.token(),
        );
        expect(big.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      });

      it("follows the log live over graphql-ws and catches up from the stored cursor after a drop", async () => {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        const b = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
        const { url } = await t.hub.start();
        const wsUrl = `${url.replace("http", "ws")}/graphql`;
        let cursor = (await b.pull("0")).cursor;
        const received: string[] = [];

        async function follow(until: (ids: string[]) => boolean) {
          const client = createClient({
            url: wsUrl,
            webSocketImpl: WebSocket,
            retryAttempts: 0,
            connectionParams: { authToken: await b.token() },
          });
          await new Promise<void>((resolve, reject) => {
            const stop = client.subscribe<{
              changes: { events: { entityId: string }[]; cursor: string };
            }>(
              {
                query:
                  "subscription($after: String!) { changes(after: $after) { events cursor hasMore } }",
                variables: { after: cursor },
              },
              {
                next: (msg) => {
                  const page = msg.data?.changes;
                  if (!page) return reject(new Error(JSON.stringify(msg.errors)));
                  received.push(...page.events.map((e) => e.entityId));
                  cursor = page.cursor;
                  if (until(received)) {
                    stop();
                    resolve();
                  }
                },
                error: reject,
                complete: () => resolve(),
              },
            );
          });
          await client.dispose();
        }

        const live = follow((ids) => ids.includes("L1"));
        await new Promise((r) => setTimeout(r, 200));
        await a.push([a.satellite("L1", "En direct")]);
        await live;
        // The connection is gone; changes keep coming; the follower resumes from its cursor.
        await a.push([a.satellite("L2", "Pendant la coupure"), a.satellite("L3", "Encore")]);
        await follow((ids) => ids.includes("L3"));
        expect(received).toEqual(["L1", "L2", "L3"]);
      });
    });

    describe("live followers", () => {
      /** Every offset of the log, in order. */
      async function offsets(): Promise<string[]> {
        const rows = await t.hub.db.store.query<{ at: string }>(
          'SELECT "offset"::text AS at FROM change_log ORDER BY "offset"',
        );
        return rows.map((r) => r.at);
      }

      it("answers many readers in one statement exactly as readLogFor answers each", async () => {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        const b = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
        const cFabrique = await fabrique("Fabrique C", "07019");
        const oldC = await enrolTestNode(t, cFabrique, national);
        await a.push([a.satellite("SA1", "A un"), a.satellite("SA2", "A deux")]);
        await oldC.push([oldC.satellite("SC1", "C un")]);
        await b.push([b.satellite("SB1", "B un")]);
        // The replacement gets C's records handed over: events addressed to it alone.
        const c = await enrolTestNode(t, cFabrique, national);
        await a.push([a.satellite("SA3", "A trois")]);
        const all = await offsets();
        const end = all.at(-1) as string;
        const cursors = ["0", ...all, (BigInt(end) + 5n).toString()];
        const reads: LogRead[] = [];
        for (const node of [a, b, c]) {
          for (const after of cursors) {
            for (const limit of [1, 2, 3, 500]) reads.push({ nodeId: node.nodeId, after, limit });
          }
        }
        reads.push({ nodeId: oldC.nodeId, after: "0", limit: 500 });
        reads.push({ nodeId: "01UNKNOWNNODE0000000000000", after: "0", limit: 500 });
        const statements: string[] = [];
        const batched = await readLogForMany(countingStore(t.hub.db.store, statements), reads);
        expect(statements).toHaveLength(1);
        const alone = await Promise.all(
          reads.map((r) => readLogFor(t.hub.db.store, r.nodeId, r.after, r.limit)),
        );
        expect(alone.some((page) => page.events.some((e) => e.targetNodeId === c.nodeId))).toBe(
          true,
        );
        expect(alone.some((page) => page.hasMore)).toBe(true);
        // The replaced and the unknown node get nothing; every other page is readLogFor's.
        expect(batched.slice(-2)).toEqual([undefined, undefined]);
        expect(
          batched.slice(0, -2).map((page) => page && { ...page, liveness: undefined }),
        ).toEqual(alone.slice(0, -2).map((page) => ({ ...page, liveness: undefined })));
      });

      it("hands each follower exactly its events, in order and once, across pushes from many nodes", async () => {
        const nodes: TestNode[] = [];
        for (const [i, commune] of ["07186", "23096", "07019", "07107", "07129"].entries()) {
          nodes.push(await enrolTestNode(t, await fabrique(`Fabrique ${i}`, commune), national));
        }
        const received = nodes.map(() => ({ events: [] as PullResult["events"], cursor: "0" }));
        // Small pages: a follower behind reads on (hasMore) without waiting for a wake-up.
        const follows = nodes.map((n) => t.hub.services.pullService.follow(n.nodeId, "0", 2));
        const reading = follows.map(async (follow, i) => {
          for await (const page of follow) {
            const mine = received[i] as (typeof received)[number];
            mine.events.push(...page.events);
            mine.cursor = page.cursor;
          }
        });
        try {
          for (let round = 0; round < 3; round++) {
            await Promise.all(
              nodes.map((n, i) =>
                n.push([n.satellite(`S${i}-${round}`, `Lieu ${i} ${round}`)]).then(() =>
                  // Two at once from one node now and then.
                  round === 1 && i % 2 === 0
                    ? n.push([
                        n.satellite(`T${i}-a`, `Tiers ${i} a`),
                        n.satellite(`T${i}-b`, `Tiers ${i} b`),
                      ])
                    : undefined,
                ),
              ),
            );
          }
          const end = (await offsets()).at(-1) as string;
          await vi.waitFor(
            () => expect(received.map((r) => r.cursor)).toEqual(nodes.map(() => end)),
            { timeout: 10_000 },
          );
        } finally {
          await Promise.all(follows.map((f) => f.return()));
          await Promise.all(reading);
        }
        for (const [i, node] of nodes.entries()) {
          const expected = await readLogFor(t.hub.db.store, node.nodeId, "0", 1000);
          const got = received[i]?.events ?? [];
          expect(got).toEqual(expected.events);
          expect(new Set(got.map((e) => e.id)).size).toBe(got.length);
          // Every other node's satellites, none of its own.
          expect(got.filter((e) => e.entity === "SPACE" && e.originNodeId).length).toBe(
            nodes.length * 3 + 2 * 3 - (i % 2 === 0 ? 5 : 3),
          );
        }
      });

      it("bounds a batched read's events in all: followers behind get smaller pages and read on", async () => {
        const pusher = await enrolTestNode(t, await fabrique("Fabrique pleine", "07186"), national);
        const behind: TestNode[] = [];
        for (const i of [1, 2, 3]) {
          behind.push(await enrolTestNode(t, await fabrique(`Fabrique ${i}`, "23096"), national));
        }
        const backlog = Array.from({ length: 50 }, (_, i) =>
          pusher.satellite(`B${i}`, `Lieu B${i}`),
        );
        await pusher.push(backlog);
        // A budget of 1 event per batch: every follower's page falls to the floor of 20.
        const service = createPullService({
          store: t.hub.db.store,
          pubsub: t.hub.services.pubsub,
          onLivenessChanged: () => {},
          logger: quiet,
          followBatchEvents: 1,
        });
        const end = (await offsets()).at(-1) as string;
        for (const node of behind) {
          const follow = service.follow(node.nodeId, "0", 500);
          const got: PullResult["events"] = [];
          const sizes: number[] = [];
          try {
            for await (const page of follow) {
              got.push(...page.events);
              sizes.push(page.events.length);
              if (page.cursor === end) break;
            }
          } finally {
            await follow.return();
          }
          expect(Math.max(...sizes)).toBeLessThanOrEqual(20);
          expect(got).toEqual((await readLogFor(t.hub.db.store, node.nodeId, "0", 1000)).events);
        }
      });

      it("reads the log once per wake-up for 20 followers, not once per follower", async () => {
        const nodes: TestNode[] = [];
        for (let i = 0; i <= 20; i++) {
          nodes.push(await enrolTestNode(t, await fabrique(`Fabrique ${i}`, "07186"), national));
        }
        const [pusher, ...followers] = nodes as [TestNode, ...TestNode[]];
        const statements: string[] = [];
        const service = createPullService({
          store: countingStore(t.hub.db.store, statements),
          pubsub: t.hub.services.pubsub,
          onLivenessChanged: () => {},
          logger: quiet,
        });
        const follows = followers.map((f) => service.follow(f.nodeId, "0"));
        try {
          // The first page (the fabriques and keys enrolled so far): each follow records its pull.
          for (const follow of follows) expect((await follow.next()).done).toBe(false);
          const liveness = await t.hub.db.store.query<{ liveness: string }>(
            "SELECT liveness::text AS liveness FROM node WHERE id = ANY($1::text[])",
            [followers.map((f) => f.nodeId)],
          );
          expect(liveness.map((n) => n.liveness)).toEqual(followers.map(() => "ONLINE"));
          for (let push = 0; push < 3; push++) {
            statements.length = 0;
            await pusher.push([pusher.satellite(`S${push}`, `Lieu ${push}`)]);
            const pages = await Promise.all(follows.map((f) => f.next()));
            expect(pages.map((p) => (p.value as PullResult).events.map((e) => e.entityId))).toEqual(
              followers.map(() => [`S${push}`]),
            );
            // One statement answers them all (today's code: a transaction and a read each).
            expect(statements.length).toBeLessThanOrEqual(2);
            expect(statements.some((sql) => /UPDATE node/.test(sql))).toBe(false);
          }
        } finally {
          await Promise.all(follows.map((f) => f.return()));
        }
        // A follower writes its liveness often enough never to look stale between two records.
        expect(FOLLOW_RECORD_EVERY_MS + FOLLOW_POLL_MS).toBeLessThan(ONLINE_WITHIN_MS / 2);
      });

      it("ends a replaced node's follow with UNAUTHENTICATED at its next wake-up", async () => {
        const f = await fabrique("Fabrique A", "07186");
        const old = await enrolTestNode(t, f, national);
        const other = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
        const follow = t.hub.services.pullService.follow(old.nodeId, "0");
        expect((await follow.next()).value?.events.length).toBeGreaterThan(0);
        const next = follow.next();
        await other.push([other.satellite("SB", "Chez B")]);
        expect(((await next).value as PullResult).events.map((e) => e.entityId)).toEqual(["SB"]);
        // Re-enrolment replaces the node, and its appends wake the follower.
        await enrolTestNode(t, f, national);
        await expect(follow.next()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
      });
    });

    describe("a hub restored from a backup", () => {
      /** The newest offset of a log, "0" if empty. */
      async function head(table: "change_log" | "network_event"): Promise<string> {
        const rows = await t.hub.db.store.query<{ m: string }>(
          `SELECT coalesce(max("offset"), 0)::text AS m FROM ${table}`,
        );
        return rows[0]?.m ?? "0";
      }

      /**
       * What a restore does to a log: the rows appended since the backup are gone, and the
       * sequence is back where it was then (pg_dump writes setval(seq, last value, true)).
       */
      async function restoreLog(table: "change_log" | "network_event", backupHead: string) {
        await t.hub.db.store.query(`DELETE FROM ${table} WHERE "offset" > $1::bigint`, [
          backupHead,
        ]);
        await t.hub.db.store.query(
          `SELECT setval(pg_get_serial_sequence('${table}', 'offset'), $1::bigint, true)`,
          [backupHead],
        );
      }

      function spyLogger() {
        return { warn: vi.fn(), error: vi.fn() };
      }

      /** A's first satellite, then two more lost in the restore; B pulled everything first. */
      async function restoredAfterBPulled() {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        const b = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
        await a.push([a.satellite("S1", "Avant la sauvegarde")]);
        const backupHead = await head("change_log");
        const lost = [a.satellite("S2", "Perdu deux"), a.satellite("S3", "Perdu trois")];
        await a.push(lost);
        const cursor = (await b.pull("0", 1000)).cursor;
        expect(cursor).toBe(await head("change_log"));
        await restoreLog("change_log", backupHead);
        // The restored hub expects A's seq 2 again (its node row is restored too).
        await t.hub.db.store.query("UPDATE node SET pushed_seq = 1 WHERE id = $1", [a.nodeId]);
        expect(BigInt(await head("change_log"))).toBeLessThan(BigInt(cursor));
        return { a, b, cursor, lost };
      }

      it("moves the log's offsets past a node's cursor beyond its head: the node reads every event appended afterwards, in order, once", async () => {
        const { a, b, cursor, lost } = await restoredAfterBPulled();
        const logger = spyLogger();
        const service = createPullService({
          store: t.hub.db.store,
          pubsub: t.hub.services.pubsub,
          onLivenessChanged: () => {},
          logger,
        });
        // Answered normally: nothing new yet, the cursor kept.
        expect(await service.pull(b.nodeId, cursor, 100)).toEqual({
          events: [],
          cursor,
          hasMore: false,
        });
        expect(logger.warn).toHaveBeenCalledTimes(1);
        expect(logger.warn.mock.calls[0]?.[0]).toMatchObject({ nodeId: b.nodeId, cursor });
        // Pulling again before any append: the offsets are past the cursor already, no warning.
        await service.pull(b.nodeId, cursor, 100);
        expect(logger.warn).toHaveBeenCalledTimes(1);

        // A re-sends what the hub lost, then writes something new.
        expect((await a.push(lost)).data?.pushChanges).toMatchObject({ appliedThrough: 3 });
        await a.push([a.satellite("S4", "Après la restauration")]);
        const page = await service.pull(b.nodeId, cursor, 100);
        expect(page.events.map((e) => e.entityId)).toEqual(["S2", "S3", "S4"]);
        const offsets = page.events.map((e) => BigInt(e.offset));
        expect(offsets.every((o) => o > BigInt(cursor))).toBe(true);
        expect(offsets).toEqual([...offsets].sort((x, y) => (x < y ? -1 : 1)));
        expect(page.cursor).toBe(await head("change_log"));
        expect(await service.pull(b.nodeId, page.cursor, 100)).toMatchObject({ events: [] });
        expect(logger.warn).toHaveBeenCalledTimes(1);
      });

      it("does the same for a live follower resuming from its cursor", async () => {
        const { a, b, cursor, lost } = await restoredAfterBPulled();
        const logger = spyLogger();
        const service = createPullService({
          store: t.hub.db.store,
          pubsub: t.hub.services.pubsub,
          onLivenessChanged: () => {},
          logger,
        });
        const follow = service.follow(b.nodeId, cursor);
        try {
          const next = follow.next();
          // The follow's first read moved the offsets (it hands on nothing: no news).
          await vi.waitFor(() => expect(logger.warn).toHaveBeenCalledTimes(1));
          expect(logger.warn.mock.calls[0]?.[0]).toMatchObject({ nodeId: b.nodeId, cursor });
          await a.push([...lost, a.satellite("S4", "Après la restauration")]);
          const page = (await next).value as PullResult;
          expect(page.events.map((e) => e.entityId)).toEqual(["S2", "S3", "S4"]);
          expect(BigInt(page.cursor)).toBeGreaterThan(BigInt(cursor));
        } finally {
          await follow.return();
        }
      });

      it("adds one statement to a pull only when the cursor is ahead; a normal pull sets no sequence", async () => {
        const { b, cursor } = await restoredAfterBPulled();
        const statements: string[] = [];
        const service = createPullService({
          store: countingStore(t.hub.db.store, statements),
          pubsub: t.hub.services.pubsub,
          onLivenessChanged: () => {},
          logger: quiet,
        });
        const counts: number[] = [];
        for (const after of ["0", await head("change_log")]) {
          statements.length = 0;
          await service.pull(b.nodeId, after, 100);
          expect(statements.some((sql) => /setval|advisory/.test(sql))).toBe(false);
          counts.push(statements.length);
        }
        const normal = counts[0] as number;
        expect(counts).toEqual([normal, normal]);
        statements.length = 0;
        await service.pull(b.nodeId, cursor, 100);
        expect(statements).toHaveLength(normal + 1);
        expect(statements.filter((sql) => /setval/.test(sql))).toHaveLength(1);
      });

      it("keeps offsets unique and moving on under concurrent pulls ahead and pushes", async () => {
        const { a, b, cursor, lost } = await restoredAfterBPulled();
        const service = createPullService({
          store: t.hub.db.store,
          pubsub: t.hub.services.pubsub,
          onLivenessChanged: () => {},
          logger: quiet,
        });
        const cursors = [0n, 3n, 1n, 4n, 2n].map((d) => (BigInt(cursor) + d).toString());
        const pushed = await Promise.all([
          ...cursors.map((after) => service.pull(b.nodeId, after, 100)),
          a.push(lost),
        ]);
        expect(pushed.at(-1)).toMatchObject({ data: { pushChanges: { appliedThrough: 3 } } });
        await a.push([a.satellite("S4", "Après")]);
        const highest = cursors.reduce((x, y) => (BigInt(x) > BigInt(y) ? x : y));
        const page = await service.pull(b.nodeId, highest, 100);
        // The re-sent events land below the highest cursor or above it, as the race went (one
        // pull's move can fall between the two, as with S2 at cursor+4 after a pull moved the
        // offsets to cursor+3, S3 at cursor+5); what comes after every pull is read, in order.
        const ids = page.events.map((e) => e.entityId);
        expect(ids.at(-1)).toBe("S4");
        expect([["S4"], ["S3", "S4"], ["S2", "S3", "S4"]]).toContainEqual(ids);
        const offsets = await t.hub.db.store.query<{ n: number; distinct: number }>(
          'SELECT count(*)::int AS n, count(DISTINCT "offset")::int AS distinct FROM change_log',
        );
        expect(offsets[0]?.n).toBe(offsets[0]?.distinct);
      });

      it("leaves the offsets alone for a cursor implausibly far ahead, and says so once", async () => {
        const { b } = await restoredAfterBPulled();
        const logger = spyLogger();
        const service = createPullService({
          store: t.hub.db.store,
          pubsub: t.hub.services.pubsub,
          onLivenessChanged: () => {},
          logger,
        });
        const far = (BigInt(await head("change_log")) + MAX_CURSOR_LEAD + 1n).toString();
        const sequence = async () =>
          (
            await t.hub.db.store.query<{ v: string }>(
              "SELECT last_value::text AS v FROM change_log_offset_seq",
            )
          )[0]?.v;
        const before = await sequence();
        await service.pull(b.nodeId, far, 100);
        await service.pull(b.nodeId, far, 100);
        expect(await sequence()).toBe(before);
        expect(logger.warn).not.toHaveBeenCalled();
        expect(logger.error).toHaveBeenCalledTimes(1);
        expect(logger.error.mock.calls[0]?.[0]).toMatchObject({ nodeId: b.nodeId });
      });

      it("moves the national feed's offsets past a subscriber's cursor beyond its head", async () => {
        const store = t.hub.db.store;
        const append = (n: number, from: number) =>
          store.transaction((tx) =>
            appendNetworkEvents(
              tx,
              Array.from({ length: n }, (_, i) => ({
                kind: "ACTIVITY" as const,
                networkId: "N1",
                payload: { reports: from + i },
              })),
            ),
          );
        await append(2, 1);
        const backupHead = await head("network_event");
        await append(3, 3);
        const cursor = (await readNetworkEvents(store, "0", null, 100)).cursor;
        await restoreLog("network_event", backupHead);

        // A normal read: one statement, no sequence set, nothing heard.
        const statements: string[] = [];
        const onCursorAhead = vi.fn();
        const end = await head("network_event");
        await readNetworkEvents(countingStore(store, statements), end, null, 100, onCursorAhead);
        expect(statements).toHaveLength(1);
        expect(onCursorAhead).not.toHaveBeenCalled();

        expect(
          await readNetworkEvents(
            countingStore(store, statements),
            cursor,
            null,
            100,
            onCursorAhead,
          ),
        ).toEqual({ events: [], cursor, hasMore: false });
        expect(statements.filter((sql) => /setval/.test(sql))).toHaveLength(1);
        expect(onCursorAhead).toHaveBeenCalledTimes(1);
        expect(onCursorAhead.mock.calls[0]?.[0]).toMatchObject({
          cursor,
          head: end,
          move: { outcome: "moved" },
        });
        await append(2, 10);
        const page = await readNetworkEvents(store, cursor, null, 100);
        expect(page.events.map((e) => e.payload.reports)).toEqual([10, 11]);
        expect(page.events.every((e) => BigInt(e.offset) > BigInt(cursor))).toBe(true);
      });
    });

    describe("node tokens", () => {
      it("admits a node only with its own short-lived token, and only to sync", async () => {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        const query = 'query { pullChanges(after: "0", limit: 1) { cursor } }';
        expect((await t.gql(query, {}, await a.token())).errors).toBeUndefined();
        expect((await t.gql(query, {}, await a.token({ ttlSeconds: -10 }))).status).toBe(401);
        expect((await t.gql(query, {}, await a.token({ ttlSeconds: 3600 }))).status).toBe(401);
        expect((await t.gql(query, {}, await a.token({ audience: "elsewhere" }))).status).toBe(401);
        expect(
          (await t.gql(query, {}, await a.token({ issuer: "01UNKNOWNNODE0000000000000" }))).status,
        ).toBe(401);
        // A token naming node A but signed by another key.
        const impostor = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
        const forged = (await impostor.token({ issuer: a.nodeId })).replace(/^/, "");
        expect((await t.gql(query, {}, forged)).status).toBe(401);
        // Node tokens do not open the people's API, and people's tokens do not push.
        const spaces = await t.gql("{ spaces(first: 1) { totalCount } }", {}, await a.token());
        expect(spaces.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        const push = await t.gql(
          "mutation { pushChanges(events: [], pending: 0) { applied } }",
          {},
          national,
        );
        expect(push.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      });
    });

    describe("liveness", () => {
      it("reports each node's liveness, pushed seq, pending events and lag", async () => {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
        const old = new Date(Date.now() - 90_000).toISOString();
        await t.gql(
          "mutation($e: [JSON!]!, $at: DateTime) { pushChanges(events: $e, pending: 7, oldestPendingAt: $at) { applied } }",
          { e: [a.satellite("S1", "Un")], at: old },
          await a.token(),
        );
        const r = await t.gql<{
          nodes: {
            fabrique: { name: string };
            liveness: string;
            pushedSeq: number;
            pending: number;
            lagSeconds: number;
          }[];
        }>("{ nodes { fabrique { name } liveness pushedSeq pending lagSeconds } }", {}, national);
        expect(r.data?.nodes).toHaveLength(2);
        const [nodeA, nodeB] = [...(r.data?.nodes ?? [])].sort((x, y) =>
          x.fabrique.name.localeCompare(y.fabrique.name),
        );
        expect(nodeA).toMatchObject({ liveness: "ONLINE", pushedSeq: 1, pending: 7 });
        expect(nodeA?.lagSeconds).toBeGreaterThanOrEqual(89);
        expect(nodeB).toMatchObject({
          liveness: "SILENT",
          pushedSeq: 0,
          pending: 0,
          lagSeconds: 0,
        });
        const silent = await t.gql<{ nodes: unknown[] }>(
          "{ nodes(liveness: SILENT) { id } }",
          {},
          national,
        );
        expect(silent.data?.nodes).toHaveLength(1);
        const own = await t.gql<{ nodes: unknown[] }>(
          "{ nodes { id } }",
          {},
          await t.adminToken(a.fabriqueId),
        );
        expect(own.data?.nodes).toHaveLength(1);
      });

      it("announces a node going STALE once, whichever replica sweeps", async () => {
        const a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
        await a.pull("0");
        const events: { status: string; previous: string }[] = [];
        const iterator = t.hub.services.pubsub.subscribe("node:status")[Symbol.asyncIterator]();
        const collecting = (async () => {
          for (;;) {
            const next = await iterator.next();
            if (next.done) return;
            events.push(next.value);
          }
        })();
        await t.hub.db.store.query(
          "UPDATE node SET last_seen_at = (now() AT TIME ZONE 'UTC') - interval '3 minutes' WHERE id = $1",
          [a.nodeId],
        );
        const swept = await Promise.all([
          sweepLiveness(t.hub.db.store, t.hub.services.pubsub),
          sweepLiveness(t.hub.db.store, t.hub.services.pubsub),
        ]);
        expect(swept.reduce((n, x) => n + x, 0)).toBe(1);
        await a.pull("0"); // back ONLINE
        await new Promise((r) => setTimeout(r, 50));
        await iterator.return?.();
        await collecting;
        expect(events.map((e) => [e.previous, e.status])).toEqual([
          ["ONLINE", "STALE"],
          ["STALE", "ONLINE"],
        ]);
      });
    });
  });
}
