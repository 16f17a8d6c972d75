import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Backend, startTestHub, type TestHub } from "../../testing/fixture.ts";
import { listen, type Received, until } from "../../testing/live.ts";
import {
  atExpectedSeq,
  createTestFabrique,
  enrolTestNode,
  type TestNode,
} from "../../testing/test-node.ts";
import { contributionsSql } from "./training-rollup.repository.ts";

const START = "2031-03-04T09:00:00.000Z";
const END = "2031-03-04T12:00:00.000Z";

export function training(spaceId: string, overrides: Record<string, unknown> = {}) {
  return {
    spaceId,
    title: "Sécurité de la découpeuse laser",
    topic: "MACHINE_SAFETY",
    tags: ["laser"],
    description: null,
    venueSpaceId: spaceId,
    onlineUrl: null,
    startsAt: START,
    endsAt: END,
    seriesId: null,
    capacity: 9,
    minimum: 0,
    decisionAt: null,
    scope: "NETWORK",
    prerequisites: [],
    grants: { type: "laser-safety", validityDays: 365 },
    trainerName: "Camille Martin",
    cancelDeadlineMinutes: 1440,
    offerHours: null,
    status: "SCHEDULED",
    cancelReasonCode: null,
    seats: { taken: 0, waitlisted: 0, attended: 0, noShow: 0 },
    ...overrides,
  };
}

export function enrolment(
  trainingId: string,
  memberId: string,
  status = "ENROLLED",
  overrides: Record<string, unknown> = {},
) {
  return {
    trainingId,
    memberId,
    status,
    position: null,
    offerExpiresAt: null,
    reasonCode: null,
    reason: null,
    credentialId: null,
    requestedAt: "2031-02-01T08:00:00.000Z",
    updatedAt: "2031-02-01T08:00:00.000Z",
    ...overrides,
  };
}

export function enrolmentRequest(
  trainingId: string,
  memberId: string,
  overrides: Record<string, unknown> = {},
) {
  return {
    trainingId,
    memberId,
    identityHash: null,
    acceptOffer: false,
    cancelled: false,
    ...overrides,
  };
}

