import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Backend, startTestHub, type TestHub } from "../../testing/fixture.ts";
import { listen, type Received, until } from "../../testing/live.ts";
import {
  atExpectedSeq,
  createTestFabrique,
  enrolTestNode,
  type TestNode,
} from "../../testing/test-node.ts";

function resource(spaceId: string, sharingScope = "NETWORK", name = "Découpeuse laser") {
  return {
    spaceId,
    name,
    category: "MACHINE",
    description: null,
    sharingScope,
    requiredCredential: null,
    minMinutes: 30,
    maxMinutes: 240,
    leadMinutes: 0,
    cancelDeadlineMinutes: 60,
    status: "AVAILABLE",
    movable: false,
    approvalRequired: false,
    windows: [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE", opens: "09:00", closes: "18:00" }],
    closures: [],
  };
}

const SLOT = { startsAt: "2031-03-04T09:00:00.000Z", endsAt: "2031-03-04T11:00:00.000Z" };

function booking(resourceId: string, requestId: string | null = null, slot = SLOT) {
  return { resourceId, kind: "BOOKING", ...slot, status: "CONFIRMED", requestId };
}

function request(
  resourceId: string,
  forWhom: { forMemberId: string } | { forSpaceId: string },
  overrides: Record<string, unknown> = {},
) {
  return {
    resourceId,
    kind: "BOOKING",
    ...SLOT,
    forMemberId: null,
    forSpaceId: null,
    ...forWhom,
    cancelled: false,
    ...overrides,
  };
}

function decision(resourceId: string, status = "CONFIRMED", bookingId: string | null = null) {
  return {
    resourceId,
    status,
    reason: status === "DECLINED" ? "déjà pris" : null,
    reasonCode: status === "DECLINED" ? "SLOT_TAKEN" : null,
    bookingId,
    loan: null,
    decidedAt: "2031-03-01T08:00:00.000Z",
  };
}

/** Shared resources as nodes sync them through the hub, on every storage backend. */
export function registerBookingTests(backend: Backend) {
  describe(`shared resources at the hub (${backend})`, () => {
    let t: TestHub;
    let national: string;
    let a: TestNode;
    let b: TestNode;
    let c: TestNode;
    /** A's fabrique, by its global id (to enrol a replacement node). */
    let fabriqueA: string;
    let listening: Promise<{ url: string }> | undefined;

    /** The hub's graphql-ws endpoint, listening from the first test that needs it. */
    async function wsEndpoint() {
      listening ??= t.hub.start();
      return `${(await listening).url.replace("http", "ws")}/graphql`;
    }

    beforeAll(async () => {
      t = await startTestHub(backend);
      national = await t.nationalToken();
    });
    afterAll(() => t?.close());
    beforeEach(async () => {
      await t.reset();
      const fabrique = (name: string, communeCode: string) =>
        createTestFabrique(t, national, name, communeCode);
      fabriqueA = await fabrique("Fabrique A", "07186");
      a = await enrolTestNode(t, fabriqueA, national);
      b = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
      c = await enrolTestNode(t, await fabrique("Fabrique C", "07107"), national);
    });

    /** A's laser cutter (R1, NETWORK) at its satellite SA; B's member MB; C's member MC. */
    async function network() {
      const pushed = [
        await a.push([
          a.satellite("SA", "L'atelier"),
          a.event("RESOURCE", "R1", resource("SA")),
          a.event("MEMBER", "MA", { homeSpaceId: "SA" }),
        ]),
        await b.push([b.event("MEMBER", "MB", { homeSpaceId: b.fabriqueId })]),
        await c.push([c.event("MEMBER", "MC", { homeSpaceId: c.fabriqueId })]),
      ];
      for (const r of pushed) expect(r.data?.pushChanges.rejected).toBeNull();
    }

    /** The event at the seq the hub expects of its node: a refused event is never applied. */
    const again = (node: TestNode, event: Record<string, unknown>) => atExpectedSeq(t, node, event);

    async function pulled(node: TestNode, entity: string) {
      return (await node.pull("0", 1000)).events.filter((e) => e.entity === entity);
    }

    async function requestRow(id: string) {
      const rows = await t.hub.db.store.query<{ status: string; cancelled: boolean }>(
        "SELECT status, cancelled, owner_node_id, requester_node_id, booking_id FROM booking_request WHERE id = $1",
        [id],
      );
      return rows[0];
    }

    describe("push", () => {
      it("accepts a node's resource and its bookings, and serves them to every other node", async () => {
        await network();
        const r = await a.push([a.event("BOOKING", "K1", booking("R1"))]);
        expect(r.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        const stored = await t.hub.db.prisma.resource.findUniqueOrThrow({ where: { id: "R1" } });
        expect(stored).toMatchObject({
          ownerNodeId: a.nodeId,
          spaceId: "SA",
          sharingScope: "NETWORK",
          windows: [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE", opens: "09:00", closes: "18:00" }],
        });
        const slot = await t.hub.db.prisma.booking.findUniqueOrThrow({ where: { id: "K1" } });
        expect(slot.startsAt.toISOString()).toBe(SLOT.startsAt);
        expect(slot.endsAt.toISOString()).toBe(SLOT.endsAt);

        for (const other of [b, c]) {
          expect(
            (await pulled(other, "RESOURCE")).map((e) => [e.entityId, e.targetNodeId]),
          ).toEqual([["R1", null]]);
          expect((await pulled(other, "BOOKING")).map((e) => e.entityId)).toEqual(["K1"]);
        }
        expect(await pulled(a, "BOOKING")).toEqual([]);
      });

      it("refuses resources and bookings a node does not own, and deleting a resource", async () => {
        await network();
        const attempts = [
          b.event("RESOURCE", "R1", resource(b.fabriqueId)),
          b.event("RESOURCE", "RB", resource("SA")),
          b.event("BOOKING", "KB", booking("R1")),
          b.event("BOOKING", "KX", booking("UNKNOWN")),
        ];
        for (const attempt of attempts) {
          const r = await b.push([await again(b, attempt)]);
          expect(r.data?.pushChanges).toMatchObject({
            applied: 0,
            rejected: { code: "OWNERSHIP_VIOLATION" },
          });
        }
        await a.push([a.event("BOOKING", "K1", booking("R1"))]);
        const overwrite = await b.push([
          await again(
            b,
            b.event(
              "BOOKING",
              "K1",
              booking("R1", null, { ...SLOT, endsAt: "2031-03-04T10:00:00.000Z" }),
            ),
          ),
        ]);
        expect(overwrite.data?.pushChanges.rejected?.code).toBe("OWNERSHIP_VIOLATION");
        const deleted = await a.push([a.event("RESOURCE", "R1", null, "DELETE")]);
        expect(deleted.data?.pushChanges.rejected).toMatchObject({ code: "INVALID_EVENT" });
        expect(await t.hub.db.prisma.resource.count()).toBe(1);
        expect(await t.hub.db.prisma.booking.count()).toBe(1);
      });

      it("routes a request to the resource's owner only, and the decision back to the requester only", async () => {
        await network();
        const asked = await b.push([
          b.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MB" })),
        ]);
        expect(asked.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        expect(await requestRow("Q1")).toMatchObject({
          status: "PENDING",
          owner_node_id: a.nodeId,
          requester_node_id: b.nodeId,
        });
        expect(
          (await pulled(a, "BOOKING_REQUEST")).map((e) => [e.entityId, e.targetNodeId]),
        ).toEqual([["Q1", a.nodeId]]);
        expect(await pulled(c, "BOOKING_REQUEST")).toEqual([]);
        expect(await pulled(b, "BOOKING_REQUEST")).toEqual([]);

        const decided = await a.push([
          a.event("BOOKING", "K1", booking("R1", "Q1")),
          a.event("BOOKING_DECISION", "Q1", decision("R1", "CONFIRMED", "K1")),
        ]);
        expect(decided.data?.pushChanges).toMatchObject({ applied: 2, rejected: null });
        expect(await requestRow("Q1")).toMatchObject({ status: "CONFIRMED", booking_id: "K1" });
        expect(
          (await pulled(b, "BOOKING_DECISION")).map((e) => [e.entityId, e.targetNodeId]),
        ).toEqual([["Q1", b.nodeId]]);
        expect(await pulled(c, "BOOKING_DECISION")).toEqual([]);
        expect((await pulled(c, "BOOKING")).map((e) => e.entityId)).toEqual(["K1"]);
      });

      it("refuses a decision from a node that does not own the resource, applying nothing", async () => {
        await network();
        await c.push([c.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MC" }))]);
        const logBefore = await t.hub.db.prisma.changeLog.count();
        for (const node of [b, c]) {
          const r = await node.push([
            node.event("BOOKING_DECISION", "Q1", decision("R1")),
            node.satellite(`S-${node.nodeId}`, "Après la décision"),
          ]);
          expect(r.data?.pushChanges).toMatchObject({
            applied: 0,
            rejected: { seq: node === b ? 2 : 3, code: "OWNERSHIP_VIOLATION" },
          });
        }
        // The owner, naming another resource than the request's: refused too.
        await a.push([a.event("RESOURCE", "R2", resource("SA", "NETWORK", "Presse"))]);
        const mismatch = await a.push([a.event("BOOKING_DECISION", "Q1", decision("R2"))]);
        expect(mismatch.data?.pushChanges.rejected?.code).toBe("OWNERSHIP_VIOLATION");
        expect(await requestRow("Q1")).toMatchObject({ status: "PENDING" });
        expect(await t.hub.db.prisma.changeLog.count()).toBe(logBefore + 1);
        expect(await t.hub.db.prisma.space.count({ where: { name: "Après la décision" } })).toBe(0);
      });

      it("refuses requests a node may not make", async () => {
        await network();
        await b.push([b.event("RESOURCE", "RB", resource(b.fabriqueId, "NETWORK", "Four"))]);
        const cases: [Record<string, unknown>, string][] = [
          [request("R1", { forMemberId: "MA" }), "OWNERSHIP_VIOLATION"],
          [request("R1", { forMemberId: "MC" }), "OWNERSHIP_VIOLATION"],
          [request("R1", { forMemberId: "NOBODY" }), "OWNERSHIP_VIOLATION"],
          [request("R1", { forSpaceId: "SA" }), "OWNERSHIP_VIOLATION"],
          [request("UNKNOWN", { forMemberId: "MB" }), "INVALID_EVENT"],
          [request("RB", { forMemberId: "MB" }), "INVALID_EVENT"],
        ];
        for (const [payload, code] of cases) {
          const r = await b.push([await again(b, b.event("BOOKING_REQUEST", "Q1", payload))]);
          expect(r.data?.pushChanges, JSON.stringify(payload)).toMatchObject({
            applied: 0,
            rejected: { code },
          });
        }
        const forSpace = await b.push([
          await again(
            b,
            b.event("BOOKING_REQUEST", "Q1", request("R1", { forSpaceId: b.fabriqueId })),
          ),
        ]);
        expect(forSpace.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        // Another node re-using the id: not its request.
        const stolen = await c.push([
          c.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MC" })),
        ]);
        expect(stolen.data?.pushChanges.rejected?.code).toBe("OWNERSHIP_VIOLATION");
      });

      it("lets a request be withdrawn, never changed", async () => {
        await network();
        await b.push([b.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MB" }))]);
        const moved = await b.push([
          b.event(
            "BOOKING_REQUEST",
            "Q1",
            request("R1", { forMemberId: "MB" }, { endsAt: "2031-03-04T12:00:00.000Z" }),
          ),
        ]);
        expect(moved.data?.pushChanges.rejected).toMatchObject({ seq: 3, code: "INVALID_EVENT" });
        const withdrawal = request("R1", { forMemberId: "MB" }, { cancelled: true });
        const withdrawn = await b.push([
          await again(b, b.event("BOOKING_REQUEST", "Q1", withdrawal)),
        ]);
        expect(withdrawn.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        expect(await requestRow("Q1")).toMatchObject({ status: "CANCELLED", cancelled: true });
        const revived = await b.push([
          await again(b, b.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MB" }))),
        ]);
        expect(revived.data?.pushChanges.rejected?.code).toBe("INVALID_TRANSITION");
        // The owner still hears of the withdrawal.
        const seenByA = await pulled(a, "BOOKING_REQUEST");
        expect(seenByA.map((e) => e.payload.cancelled)).toEqual([false, true]);
      });

      it("leaves a request for a resource its owner no longer shares to the owner to decline", async () => {
        await network();
        // B checked an older replica: R1 has become LOCAL at the hub since.
        await a.push([a.event("RESOURCE", "R1", resource("SA", "LOCAL"))]);
        const asked = await b.push([
          b.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MB" })),
        ]);
        expect(asked.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        expect(await requestRow("Q1")).toMatchObject({
          status: "PENDING",
          owner_node_id: a.nodeId,
          requester_node_id: b.nodeId,
        });
        expect(
          (await pulled(a, "BOOKING_REQUEST")).map((e) => [e.entityId, e.targetNodeId]),
        ).toEqual([["Q1", a.nodeId]]);
        // Neither does a resource out of service stop a request, nor its withdrawal.
        await a.push([a.event("RESOURCE", "R1", { ...resource("SA"), status: "MAINTENANCE" })]);
        const more = await b.push([
          b.event("BOOKING_REQUEST", "Q2", request("R1", { forMemberId: "MB" })),
          b.event(
            "BOOKING_REQUEST",
            "Q1",
            request("R1", { forMemberId: "MB" }, { cancelled: true }),
          ),
        ]);
        expect(more.data?.pushChanges).toMatchObject({ applied: 2, rejected: null });
        // The owner declines: the decision goes back as usual.
        const declined = await a.push([
          a.event("BOOKING_DECISION", "Q2", {
            ...decision("R1", "DECLINED"),
            reasonCode: "RESOURCE_NOT_SHARED",
          }),
        ]);
        expect(declined.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        expect(await requestRow("Q2")).toMatchObject({ status: "DECLINED" });
      });

      it("accepts a request that arrives already withdrawn, whatever it names, storing and routing none", async () => {
        await network();
        await b.push([b.event("RESOURCE", "RB", resource(b.fabriqueId, "LOCAL", "Four"))]);
        const withdrawn = (resourceId: string, forWhom: { forMemberId: string }) =>
          request(resourceId, forWhom, { cancelled: true });
        const r = await b.push([
          b.event("BOOKING_REQUEST", "Q1", withdrawn("R1", { forMemberId: "MB" })),
          b.event("BOOKING_REQUEST", "Q2", withdrawn("R1", { forMemberId: "MC" })),
          b.event("BOOKING_REQUEST", "Q3", withdrawn("UNKNOWN", { forMemberId: "MB" })),
          b.event("BOOKING_REQUEST", "Q4", withdrawn("RB", { forMemberId: "MB" })),
        ]);
        expect(r.data?.pushChanges).toMatchObject({ applied: 4, rejected: null });
        // Unchecked, it is neither stored nor routed: only its requester reads it (its echo).
        expect(await t.hub.db.store.query("SELECT id FROM booking_request")).toEqual([]);
        for (const other of [a, c]) expect(await pulled(other, "BOOKING_REQUEST")).toEqual([]);
        expect(
          (await pulled(b, "BOOKING_REQUEST")).map((e) => [e.entityId, e.targetNodeId]),
        ).toEqual([
          ["Q1", b.nodeId],
          ["Q2", b.nodeId],
          ["Q3", b.nodeId],
          ["Q4", b.nodeId],
        ]);
        // Sent again not withdrawn, it is a new request, checked as such.
        const revived = await b.push([
          b.event("BOOKING_REQUEST", "Q2", request("R1", { forMemberId: "MC" })),
        ]);
        expect(revived.data?.pushChanges.rejected?.code).toBe("OWNERSHIP_VIOLATION");
        const asked = await b.push([
          await again(b, b.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MB" }))),
        ]);
        expect(asked.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        expect(await requestRow("Q1")).toMatchObject({
          status: "PENDING",
          owner_node_id: a.nodeId,
        });
      });

      it("keeps a LOCAL resource and its bookings at the hub, and tells replicas when sharing changes", async () => {
        await network();
        const routes = async (node: TestNode, entity: string) =>
          (await pulled(node, entity)).map((e) => [
            e.entityId,
            e.payload?.sharingScope ?? e.payload?.status,
            e.targetNodeId,
          ]);
        await a.push([
          a.event("RESOURCE", "RL", resource("SA", "LOCAL", "Salle")),
          a.event("BOOKING", "KL", booking("RL")),
          a.event("BOOKING", "KL", null, "DELETE"),
          a.event("BOOKING", "KL2", booking("RL")),
          a.event(
            "BOOKING",
            "KP",
            booking("RL", null, {
              startsAt: "2020-03-04T09:00:00.000Z",
              endsAt: "2020-03-04T10:00:00.000Z",
            }),
          ),
        ]);
        for (const other of [b, c]) {
          expect(await routes(other, "RESOURCE")).toEqual([["R1", "NETWORK", null]]);
          expect(await routes(other, "BOOKING")).toEqual([]);
        }
        // At the hub all the same, addressed to their origin only (which ignores its echo).
        expect(await t.hub.db.prisma.booking.count({ where: { resourceId: "RL" } })).toBe(2);
        expect(await routes(a, "RESOURCE")).toEqual([["RL", "LOCAL", a.nodeId]]);
        expect(await routes(a, "BOOKING")).toEqual([
          ["KL", "CONFIRMED", a.nodeId],
          ["KL", undefined, a.nodeId],
          ["KL2", "CONFIRMED", a.nodeId],
          ["KP", "CONFIRMED", a.nodeId],
        ]);

        // Shared: sent to all, followed by its future slots (not the past one).
        await a.push([a.event("RESOURCE", "RL", resource("SA", "NETWORK", "Salle"))]);
        // R1 no longer shared: sent to all one last time, so that replicas drop it.
        await a.push([
          a.event("RESOURCE", "R1", resource("SA", "LOCAL")),
          a.event("BOOKING", "K1", booking("R1")),
          a.event("RESOURCE", "R1", { ...resource("SA", "LOCAL"), name: "Laser" }),
        ]);
        for (const other of [b, c]) {
          expect(await routes(other, "RESOURCE")).toEqual([
            ["R1", "NETWORK", null],
            ["RL", "NETWORK", null],
            ["R1", "LOCAL", null],
          ]);
          const slots = (await pulled(other, "BOOKING")).map((e) => [
            e.entityId,
            e.originNodeId,
            e.targetNodeId,
          ]);
          expect(slots).toEqual([["KL2", a.nodeId, null]]);
        }
      });

      it("accepts credentials from the member's home node only", async () => {
        await network();
        const credential = (memberId: string) => ({
          memberId,
          type: "laser",
          issuedAt: "2030-01-01T00:00:00.000Z",
          expiresAt: null,
        });
        const r = await a.push([a.event("CREDENTIAL", "C1", credential("MA"))]);
        expect(r.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
        for (const attempt of [
          b.event("CREDENTIAL", "C2", credential("MA")),
          b.event("CREDENTIAL", "C1", credential("MB")),
          b.event("CREDENTIAL", "C1", null, "DELETE"),
          b.event("CREDENTIAL", "C3", credential("NOBODY")),
        ]) {
          const refused = await b.push([await again(b, attempt)]);
          expect(refused.data?.pushChanges.rejected).toMatchObject({
            seq: 2,
            code: "OWNERSHIP_VIOLATION",
          });
        }
        expect((await pulled(c, "CREDENTIAL")).map((e) => [e.entityId, e.targetNodeId])).toEqual([
          ["C1", null],
        ]);
        await a.push([a.event("CREDENTIAL", "C1", null, "DELETE")]);
        expect(await t.hub.db.prisma.credential.count()).toBe(0);
      });
    });

    describe("re-enrolment", () => {
      it("hands a replaced node's resources, future slots, credentials and waiting or booked-ahead requests to the new node, and re-announces its shared resources", async () => {
        await network();
        const credential = {
          memberId: "MA",
          type: "laser",
          issuedAt: "2030-01-01T00:00:00.000Z",
          expiresAt: "2035-01-01T00:00:00.000Z",
        };
        const past = { startsAt: "2020-03-04T09:00:00.000Z", endsAt: "2020-03-04T10:00:00.000Z" };
        const pushed = await a.push([
          a.event("RESOURCE", "RL", resource("SA", "LOCAL", "Salle")),
          a.event("BOOKING", "K1", booking("R1")),
          a.event("BOOKING", "K0", booking("R1", null, past)),
          a.event("BOOKING", "KX", { ...booking("RL"), status: "CANCELLED" }),
          a.event("CREDENTIAL", "C1", credential),
        ]);
        expect(pushed.data?.pushChanges.rejected).toBeNull();
        // Q1 waits for A's decision; A confirmed Q2 (K2, ahead) and Q0 (K0, past); C withdrew
        // Q3 after A confirmed it (K3, ahead), before A heard of the withdrawal.
        const later = { startsAt: "2031-03-05T09:00:00.000Z", endsAt: "2031-03-05T11:00:00.000Z" };
        const latest = { startsAt: "2031-03-11T09:00:00.000Z", endsAt: "2031-03-11T11:00:00.000Z" };
        const asked = [
          await b.push([
            b.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MB" })),
            b.event("BOOKING_REQUEST", "Q2", request("R1", { forMemberId: "MB" }, later)),
          ]),
          await c.push([
            c.event("BOOKING_REQUEST", "Q0", request("R1", { forMemberId: "MC" }, past)),
            c.event("BOOKING_REQUEST", "Q3", request("R1", { forMemberId: "MC" }, latest)),
          ]),
        ];
        for (const r of asked) expect(r.data?.pushChanges.rejected).toBeNull();
        const confirmed = await a.push([
          a.event("BOOKING", "K2", booking("R1", "Q2", later)),
          a.event("BOOKING_DECISION", "Q2", decision("R1", "CONFIRMED", "K2")),
          a.event("BOOKING", "KQ0", booking("R1", "Q0", past)),
          a.event("BOOKING_DECISION", "Q0", decision("R1", "CONFIRMED", "KQ0")),
          a.event("BOOKING", "K3", booking("R1", "Q3", latest)),
          a.event("BOOKING_DECISION", "Q3", decision("R1", "CONFIRMED", "K3")),
        ]);
        expect(confirmed.data?.pushChanges.rejected).toBeNull();
        const withdrawal = request("R1", { forMemberId: "MC" }, { ...latest, cancelled: true });
        await c.push([c.event("BOOKING_REQUEST", "Q3", withdrawal)]);
        expect(await requestRow("Q3")).toMatchObject({ status: "CONFIRMED", cancelled: true });
        const bSeen = (await b.pull("0", 1000)).cursor;

        const replacement = await enrolTestNode(t, fabriqueA, national);
        const events = (await replacement.pull("0", 1000)).events;
        const handover = events.filter(
          (e) => e.targetNodeId === replacement.nodeId && e.originNodeId === null,
        );
        expect(handover.map((e) => [e.entity, e.entityId])).toEqual([
          ["SPACE", "SA"],
          ["MEMBER", "MA"],
          ["RESOURCE", "R1"],
          ["RESOURCE", "RL"],
          ["BOOKING", "K1"],
          ["BOOKING", "K2"],
          ["BOOKING", "K3"],
          ["CREDENTIAL", "C1"],
        ]);
        const payloadOf = (entity: string, id: string) =>
          handover.find((e) => e.entity === entity && e.entityId === id)?.payload;
        expect(payloadOf("RESOURCE", "R1")).toEqual(resource("SA"));
        expect(payloadOf("RESOURCE", "RL")).toEqual(resource("SA", "LOCAL", "Salle"));
        expect(payloadOf("BOOKING", "K1")).toEqual(booking("R1"));
        expect(payloadOf("CREDENTIAL", "C1")).toEqual({
          ...credential,
          trainingId: null,
          vc: null,
        });
        // The requests still waiting for A's decision or answered by a handed-over booking are
        // routed again, to the new node, after those bookings, as their requesters sent them
        // (the withdrawal included); not Q0, whose slot is past.
        const rerouted = events.filter((e) => e.entity === "BOOKING_REQUEST");
        expect(rerouted.map((e) => [e.entityId, e.originNodeId, e.targetNodeId])).toEqual([
          ["Q1", b.nodeId, replacement.nodeId],
          ["Q2", b.nodeId, replacement.nodeId],
          ["Q3", c.nodeId, replacement.nodeId],
        ]);
        expect(rerouted.map((e) => e.payload)).toEqual([
          request("R1", { forMemberId: "MB" }),
          request("R1", { forMemberId: "MB" }, later),
          withdrawal,
        ]);
        const position = (entity: string, id: string) =>
          events.findIndex((e) => e.entity === entity && e.entityId === id);
        for (const [q, k] of [
          ["Q2", "K2"],
          ["Q3", "K3"],
        ] as const) {
          expect(position("BOOKING_REQUEST", q)).toBeGreaterThan(position("BOOKING", k));
        }
        // The new node does not hear its own re-announcement.
        expect(events.filter((e) => e.originNodeId === replacement.nodeId)).toEqual([]);

        for (const other of [b, c]) {
          const after = other === b ? bSeen : "0";
          const announced = (await other.pull(after, 1000)).events.filter(
            (e) => e.originNodeId === replacement.nodeId,
          );
          expect(announced.map((e) => [e.entity, e.entityId, e.targetNodeId])).toEqual([
            ["RESOURCE", "R1", null],
          ]);
          expect(announced[0]?.payload).toEqual(resource("SA"));
        }

        // Requests follow the fabrique's new node: its team still sees them, and its
        // decision is accepted.
        const list = "query { bookingRequests { edges { node { id ownerFabriqueId } } } }";
        const seen = await t.gql<{
          bookingRequests: { edges: { node: Record<string, unknown> }[] };
        }>(list, {}, await t.adminToken(a.fabriqueId));
        expect(
          seen.data?.bookingRequests.edges
            .map((e) => e.node)
            .sort((x, y) => String(x.id).localeCompare(String(y.id))),
        ).toEqual(
          ["Q0", "Q1", "Q2", "Q3"].map((id) => ({
            id,
            ownerFabriqueId: a.fabriqueId,
          })),
        );
        const decided = await replacement.push([
          replacement.event("BOOKING_DECISION", "Q1", decision("R1", "DECLINED")),
          // The withdrawal processed: the slot released, the requester told.
          replacement.event("BOOKING", "K3", {
            ...booking("R1", "Q3", latest),
            status: "CANCELLED",
          }),
          replacement.event("BOOKING_DECISION", "Q3", decision("R1", "CANCELLED", "K3")),
        ]);
        expect(decided.data?.pushChanges).toMatchObject({ applied: 3, rejected: null });
        expect(await requestRow("Q3")).toMatchObject({ status: "CANCELLED", cancelled: true });
      });
    });

    describe("queries", () => {
      it("lists a fabrique's requests, as requester or owner, and hides the others'", async () => {
        await network();
        await b.push([b.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MB" }))]);
        await c.push([c.event("BOOKING_REQUEST", "Q2", request("R1", { forMemberId: "MC" }))]);
        await a.push([a.event("BOOKING_DECISION", "Q2", decision("R1", "DECLINED"))]);
        const list = `query($s: BookingRequestStatus, $first: Int, $after: String) {
          bookingRequests(status: $s, first: $first, after: $after) {
            edges { cursor node { id status requesterFabriqueId ownerFabriqueId requesterNodeId
              ownerNodeId forMemberId reasonCode createdAt } }
            pageInfo { hasNextPage endCursor } } }`;
        type List = {
          bookingRequests: {
            edges: { cursor: string; node: Record<string, unknown> }[];
            pageInfo: { hasNextPage: boolean; endCursor: string };
          };
        };
        const ownerView = await t.gql<List>(list, {}, await t.adminToken(a.fabriqueId));
        expect(ownerView.data?.bookingRequests.edges.map((e) => e.node)).toEqual([
          {
            id: "Q2",
            status: "DECLINED",
            requesterFabriqueId: c.fabriqueId,
            ownerFabriqueId: a.fabriqueId,
            requesterNodeId: c.nodeId,
            ownerNodeId: a.nodeId,
            forMemberId: "MC",
            reasonCode: "SLOT_TAKEN",
            createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          },
          expect.objectContaining({
            id: "Q1",
            status: "PENDING",
            requesterFabriqueId: b.fabriqueId,
          }),
        ]);
        const page1 = await t.gql<List>(list, { first: 1 }, await t.adminToken(a.fabriqueId));
        expect(page1.data?.bookingRequests.pageInfo.hasNextPage).toBe(true);
        const page2 = await t.gql<List>(
          list,
          { first: 1, after: page1.data?.bookingRequests.pageInfo.endCursor },
          await t.adminToken(a.fabriqueId),
        );
        expect(page2.data?.bookingRequests.edges.map((e) => e.node.id)).toEqual(["Q1"]);
        const pending = await t.gql<List>(list, { s: "PENDING" }, await t.adminToken(a.fabriqueId));
        expect(pending.data?.bookingRequests.edges.map((e) => e.node.id)).toEqual(["Q1"]);
        const requesterView = await t.gql<List>(list, {}, await t.adminToken(b.fabriqueId));
        expect(requesterView.data?.bookingRequests.edges.map((e) => e.node.id)).toEqual(["Q1"]);

        const one = "query($id: ID!) { bookingRequest(id: $id) { id status } }";
        const mine = await t.gql(one, { id: "Q1" }, await t.adminToken(b.fabriqueId));
        expect(mine.data).toEqual({ bookingRequest: { id: "Q1", status: "PENDING" } });
        const notMine = await t.gql(one, { id: "Q1" }, await t.adminToken(c.fabriqueId));
        expect(notMine.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
        const forNation = await t.gql(list, {}, national);
        expect(forNation.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      });
    });

    describe("live updates", () => {
      const BOOKING_UPDATED = `subscription { bookingUpdated { resourceId request {
        id resourceId kind status reason reasonCode startsAt endsAt forMemberId
        requesterFabriqueId ownerFabriqueId loan { status holderSpaceId } updatedAt } } }`;

      it("tells both sides' teams of a request and its decision, the nation without member, and nobody else", async () => {
        await network();
        const wsUrl = await wsEndpoint();
        const owner = await listen(wsUrl, await t.adminToken(a.fabriqueId), BOOKING_UPDATED);
        const requester = await listen(wsUrl, await t.adminToken(b.fabriqueId), BOOKING_UPDATED);
        const third = await listen(wsUrl, await t.adminToken(c.fabriqueId), BOOKING_UPDATED);
        const nation = await listen(wsUrl, national, BOOKING_UPDATED);
        const node = await listen(wsUrl, await a.token(), BOOKING_UPDATED);
        await new Promise((r) => setTimeout(r, 300));

        await b.push([b.event("BOOKING_REQUEST", "Q1", request("R1", { forMemberId: "MB" }))]);
        await a.push([
          a.event("BOOKING", "K1", booking("R1", "Q1")),
          a.event("BOOKING_DECISION", "Q1", decision("R1", "CONFIRMED", "K1")),
        ]);
        // Last, a request of C's own: once C hears of it, it would have heard of the others.
        await c.push([c.event("BOOKING_REQUEST", "Q9", request("R1", { forMemberId: "MC" }))]);
        await until(
          () =>
            owner.received.data.length >= 3 &&
            requester.received.data.length >= 2 &&
            third.received.data.length >= 1 &&
            nation.received.data.length >= 3,
          "booking updates",
        );
        await Promise.all([owner, requester, third, nation, node].map((s) => s.close()));

        // The agents' shape: the update names its resource and carries the request.
        for (const d of requester.received.data) {
          expect(d.bookingUpdated?.resourceId).toBe("R1");
        }
        const updates = (s: { received: Received }) =>
          s.received.data.map(
            (d) => (d.bookingUpdated as { request: Record<string, unknown> }).request,
          );
        expect(updates(requester)).toEqual([
          {
            id: "Q1",
            resourceId: "R1",
            kind: "BOOKING",
            status: "PENDING",
            reason: null,
            reasonCode: null,
            startsAt: SLOT.startsAt,
            endsAt: SLOT.endsAt,
            forMemberId: "MB",
            requesterFabriqueId: b.fabriqueId,
            ownerFabriqueId: a.fabriqueId,
            loan: null,
            updatedAt: expect.any(String),
          },
          expect.objectContaining({ id: "Q1", status: "CONFIRMED", forMemberId: "MB" }),
        ]);
        expect(updates(owner).map((u) => [u.id, u.status])).toEqual([
          ["Q1", "PENDING"],
          ["Q1", "CONFIRMED"],
          ["Q9", "PENDING"],
        ]);
        expect(updates(third).map((u) => u.id)).toEqual(["Q9"]);
        expect(updates(nation).map((u) => [u.id, u.forMemberId])).toEqual([
          ["Q1", null],
          ["Q1", null],
          ["Q9", null],
        ]);
        expect(node.received.data).toEqual([]);
        expect(JSON.stringify(node.received.errors)).toContain("FORBIDDEN");
      });

      it("announces availability changes of visible resources, one resource when asked", async () => {
        await network();
        await a.push([a.event("RESOURCE", "RL", resource("SA", "LOCAL", "Salle"))]);
        const wsUrl = await wsEndpoint();
        const query = `subscription($r: ID) { resourceAvailabilityChanged(resourceId: $r) { resourceId startsAt endsAt updatedAt } }`;
        const all = await listen(wsUrl, await t.adminToken(b.fabriqueId), query);
        const one = await listen(wsUrl, await t.adminToken(b.fabriqueId), query, { r: "RN" });
        const nation = await listen(wsUrl, national, query);
        await new Promise((r) => setTimeout(r, 300));

        await a.push([
          a.event("BOOKING", "K1", booking("R1")),
          a.event("BOOKING", "K2", booking("RL")),
        ]);
        // Last, a new NATIONAL resource: everyone may see it.
        await a.push([a.event("RESOURCE", "RN", resource("SA", "NATIONAL", "Camion"))]);
        await until(
          () =>
            all.received.data.length >= 2 &&
            one.received.data.length >= 1 &&
            nation.received.data.length >= 1,
          "availability changes",
        );
        await Promise.all([all, one, nation].map((s) => s.close()));
        const changes = (s: { received: Received }) =>
          s.received.data.map((d) => d.resourceAvailabilityChanged as Record<string, unknown>);
        expect(changes(all)).toEqual([
          {
            resourceId: "R1",
            startsAt: SLOT.startsAt,
            endsAt: SLOT.endsAt,
            updatedAt: expect.any(String),
          },
          { resourceId: "RN", startsAt: null, endsAt: null, updatedAt: expect.any(String) },
        ]);
        expect(changes(one).map((e) => e.resourceId)).toEqual(["RN"]);
        expect(changes(nation).map((e) => e.resourceId)).toEqual(["RN"]);
      });
    });
  });
}