/** Trainings, enrolment requests and enrolments as nodes sync them, on every backend. */
export function registerTrainingSyncTests(backend: Backend) {
  describe(`trainings through sync (${backend})`, () => {
    let t: TestHub;
    let national: string;
    let a: TestNode;
    let b: TestNode;
    let c: TestNode;

    beforeAll(async () => {
      t = await startTestHub(backend);
      national = await t.nationalToken();
    });
    afterAll(() => t?.close());
    let listening: Promise<{ url: string }> | undefined;
    /** The hub's graphql-ws endpoint, listening from the first test that needs it. */
    async function wsEndpoint() {
      listening ??= t.hub.start();
      return `${(await listening).url.replace("http", "ws")}/graphql`;
    }
    beforeEach(async () => {
      await t.reset();
      const fabrique = (name: string, communeCode: string) =>
        createTestFabrique(t, national, name, communeCode);
      a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
      b = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
      c = await enrolTestNode(t, await fabrique("Fabrique C", "07107"), national);
    });

    /** A's satellite SA and member MA; B's member MB; C's member MC. */
    async function network() {
      for (const r of [
        await a.push([
          a.satellite("SA", "L'atelier"),
          a.event("MEMBER", "MA", { homeSpaceId: "SA" }),
        ]),
        await b.push([b.event("MEMBER", "MB", { homeSpaceId: b.fabriqueId })]),
        await c.push([c.event("MEMBER", "MC", { homeSpaceId: c.fabriqueId })]),
      ]) {
        expect(r.data?.pushChanges.rejected).toBeNull();
      }
    }

    /** The event at the seq the hub expects of its node: a refused event is never applied. */
    const again = (node: TestNode, event: Record<string, unknown>) => atExpectedSeq(t, node, event);

    async function routes(node: TestNode, entity: string) {
      return (await node.pull("0", 1000)).events
        .filter((e) => e.entity === entity)
        .map((e) => [e.entityId, e.targetNodeId]);
    }

    async function expectRefused(node: TestNode, event: Record<string, unknown>, code: string) {
      const r = await node.push([await again(node, event)]);
      expect(r.data?.pushChanges).toMatchObject({ applied: 0, rejected: { code } });
    }

    it("stores every training, sends shared ones to every node, keeps LOCAL ones at the hub and announces a return to LOCAL once", async () => {
      await network();
      const pushed = await a.push([
        a.event("TRAINING", "T1", training("SA")),
        a.event("TRAINING", "TL", training(a.fabriqueId, { scope: "LOCAL", title: "Accueil" })),
      ]);
      expect(pushed.data?.pushChanges).toMatchObject({ applied: 2, rejected: null });
      expect(
        await t.hub.db.store.query("SELECT id, scope, taken FROM training ORDER BY id"),
      ).toEqual([
        { id: "T1", scope: "NETWORK", taken: 0 },
        { id: "TL", scope: "LOCAL", taken: 0 },
      ]);
      for (const other of [b, c]) expect(await routes(other, "TRAINING")).toEqual([["T1", null]]);
      // createdAt (the hub's first record of it) and updatedAt, as the agents' Training has them.
      const dates = async () =>
        (
          await t.gql<{ training: { createdAt: string; updatedAt: string } }>(
            `{ training(id: "T1") { createdAt updatedAt } }`,
            {},
            await t.adminToken(a.fabriqueId),
          )
        ).data?.training;
      const created = await dates();
      expect(Date.parse(String(created?.createdAt))).toBeLessThanOrEqual(
        Date.parse(String(created?.updatedAt)),
      );
      // At the hub all the same, addressed to its origin only (which ignores its echo).
      expect(await routes(a, "TRAINING")).toEqual([["TL", a.nodeId]]);

      // Back to LOCAL: told once, so that replicas drop it; afterwards it stays at the hub.
      await a.push([
        a.event("TRAINING", "T1", training("SA", { scope: "LOCAL" })),
        a.event("TRAINING", "T1", training("SA", { scope: "LOCAL", capacity: 12 })),
      ]);
      await a.push([a.event("TRAINING", "T1", training("SA", { scope: "LOCAL", capacity: 14 }))]);
      const changed = await dates();
      expect(changed?.createdAt).toBe(created?.createdAt);
      expect(Date.parse(String(changed?.updatedAt))).toBeGreaterThan(
        Date.parse(String(created?.updatedAt)),
      );
      const seen = (await b.pull("0", 1000)).events
        .filter((e) => e.entity === "TRAINING")
        .map((e) => [e.entityId, e.payload.scope, e.targetNodeId]);
      expect(seen).toEqual([
        ["T1", "NETWORK", null],
        ["T1", "LOCAL", null],
      ]);
      expect(
        (
          await t.hub.db.store.query<{ capacity: number }>(
            "SELECT capacity FROM training WHERE id = 'T1'",
          )
        )[0],
      ).toEqual({ capacity: 14 });
    });

    it("refuses trainings a node does not organise, and deleting one", async () => {
      await network();
      await a.push([a.event("TRAINING", "T1", training("SA"))]);
      await expectRefused(b, b.event("TRAINING", "T2", training("SA")), "OWNERSHIP_VIOLATION");
      await expectRefused(
        b,
        b.event("TRAINING", "T1", training(b.fabriqueId)),
        "OWNERSHIP_VIOLATION",
      );
      await expectRefused(a, a.event("TRAINING", "T1", null, "DELETE"), "INVALID_EVENT");
      await expectRefused(
        a,
        a.event("TRAINING", "T3", training("SA", { capacity: 0 })),
        "INVALID_EVENT",
      );
      expect(await t.hub.db.store.query("SELECT id, owner_node_id FROM training")).toEqual([
        { id: "T1", owner_node_id: a.nodeId },
      ]);
    });

    it("routes an enrolment request to the organiser only, and the enrolment back to the member's home only", async () => {
      await network();
      await a.push([a.event("TRAINING", "T1", training("SA"))]);
      const asked = await b.push([
        b.event("ENROLMENT_REQUEST", "E1", enrolmentRequest("T1", "MB")),
      ]);
      expect(asked.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
      expect(await routes(a, "ENROLMENT_REQUEST")).toEqual([["E1", a.nodeId]]);
      expect(await routes(c, "ENROLMENT_REQUEST")).toEqual([]);

      const decided = await a.push([
        a.event("ENROLMENT", "E1", enrolment("T1", "MB")),
        // A's own member, enrolled at A: kept at the hub, read by nobody else.
        a.event("ENROLMENT", "E2", enrolment("T1", "MA")),
      ]);
      expect(decided.data?.pushChanges).toMatchObject({ applied: 2, rejected: null });
      expect(await routes(b, "ENROLMENT")).toEqual([["E1", b.nodeId]]);
      expect(await routes(c, "ENROLMENT")).toEqual([]);
      expect(await routes(a, "ENROLMENT")).toEqual([["E2", a.nodeId]]);
      expect(
        await t.hub.db.store.query("SELECT id, status, member_node_id FROM enrolment ORDER BY id"),
      ).toEqual([
        { id: "E1", status: "ENROLLED", member_node_id: b.nodeId },
        { id: "E2", status: "ENROLLED", member_node_id: a.nodeId },
      ]);

      // Taking an offered seat and withdrawing travel the same road; terms never change.
      const withdrawn = await b.push([
        b.event("ENROLMENT_REQUEST", "E1", enrolmentRequest("T1", "MB", { cancelled: true })),
      ]);
      expect(withdrawn.data?.pushChanges.rejected).toBeNull();
      expect(await routes(a, "ENROLMENT_REQUEST")).toEqual([
        ["E1", a.nodeId],
        ["E1", a.nodeId],
      ]);
      await expectRefused(
        b,
        b.event("ENROLMENT_REQUEST", "E1", enrolmentRequest("T1", "MB")),
        "INVALID_TRANSITION",
      );
      await expectRefused(
        b,
        b.event("ENROLMENT_REQUEST", "E1", enrolmentRequest("T2", "MB", { cancelled: true })),
        "INVALID_EVENT",
      );
    });

    it("refuses requests and enrolments a node may not send, applying nothing", async () => {
      await network();
      await a.push([
        a.event("TRAINING", "T1", training("SA")),
        a.event("TRAINING", "TL", training("SA", { scope: "LOCAL" })),
      ]);
      await b.push([b.event("ENROLMENT_REQUEST", "E1", enrolmentRequest("T1", "MB"))]);
      const req = (id: string, trainingId: string, memberId: string) =>
        b.event("ENROLMENT_REQUEST", id, enrolmentRequest(trainingId, memberId));
      // Another node's member, an unknown training, a DELETE, another node's request.
      await expectRefused(b, req("E2", "T1", "MC"), "OWNERSHIP_VIOLATION");
      await expectRefused(b, req("E3", "NOPE", "MB"), "INVALID_EVENT");
      await expectRefused(b, b.event("ENROLMENT_REQUEST", "E1", null, "DELETE"), "INVALID_EVENT");
      await expectRefused(
        c,
        c.event("ENROLMENT_REQUEST", "E1", enrolmentRequest("T1", "MC")),
        "OWNERSHIP_VIOLATION",
      );
      // Its own training: enrolled locally, never by request.
      await expectRefused(
        a,
        a.event("ENROLMENT_REQUEST", "E4", enrolmentRequest("T1", "MA")),
        "INVALID_EVENT",
      );
      // A LOCAL training of another network: the organiser's to decline (TRAINING_NOT_SHARED).
      const local = await b.push([await again(b, req("E5", "TL", "MB"))]);
      expect(local.data?.pushChanges.rejected).toBeNull();

      // Enrolments: a member who asked nothing, another node's training, another's enrolment.
      await expectRefused(
        a,
        a.event("ENROLMENT", "E9", enrolment("T1", "MC")),
        "OWNERSHIP_VIOLATION",
      );
      await expectRefused(
        a,
        a.event("ENROLMENT", "E1", enrolment("T1", "MC")),
        "OWNERSHIP_VIOLATION",
      );
      await expectRefused(
        b,
        b.event("ENROLMENT", "E1", enrolment("T1", "MB")),
        "OWNERSHIP_VIOLATION",
      );
      await expectRefused(a, a.event("ENROLMENT", "E1", null, "DELETE"), "INVALID_EVENT");
      expect(await t.hub.db.store.query("SELECT id FROM enrolment")).toEqual([]);
      expect(await t.hub.db.store.query("SELECT id FROM enrolment_request ORDER BY id")).toEqual([
        { id: "E1" },
        { id: "E5" },
      ]);
    });

    it("accepts a credential a training issued to another network's member who attended, in either order, and from nobody else", async () => {
      await network();
      await a.push([a.event("TRAINING", "T1", training("SA"))]);
      await b.push([b.event("ENROLMENT_REQUEST", "E1", enrolmentRequest("T1", "MB"))]);
      await c.push([c.event("ENROLMENT_REQUEST", "E2", enrolmentRequest("T1", "MC"))]);
      await a.push([
        a.event("ENROLMENT", "E1", enrolment("T1", "MB")),
        a.event("ENROLMENT", "E2", enrolment("T1", "MC")),
      ]);
      const vcs: Record<string, string> = {
        MB: await a.openBadge("C1", "MB"),
        MC: await a.openBadge("C2", "MC"),
      };
      const credential = (memberId: string, trainingId: string | null = "T1") => ({
        memberId,
        type: "laser-safety",
        issuedAt: "2031-03-04T12:00:00.000Z",
        expiresAt: "2032-03-04T12:00:00.000Z",
        trainingId,
        vc: vcs[memberId] ?? null,
      });
      // Not attended (yet): refused.
      await expectRefused(a, a.event("CREDENTIAL", "C1", credential("MB")), "OWNERSHIP_VIOLATION");
      // Without its training: the member is not A's.
      await expectRefused(
        a,
        a.event("CREDENTIAL", "C1", credential("MB", null)),
        "OWNERSHIP_VIOLATION",
      );
      // The attendance first, or the credential first in the same push: both accepted.
      const attended = await a.push([
        await again(
          a,
          a.event("ENROLMENT", "E1", enrolment("T1", "MB", "ATTENDED", { credentialId: "C1" })),
        ),
      ]);
      expect(attended.data?.pushChanges.rejected).toBeNull();
      const first = await a.push([await again(a, a.event("CREDENTIAL", "C1", credential("MB")))]);
      expect(first.data?.pushChanges.rejected).toBeNull();
      const seq = (await again(a, {})).seq;
      const both = await a.push([
        { ...a.event("CREDENTIAL", "C2", credential("MC")), seq },
        {
          ...a.event("ENROLMENT", "E2", enrolment("T1", "MC", "ATTENDED", { credentialId: "C2" })),
          seq: seq + 1,
        },
      ]);
      expect(both.data?.pushChanges).toMatchObject({ applied: 2, rejected: null });
      // Another node cannot issue one for T1, nor revoke A's.
      await expectRefused(b, b.event("CREDENTIAL", "C3", credential("MC")), "OWNERSHIP_VIOLATION");
      await expectRefused(b, b.event("CREDENTIAL", "C1", null, "DELETE"), "OWNERSHIP_VIOLATION");
      expect(
        await t.hub.db.store.query(
          "SELECT id, member_id, training_id, owner_node_id, vc IS NOT NULL AS signed FROM credential ORDER BY id",
        ),
      ).toEqual([
        { id: "C1", member_id: "MB", training_id: "T1", owner_node_id: a.nodeId, signed: true },
        { id: "C2", member_id: "MC", training_id: "T1", owner_node_id: a.nodeId, signed: true },
      ]);
      expect(await routes(c, "CREDENTIAL")).toEqual([
        ["C1", null],
        ["C2", null],
      ]);
      // The issuer revokes it.
      const revoked = await a.push([await again(a, a.event("CREDENTIAL", "C1", null, "DELETE"))]);
      expect(revoked.data?.pushChanges.rejected).toBeNull();
      expect(await t.hub.db.prisma.credential.count()).toBe(1);
    });

    it("hands a replaced node's trainings, enrolments and members' requests to the new node", async () => {
      await network();
      await a.push([a.event("TRAINING", "T1", training("SA"))]);
      await b.push([b.event("ENROLMENT_REQUEST", "E1", enrolmentRequest("T1", "MB"))]);
      await a.push([
        a.event("ENROLMENT", "E1", enrolment("T1", "MB", "WAITLISTED", { position: 1 })),
      ]);
      await c.push([c.event("TRAINING", "TC", training(c.fabriqueId))]);
      await a.push([a.event("ENROLMENT_REQUEST", "E2", enrolmentRequest("TC", "MA"))]);

      const replacement = await enrolTestNode(t, a.fabriqueId, national);
      // The new node writes them; the old one no longer can (revoked), nor can anyone else.
      const updated = await replacement.push([
        replacement.event("TRAINING", "T1", training("SA", { capacity: 12 })),
        replacement.event("ENROLMENT", "E1", enrolment("T1", "MB")),
        replacement.event(
          "ENROLMENT_REQUEST",
          "E2",
          enrolmentRequest("TC", "MA", { cancelled: true }),
        ),
      ]);
      expect(updated.data?.pushChanges).toMatchObject({ applied: 3, rejected: null });
      expect(
        (await a.push([a.event("TRAINING", "T1", training("SA"))])).errors?.[0]?.extensions?.code,
      ).toBe("UNAUTHENTICATED");
      // B's requests and C's answers now go to the new node.
      await c.push([
        c.event(
          "ENROLMENT",
          "E2",
          enrolment("TC", "MA", "CANCELLED", { reasonCode: "CANCELLED_BY_MEMBER" }),
        ),
      ]);
      // (E1 first: handed over to it at its enrolment.)
      expect(await routes(replacement, "ENROLMENT")).toEqual([
        ["E1", replacement.nodeId],
        ["E2", replacement.nodeId],
      ]);
      expect(await routes(b, "ENROLMENT")).toEqual([
        ["E1", b.nodeId],
        ["E1", b.nodeId],
      ]);
    });

    it("sends the new node its trainings not ended, their places and the requests for them, and moves the other nodes' replicas to it", async () => {
      await network();
      const hash = (digit: string) => `sha256$${digit.repeat(64)}`;
      const past = { startsAt: "2020-03-04T09:00:00.000Z", endsAt: "2020-03-04T12:00:00.000Z" };
      const seats = { taken: 1, waitlisted: 1, attended: 0, noShow: 0 };
      await a.push([
        a.event("TRAINING", "T1", training("SA", { seats, offerHours: 24 })),
        a.event("TRAINING", "TL", training(a.fabriqueId, { scope: "LOCAL" })),
        a.event("TRAINING", "TP", training("SA", past)),
        a.event("ENROLMENT", "E0", enrolment("T1", "MA")),
      ]);
      await b.push([
        b.event(
          "ENROLMENT_REQUEST",
          "E1",
          enrolmentRequest("T1", "MB", { identityHash: hash("b") }),
        ),
        b.event("ENROLMENT_REQUEST", "EP", enrolmentRequest("TP", "MB")),
      ]);
      await c.push([
        c.event(
          "ENROLMENT_REQUEST",
          "E3",
          enrolmentRequest("T1", "MC", { identityHash: hash("c") }),
        ),
      ]);
      await a.push([
        a.event("ENROLMENT", "E1", enrolment("T1", "MB", "WAITLISTED", { position: 1 })),
        a.event("ENROLMENT", "EP", enrolment("TP", "MB", "ATTENDED")),
      ]);
      const seen = { b: (await b.pull("0", 1000)).cursor, c: (await c.pull("0", 1000)).cursor };

      const replacement = await enrolTestNode(t, a.fabriqueId, national);
      const events = (await replacement.pull("0", 1000)).events.filter(
        (e) =>
          ["TRAINING", "ENROLMENT", "ENROLMENT_REQUEST"].includes(e.entity) &&
          e.targetNodeId === replacement.nodeId &&
          e.originNodeId !== a.nodeId,
      );
      // Trainings first, their places after, then the requests as their requesters sent them
      // (identity hashes kept); not TP, over.
      expect(events.map((e) => [e.entity, e.entityId, e.originNodeId, e.targetNodeId])).toEqual([
        ["TRAINING", "T1", null, replacement.nodeId],
        ["TRAINING", "TL", null, replacement.nodeId],
        ["ENROLMENT", "E0", null, replacement.nodeId],
        ["ENROLMENT", "E1", null, replacement.nodeId],
        ["ENROLMENT_REQUEST", "E1", b.nodeId, replacement.nodeId],
        ["ENROLMENT_REQUEST", "E3", c.nodeId, replacement.nodeId],
      ]);
      const payload = (entity: string, id: string) =>
        events.find((e) => e.entity === entity && e.entityId === id)?.payload;
      expect(payload("TRAINING", "T1")).toEqual(training("SA", { seats, offerHours: 24 }));
      expect(payload("ENROLMENT", "E1")).toEqual(
        enrolment("T1", "MB", "WAITLISTED", { position: 1 }),
      );
      expect(payload("ENROLMENT_REQUEST", "E3")).toEqual(
        enrolmentRequest("T1", "MC", { identityHash: hash("c") }),
      );
      // The other nodes' replicas follow: the shared training announced again from the new node.
      for (const [other, after] of [
        [b, seen.b],
        [c, seen.c],
      ] as const) {
        const announced = (await other.pull(after, 1000)).events.filter(
          (e) => e.entity === "TRAINING",
        );
        expect(announced.map((e) => [e.entityId, e.originNodeId, e.targetNodeId])).toEqual([
          ["T1", replacement.nodeId, null],
        ]);
      }
      // And the new node answers the request still waiting.
      const answered = await replacement.push([
        replacement.event("ENROLMENT", "E3", enrolment("T1", "MC", "WAITLISTED", { position: 2 })),
      ]);
      expect(answered.data?.pushChanges).toMatchObject({ applied: 1, rejected: null });
    });

    // ── Discovery ───────────────────────────────────────────────────────────────────────────

    const TRAININGS = `query($filter: TrainingFilter, $first: Int, $after: String) {
      trainings(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id title scope online venueSpaceId startsAt
          seats { capacity taken left waitlisted } grants { type validityDays } space { id } } } } }`;
    type Found = {
      trainings: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        edges: { node: Record<string, unknown> & { id: string } }[];
      };
    };
    const find = (filter: Record<string, unknown>, token: string, page = {}) =>
      t.gql<Found>(TRAININGS, { filter, ...page }, token);
    const ids = (r: { data?: Found | null }) => r.data?.trainings.edges.map((e) => e.node.id);

    /** A's trainings (network, local, full, online, past, cancelled), B's national, C's local. */
    async function catalogue() {
      await network();
      const at = (day: string) => ({
        startsAt: `${day}T09:00:00.000Z`,
        endsAt: `${day}T12:00:00.000Z`,
      });
      const full = { taken: 9, waitlisted: 3, attended: 0, noShow: 0 };
      for (const r of [
        await a.push([
          a.event("TRAINING", "TA1", training("SA", at("2031-03-04"))),
          a.event(
            "TRAINING",
            "TA2",
            training(a.fabriqueId, { ...at("2031-03-05"), scope: "LOCAL" }),
          ),
          a.event(
            "TRAINING",
            "TA3",
            training("SA", {
              ...at("2031-03-06"),
              seats: full,
              topic: "WOODWORKING",
              tags: ["bois"],
            }),
          ),
          a.event(
            "TRAINING",
            "TA4",
            training(a.fabriqueId, {
              ...at("2031-03-07"),
              venueSpaceId: null,
              onlineUrl: "https://visio.example.org/laser",
              grants: null,
            }),
          ),
          a.event("TRAINING", "TA5", training("SA", at("2020-03-04"))),
          a.event(
            "TRAINING",
            "TA6",
            training("SA", {
              ...at("2031-03-08"),
              status: "CANCELLED",
              cancelReasonCode: "CANCELLED_BY_ORGANISER",
            }),
          ),
        ]),
        await b.push([
          b.event(
            "TRAINING",
            "TB1",
            training(b.fabriqueId, { ...at("2031-03-05"), scope: "NATIONAL" }),
          ),
        ]),
        await c.push([
          c.event(
            "TRAINING",
            "TC1",
            training(c.fabriqueId, { ...at("2031-03-05"), scope: "LOCAL" }),
          ),
        ]),
      ]) {
        expect(r.data?.pushChanges.rejected).toBeNull();
      }
    }

    it("lists the trainings each caller may see, in start order, with seats left and waitlist length", async () => {
      await catalogue();
      const teamA = await t.adminToken(a.fabriqueId);
      const own = await find({}, teamA);
      expect(own.errors).toBeUndefined();
      // Upcoming SCHEDULED ones: not the past one, nor the cancelled one, nor C's LOCAL one.
      expect(ids(own)).toEqual(["TA1", "TA2", "TB1", "TA3", "TA4"]);
      expect(own.data?.trainings.totalCount).toBe(5);
      const byId = new Map(own.data?.trainings.edges.map((e) => [e.node.id, e.node]));
      expect(byId.get("TA3")).toMatchObject({
        seats: { capacity: 9, taken: 9, left: 0, waitlisted: 3 },
        grants: { type: "laser-safety", validityDays: 365 },
        online: false,
        space: { id: "SA" },
      });
      expect(byId.get("TA4")).toMatchObject({ online: true, venueSpaceId: null, grants: null });
      // B's team: the shared ones only, and not A's spaces.
      const teamB = await find({}, await t.adminToken(b.fabriqueId));
      expect(ids(teamB)).toEqual(["TA1", "TB1", "TA3", "TA4"]);
      expect(teamB.data?.trainings.edges[0]?.node.space).toBeNull();
      // The national body: the national offer.
      expect(ids(await find({}, national))).toEqual(["TB1"]);
      // One at a time, by id, for whoever may see it.
      const ONE = `query($id: ID!) { training(id: $id) { id seats { left } }
        node(id: $id) { id ... on Training { title } } }`;
      const hidden = await t.gql<{ training: unknown; node: unknown }>(ONE, { id: "TC1" }, teamA);
      expect(hidden.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      expect(hidden.data?.node).toBeNull();
      const shown = await t.gql<{ node: { id: string; title: string } }>(ONE, { id: "TB1" }, teamA);
      expect(shown.data).toMatchObject({ training: { id: "TB1" }, node: { id: "TB1" } });
      expect((await t.gql(ONE, { id: "TA1" }, undefined)).errors?.[0]?.extensions?.code).toBe(
        "UNAUTHENTICATED",
      );
      // A closed organiser's sessions are no longer listed.
      await a.push([a.satellite("SA", "L'atelier", "07019", "CLOSED")]);
      const closed = await find({}, teamA);
      expect(ids(closed)).toEqual(["TA2", "TB1", "TA4"]);
      expect(closed.data?.trainings.totalCount).toBe(3);
    });

    it("filters by topic, tag, place, dates, online, seats and credential, and pages forward", async () => {
      await catalogue();
      const team = await t.adminToken(a.fabriqueId);
      const check = async (filter: Record<string, unknown>, expected: string[]) =>
        expect(ids(await find(filter, team))).toEqual(expected);
      await check({ topic: "WOODWORKING" }, ["TA3"]);
      await check({ tag: "Bois" }, ["TA3"]);
      await check({ hasSeats: true }, ["TA1", "TA2", "TB1", "TA4"]);
      await check({ online: true }, ["TA4"]);
      await check({ online: false, credential: "laser-safety" }, ["TA1", "TA2", "TB1", "TA3"]);
      await check({ region: "75" }, ["TB1"]);
      await check({ department: "07" }, ["TA1", "TA2", "TA3", "TA4"]);
      await check({ from: "2031-03-05T00:00:00Z", to: "2031-03-06T00:00:00Z" }, ["TA2", "TB1"]);
      await check({ from: "2020-01-01T00:00:00Z", to: "2021-01-01T00:00:00Z" }, ["TA5"]);
      // Around Guéret (B's commune), within its region: B's first, then by start.
      await check({ near: { communeCode: "23096", within: "REGION" } }, ["TB1"]);
      await check({ near: { communeCode: "07186", within: "DEPARTMENT" } }, [
        "TA2",
        "TA4",
        "TA1",
        "TA3",
      ]);

      const first = await find({}, team, { first: 2 });
      expect(ids(first)).toEqual(["TA1", "TA2"]);
      expect(first.data?.trainings.pageInfo.hasNextPage).toBe(true);
      const next = await find({}, team, {
        first: 2,
        after: first.data?.trainings.pageInfo.endCursor,
      });
      expect(ids(next)).toEqual(["TB1", "TA3"]);
      const near = { near: { communeCode: "07186", within: "DEPARTMENT" } };
      const nearFirst = await find(near, team, { first: 2 });
      const nearNext = await find(near, team, {
        first: 5,
        after: nearFirst.data?.trainings.pageInfo.endCursor,
      });
      expect(ids(nearNext)).toEqual(["TA1", "TA3"]);
      expect(nearNext.data?.trainings.pageInfo.hasNextPage).toBe(false);
    });

    it("refuses bad filters and pages with documented codes", async () => {
      await catalogue();
      const team = await t.adminToken(a.fabriqueId);
      const code = async (filter: Record<string, unknown>, page = {}) => {
        const r = await find(filter, team, page);
        return [r.errors?.[0]?.extensions?.code, r.errors?.[0]?.extensions?.field];
      };
      expect(await code({ region: "99" })).toEqual(["BAD_USER_INPUT", "filter.region"]);
      expect(await code({ department: "999" })).toEqual(["BAD_USER_INPUT", "filter.department"]);
      expect(await code({ from: "2031-03-05T00:00:00Z", to: "2031-03-04T00:00:00Z" })).toEqual([
        "BAD_USER_INPUT",
        "filter.to",
      ]);
      // An empty string filter is refused, never read as no filter.
      for (const key of ["tag", "region", "department", "credential"]) {
        for (const empty of ["", "  "]) {
          expect(await code({ [key]: empty })).toEqual(["BAD_USER_INPUT", `filter.${key}`]);
        }
      }
      expect(await code({}, { first: 501 })).toEqual(["BAD_USER_INPUT", "first"]);
      expect(await code({}, { after: "not-a-cursor" })).toEqual(["BAD_USER_INPUT", "after"]);
      expect((await code({ topic: "JUGGLING" }))[0]).toBe("BAD_USER_INPUT");
      expect((await code({ near: { communeCode: "00000" } }))[0]).toBe("UNKNOWN_COMMUNE");
      const backwards = await t.gql(`{ trainings(last: 2) { totalCount } }`, {}, team);
      expect(backwards.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect((await find({}, await b.token())).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    });

    // ── Live ───────────────────────────────────────────────────────────────────────────────

    const ENROLMENT_UPDATED = `subscription($trainingId: ID) { enrolmentUpdated(trainingId: $trainingId) {
      id trainingId memberId status position reasonCode createdAt training { id } } }`;
    const SEATS_CHANGED = `subscription($trainingId: ID) { trainingSeatsChanged(trainingId: $trainingId) {
      id scope seats { capacity taken left waitlisted } } }`;

    it("tells the organiser's and the member's teams of an enrolment, the nation those of NATIONAL trainings without member, after commit, and nobody else", async () => {
      await network();
      await a.push([
        a.event("TRAINING", "T1", training("SA")),
        a.event("TRAINING", "TN", training("SA", { scope: "NATIONAL" })),
      ]);
      const url = await wsEndpoint();
      const organiser = await listen(url, await t.adminToken(a.fabriqueId), ENROLMENT_UPDATED, {
        trainingId: "T1",
      });
      const home = await listen(url, await t.adminToken(b.fabriqueId), ENROLMENT_UPDATED);
      const third = await listen(url, await t.adminToken(c.fabriqueId), ENROLMENT_UPDATED);
      const nation = await listen(url, national, ENROLMENT_UPDATED);
      const node = await listen(url, await a.token(), ENROLMENT_UPDATED);
      await new Promise((r) => setTimeout(r, 300));

      await b.push([b.event("ENROLMENT_REQUEST", "E1", enrolmentRequest("T1", "MB"))]);
      await a.push([
        a.event("ENROLMENT", "E1", enrolment("T1", "MB", "WAITLISTED", { position: 1 })),
        a.event("ENROLMENT", "E1", enrolment("T1", "MB", "ENROLLED")),
        a.event("ENROLMENT", "E2", enrolment("T1", "MA")),
        // Last, C's member in the national one: once C hears of it, it would have heard of E1.
      ]);
      await c.push([c.event("ENROLMENT_REQUEST", "E3", enrolmentRequest("TN", "MC"))]);
      await a.push([a.event("ENROLMENT", "E3", enrolment("TN", "MC"))]);
      await until(
        () =>
          organiser.received.data.length >= 2 &&
          home.received.data.length >= 1 &&
          third.received.data.length >= 1 &&
          nation.received.data.length >= 1,
        "enrolment updates",
      );
      await Promise.all([organiser, home, third, nation, node].map((s) => s.close()));
      const seen = (s: { received: Received }) =>
        s.received.data.map((d) => d.enrolmentUpdated as Record<string, unknown>);
      // One per enrolment written by the push (its last state), after commit.
      expect(seen(home)).toEqual([
        {
          id: "E1",
          trainingId: "T1",
          memberId: "MB",
          status: "ENROLLED",
          position: null,
          reasonCode: null,
          createdAt: "2031-02-01T08:00:00.000Z",
          training: { id: "T1" },
        },
      ]);
      expect(seen(organiser).map((e) => [e.id, e.memberId])).toEqual([
        ["E1", "MB"],
        ["E2", "MA"],
      ]);
      expect(seen(third).map((e) => [e.id, e.memberId])).toEqual([["E3", "MC"]]);
      // The nation only of the NATIONAL training's places (T1 is NETWORK: training(id) is
      // NOT_FOUND to it, and so are its places), E3 being pushed last.
      expect(seen(nation).map((e) => [e.id, e.memberId, e.training])).toEqual([
        ["E3", null, { id: "TN" }],
      ]);
      expect(node.received.data).toEqual([]);
      expect(JSON.stringify(node.received.errors)).toContain("FORBIDDEN");
    });

    it("tells whoever may see a training of its seats, and refuses to follow one hidden from the caller", async () => {
      await network();
      await a.push([
        a.event("TRAINING", "T1", training("SA")),
        a.event("TRAINING", "TL", training("SA", { scope: "LOCAL" })),
      ]);
      const url = await wsEndpoint();
      const other = await listen(url, await t.adminToken(c.fabriqueId), SEATS_CHANGED, {
        trainingId: "T1",
      });
      const own = await listen(url, await t.adminToken(a.fabriqueId), SEATS_CHANGED);
      const hidden = await listen(url, await t.adminToken(c.fabriqueId), SEATS_CHANGED, {
        trainingId: "TL",
      });
      const nation = await listen(url, national, SEATS_CHANGED, { trainingId: "T1" });
      const anonymous = await listen(url, "", SEATS_CHANGED);
      await new Promise((r) => setTimeout(r, 300));
      const full = { taken: 9, waitlisted: 2, attended: 0, noShow: 0 };
      await a.push([
        a.event("TRAINING", "TL", training("SA", { scope: "LOCAL", seats: full })),
        a.event("TRAINING", "T1", training("SA", { seats: full })),
      ]);
      await until(
        () => own.received.data.length >= 2 && other.received.data.length >= 1,
        "seat changes",
      );
      await Promise.all([other, own, hidden, nation, anonymous].map((s) => s.close()));
      const seats = { capacity: 9, taken: 9, left: 0, waitlisted: 2 };
      expect(other.received.data).toEqual([
        { trainingSeatsChanged: { id: "T1", scope: "NETWORK", seats } },
      ]);
      expect(own.received.data.map((d) => d.trainingSeatsChanged?.id)).toEqual(["T1", "TL"]);
      expect(hidden.received.data).toEqual([]);
      expect(JSON.stringify(hidden.received.errors)).toContain("NOT_FOUND");
      expect(nation.received.data).toEqual([]);
      expect(JSON.stringify(nation.received.errors)).toContain("NOT_FOUND");
      expect(anonymous.received.data).toEqual([]);
      expect(JSON.stringify(anonymous.received.errors)).toContain("UNAUTHENTICATED");
    });

    it("keeps the training rollup by deltas: cancellations excluded from seats filled, a moved session takes its enrolments along", async () => {
      await network();
      const rollup = async () =>
        t.hub.db.store.query<{ row: string }>(
          `SELECT concat_ws('|', scope, scope_id, to_char(day, 'YYYY-MM-DD'), topic, trainings,
                            cancelled_trainings, seats_offered, seats_filled, cross_node, waitlisted,
                            attended, no_show, attended_minutes, credentials, cancellations) AS row
           FROM training_rollup ORDER BY scope, scope_id, day, topic`,
        );
      const recomputed = async () =>
        t.hub.db.store.query<{ row: string }>(
          `SELECT concat_ws('|', scope, scope_id, to_char(day, 'YYYY-MM-DD'), topic, trainings,
                            cancelled_trainings, seats_offered, seats_filled, cross_node, waitlisted,
                            attended, no_show, attended_minutes, credentials, cancellations) AS row
           FROM (${contributionsSql("true")}) c
           ORDER BY scope::"RollupScope", scope_id, day, topic`,
        );
      // 11 enrolments for 9 seats: 2 cancelled, 9 holding a seat (one of them B's member).
      const members = Array.from({ length: 10 }, (_, i) => `M${i}`);
      await a.push([
        a.event(
          "TRAINING",
          "T1",
          training("SA", { seats: { taken: 9, waitlisted: 0, attended: 0, noShow: 0 } }),
        ),
        ...members.map((m) => a.event("MEMBER", m, { homeSpaceId: "SA" })),
      ]);
      await b.push([b.event("ENROLMENT_REQUEST", "EB", enrolmentRequest("T1", "MB"))]);
      const enrolled = await a.push([
        ...members.map((m, i) =>
          a.event(
            "ENROLMENT",
            `E${i}`,
            i < 2
              ? enrolment("T1", m, "CANCELLED", { reasonCode: "CANCELLED_BY_MEMBER" })
              : enrolment("T1", m),
          ),
        ),
        a.event("ENROLMENT", "EB", enrolment("T1", "MB")),
      ]);
      expect(enrolled.data?.pushChanges.rejected).toBeNull();
      const day = "2031-03-04";
      /** The rollup's rows of one scope, in code-point order (topic "*": every topic). */
      const rowsOf = async (scope: string) =>
        (await rollup())
          .map((r) => r.row)
          .filter((r) => r.startsWith(scope))
          .sort();
      expect(await rowsOf("NATION")).toEqual([
        `NATION|FR|${day}|*|1|0|9|9|1|0|0|0|0|0|2`,
        `NATION|FR|${day}|MACHINE_SAFETY|1|0|9|9|1|0|0|0|0|0|2`,
      ]);
      // Attendance: 7 attended (3 hours each; 6 with a credential), 2 no-shows.
      await a.push(
        [...members.slice(2), "MB"].map((m, i) => {
          const id = m === "MB" ? "EB" : `E${i + 2}`;
          return a.event(
            "ENROLMENT",
            id,
            enrolment("T1", m, i < 7 ? "ATTENDED" : "NO_SHOW", {
              credentialId: i < 6 ? `C${i}` : null,
            }),
          );
        }),
      );
      expect(await rowsOf("FABRIQUE")).toEqual([
        `FABRIQUE|${a.fabriqueId}|${day}|*|1|0|9|9|1|0|7|2|1260|6|2`,
        `FABRIQUE|${a.fabriqueId}|${day}|MACHINE_SAFETY|1|0|9|9|1|0|7|2|1260|6|2`,
      ]);
      // The same state again changes nothing; moved to the next day and another topic, its
      // enrolments follow; cancelled, its seats are no longer offered nor filled.
      const before = await rollup();
      await a.push([
        a.event("ENROLMENT", "E2", enrolment("T1", "M2", "ATTENDED", { credentialId: "C0" })),
      ]);
      expect(await rollup()).toEqual(before);
      await a.push([
        a.event(
          "TRAINING",
          "T1",
          training("SA", {
            startsAt: "2031-03-05T09:00:00.000Z",
            endsAt: "2031-03-05T12:00:00.000Z",
            topic: "DIGITAL_FABRICATION",
          }),
        ),
      ]);
      expect(await rowsOf("REGION")).toEqual([
        "REGION|84|2031-03-05|*|1|0|9|9|1|0|7|2|1260|6|2",
        "REGION|84|2031-03-05|DIGITAL_FABRICATION|1|0|9|9|1|0|7|2|1260|6|2",
      ]);
      await a.push([
        a.event(
          "TRAINING",
          "T2",
          training(a.fabriqueId, { status: "CANCELLED", cancelReasonCode: "MINIMUM_NOT_REACHED" }),
        ),
      ]);
      expect(await rowsOf("NATION")).toEqual([
        `NATION|FR|${day}|*|0|1|0|0|0|0|0|0|0|0|0`,
        `NATION|FR|${day}|MACHINE_SAFETY|0|1|0|0|0|0|0|0|0|0|0`,
        "NATION|FR|2031-03-05|*|1|0|9|9|1|0|7|2|1260|6|2",
        "NATION|FR|2031-03-05|DIGITAL_FABRICATION|1|0|9|9|1|0|7|2|1260|6|2",
      ]);
      expect(await rollup()).toEqual(await recomputed());
    });
  });
}
