import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Backend, startTestHub, type TestHub } from "../../testing/fixture.ts";
import { listen, type Received, until } from "../../testing/live.ts";
import {
  atExpectedSeq,
  createTestFabrique,
  enrolTestNode,
  type TestNode,
} from "../../testing/test-node.ts";
import { recomputeSql } from "./mobility-rollup.repository.ts";

export function pass(
  memberId: string,
  homeSpaceId: string,
  overrides: Record<string, unknown> = {},
) {
  return {
    memberId,
    homeSpaceId,
    validFrom: "2031-01-01T00:00:00.000Z",
    validUntil: "2032-01-01T00:00:00.000Z",
    shortCodeHash: `sha256$${"a".repeat(64)}`,
    status: "ACTIVE",
    revocationReason: null,
    ...overrides,
  };
}

export function visit(
  memberId: string | null,
  homeSpaceId: string,
  spaceId: string,
  day = "2031-03-04",
  overrides: Record<string, unknown> = {},
) {
  return {
    memberId,
    homeSpaceId,
    spaceId,
    day,
    arrivedAt: `${day}T09:00:00.000Z`,
    departedAt: null,
    method: "PASS",
    passId: memberId === null ? null : `P-${memberId}`,
    ...overrides,
  };
}

export function tariff(spaceId: string, validFrom: string, perVisitCents: number | null = 500) {
  return { spaceId, validFrom, perVisitCents, perDayCents: null };
}

/** Passes, visits and tariffs as nodes sync them, on every backend. */
export function registerMobilitySyncTests(backend: Backend) {
  describe(`mobility through sync (${backend})`, () => {
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
    beforeEach(async () => {
      await t.reset();
      const fabrique = (name: string, communeCode: string) =>
        createTestFabrique(t, national, name, communeCode);
      a = await enrolTestNode(t, await fabrique("Fabrique A", "07186"), national);
      b = await enrolTestNode(t, await fabrique("Fabrique B", "23096"), national);
      c = await enrolTestNode(t, await fabrique("Fabrique C", "07107"), national);
    });

    /** A's satellite SA and members MA, MA2; B's satellite SB and member MB; C's member MC. */
    async function network() {
      for (const r of [
        await a.push([
          a.satellite("SA", "L'atelier"),
          a.event("MEMBER", "MA", { homeSpaceId: "SA" }),
          a.event("MEMBER", "MA2", { homeSpaceId: a.fabriqueId }),
        ]),
        await b.push([
          b.satellite("SB", "La grange", "23001"),
          b.event("MEMBER", "MB", { homeSpaceId: b.fabriqueId }),
        ]),
        await c.push([c.event("MEMBER", "MC", { homeSpaceId: c.fabriqueId })]),
      ]) {
        expect(r.data?.pushChanges.rejected).toBeNull();
      }
    }

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

    const rollup = () =>
      t.hub.db.store.query<{ row: string }>(
        `SELECT concat_ws('|', to_char(month, 'YYYY-MM'), origin_level, origin_id, dest_level,
                          dest_id, visits, members) AS row
         FROM mobility_rollup ORDER BY 1`,
      );
    const recomputed = () =>
      t.hub.db.store.query<{ row: string }>(
        `SELECT concat_ws('|', to_char(month, 'YYYY-MM'), origin_level, origin_id, dest_level,
                          dest_id, visits, members) AS row
         FROM (${recomputeSql("true")}) r ORDER BY 1`,
      );

    it("sends a member's pass to every node, from its home node only", async () => {
      await network();
      const issued = await a.push([
        a.event("PASS", "P-MA", pass("MA", "SA")),
        a.event("PASS", "P-MA2", pass("MA2", a.fabriqueId)),
      ]);
      expect(issued.data?.pushChanges).toMatchObject({ applied: 2, rejected: null });
      for (const other of [b, c]) {
        expect(await routes(other, "PASS")).toEqual([
          ["P-MA", null],
          ["P-MA2", null],
        ]);
      }
      // Neither the member's id nor the short code's hash is kept at the hub.
      expect(await t.hub.db.store.query("SELECT * FROM pass WHERE id = 'P-MA'")).toEqual([
        expect.not.objectContaining({ member_id: expect.anything() }),
      ]);
      // Another node's member, a home space elsewhere, another node's pass.
      await expectRefused(
        b,
        b.event("PASS", "P-X", pass("MA", b.fabriqueId)),
        "OWNERSHIP_VIOLATION",
      );
      await expectRefused(b, b.event("PASS", "P-Y", pass("MB", "SA")), "OWNERSHIP_VIOLATION");
      await expectRefused(
        b,
        b.event(
          "PASS",
          "P-MA",
          pass("MB", b.fabriqueId, { status: "REVOKED", revocationReason: "LOST" }),
        ),
        "OWNERSHIP_VIOLATION",
      );
      await expectRefused(b, b.event("PASS", "P-MA", null, "DELETE"), "OWNERSHIP_VIOLATION");
      await expectRefused(
        a,
        a.event("PASS", "P-Z", { ...pass("MA", "SA"), email: "x@y.fr" }),
        "INVALID_EVENT",
      );
      // Revoked by its home, and a revoked pass of a member the hub no longer has (erased).
      const revoked = await a.push([
        await again(
          a,
          a.event(
            "PASS",
            "P-MA",
            pass("MA", "SA", { status: "REVOKED", revocationReason: "LOST" }),
          ),
        ),
      ]);
      expect(revoked.data?.pushChanges.rejected).toBeNull();
      const erased = await a.push([
        await again(
          a,
          a.event(
            "PASS",
            "P-GONE",
            pass("GONE", "SA", { status: "REVOKED", revocationReason: "ERASED" }),
          ),
        ),
      ]);
      expect(erased.data?.pushChanges.rejected).toBeNull();
      await expectRefused(a, a.event("PASS", "P-GONE2", pass("GONE", "SA")), "OWNERSHIP_VIOLATION");
      expect(
        await t.hub.db.store.query(
          "SELECT id, owner_node_id, status, revocation_reason FROM pass ORDER BY id",
        ),
      ).toEqual([
        { id: "P-GONE", owner_node_id: a.nodeId, status: "REVOKED", revocation_reason: "ERASED" },
        { id: "P-MA", owner_node_id: a.nodeId, status: "REVOKED", revocation_reason: "LOST" },
        { id: "P-MA2", owner_node_id: a.nodeId, status: "ACTIVE", revocation_reason: null },
      ]);
    });

    it("keeps a visit at the hub and routes it to the member's home node only", async () => {
      await network();
      const recorded = await b.push([
        b.event("VISIT", "V1", visit("MA", "SA", "SB")),
        b.event("VISIT", "V2", visit("MB", b.fabriqueId, "SB")),
        // A member the hub does not know (its home has not pushed it yet): home by its space.
        b.event("VISIT", "V3", visit("M-LATER", a.fabriqueId, b.fabriqueId)),
      ]);
      expect(recorded.data?.pushChanges).toMatchObject({ applied: 3, rejected: null });
      expect(await routes(a, "VISIT")).toEqual([
        ["V1", a.nodeId],
        ["V3", a.nodeId],
      ]);
      expect(await routes(c, "VISIT")).toEqual([]);
      // B's own member at B's satellite: stays at the hub (addressed to its origin only).
      expect(await routes(b, "VISIT")).toEqual([["V2", b.nodeId]]);
      expect(
        await t.hub.db.store.query(
          `SELECT id, member_id, home_network_id, network_id, home_region, region,
                  to_char(day, 'YYYY-MM-DD') AS day FROM visit ORDER BY id`,
        ),
      ).toEqual([
        {
          id: "V1",
          member_id: "MA",
          home_network_id: a.fabriqueId,
          network_id: b.fabriqueId,
          home_region: "84",
          region: "75",
          day: "2031-03-04",
        },
        {
          id: "V2",
          member_id: "MB",
          home_network_id: b.fabriqueId,
          network_id: b.fabriqueId,
          home_region: "75",
          region: "75",
          day: "2031-03-04",
        },
        {
          id: "V3",
          member_id: "M-LATER",
          home_network_id: a.fabriqueId,
          network_id: b.fabriqueId,
          home_region: "84",
          region: "75",
          day: "2031-03-04",
        },
      ]);
      // Checked out: the same road.
      const out = await b.push([
        await again(
          b,
          b.event(
            "VISIT",
            "V1",
            visit("MA", "SA", "SB", "2031-03-04", { departedAt: "2031-03-04T12:00:00.000Z" }),
          ),
        ),
      ]);
      expect(out.data?.pushChanges.rejected).toBeNull();
      expect(await routes(a, "VISIT")).toEqual([
        ["V1", a.nodeId],
        ["V3", a.nodeId],
        ["V1", a.nodeId],
      ]);
    });

    it("refuses visits a node may not record, applying nothing", async () => {
      await network();
      await b.push([b.event("VISIT", "V1", visit("MA", "SA", "SB"))]);
      // At another network's space; another node's visit; an unknown home space.
      await expectRefused(
        b,
        b.event("VISIT", "V2", visit("MC", c.fabriqueId, "SA")),
        "OWNERSHIP_VIOLATION",
      );
      await expectRefused(
        c,
        c.event("VISIT", "V1", visit("MA", "SA", c.fabriqueId)),
        "OWNERSHIP_VIOLATION",
      );
      await expectRefused(c, c.event("VISIT", "V1", null, "DELETE"), "OWNERSHIP_VIOLATION");
      await expectRefused(b, b.event("VISIT", "V3", visit("MA", "NOWHERE", "SB")), "INVALID_EVENT");
      // Once sent, a visit stays its member's, at its places.
      await expectRefused(b, b.event("VISIT", "V1", visit("MC", "SA", "SB")), "INVALID_EVENT");
      await expectRefused(
        b,
        b.event("VISIT", "V1", visit("MA", "SA", b.fabriqueId)),
        "INVALID_EVENT",
      );
      // The contract: departure before arrival, a personal field.
      await expectRefused(
        b,
        b.event(
          "VISIT",
          "V4",
          visit("MA", "SA", "SB", "2031-03-04", { departedAt: "2031-03-04T08:00:00.000Z" }),
        ),
        "INVALID_EVENT",
      );
      await expectRefused(
        b,
        b.event("VISIT", "V5", { ...visit("MA", "SA", "SB"), firstName: "Camille" }),
        "INVALID_EVENT",
      );
      expect(await t.hub.db.store.query("SELECT id, member_id FROM visit")).toEqual([
        { id: "V1", member_id: "MA" },
      ]);
    });

    it("sends tariffs to every node, from the space's node only", async () => {
      await network();
      const set = await b.push([
        b.event("TARIFF", "SB:2031-01-01", tariff("SB", "2031-01-01")),
        b.event("TARIFF", `${b.fabriqueId}:2031-01-01`, {
          ...tariff(b.fabriqueId, "2031-01-01", null),
          perDayCents: 1200,
        }),
      ]);
      expect(set.data?.pushChanges).toMatchObject({ applied: 2, rejected: null });
      expect(await routes(a, "TARIFF")).toEqual([
        ["SB:2031-01-01", null],
        [`${b.fabriqueId}:2031-01-01`, null],
      ]);
      await expectRefused(
        a,
        a.event("TARIFF", "SB:2031-02-01", tariff("SB", "2031-02-01")),
        "OWNERSHIP_VIOLATION",
      );
      await expectRefused(
        b,
        b.event("TARIFF", "SB:2031-02-02", tariff("SB", "2031-02-01")),
        "INVALID_EVENT",
      );
      await expectRefused(
        b,
        b.event("TARIFF", "SB:2031-02-01", tariff("SB", "2031-02-01", -1)),
        "INVALID_EVENT",
      );
      await expectRefused(
        a,
        a.event("TARIFF", "SB:2031-01-01", null, "DELETE"),
        "OWNERSHIP_VIOLATION",
      );
      const withdrawn = await b.push([
        await again(b, b.event("TARIFF", "SB:2031-01-01", null, "DELETE")),
      ]);
      expect(withdrawn.data?.pushChanges.rejected).toBeNull();
      expect(
        await t.hub.db.store.query("SELECT id, per_visit_cents, per_day_cents FROM tariff"),
      ).toEqual([{ id: `${b.fabriqueId}:2031-01-01`, per_visit_cents: null, per_day_cents: 1200 }]);
    });

    it("keeps the mobility rollup by deltas: distinct members per flow and month, moves and deletions", async () => {
      await network();
      const A = a.fabriqueId;
      const B = b.fabriqueId;
      await b.push([
        // MA twice in B's territory in March (two places), MA2 once; MB at home: not counted.
        b.event("VISIT", "V1", visit("MA", "SA", "SB", "2031-03-04")),
        b.event("VISIT", "V2", visit("MA", "SA", B, "2031-03-20")),
        b.event("VISIT", "V3", visit("MA2", A, "SB", "2031-03-05")),
        b.event("VISIT", "V4", visit("MB", B, B, "2031-03-05")),
      ]);
      await a.push([
        // MB at A's satellite (another network), MA at A's fabrique (its own network, away from SA).
        a.event("VISIT", "V5", visit("MB", B, "SA", "2031-03-06")),
        a.event("VISIT", "V6", visit("MA", "SA", A, "2031-03-07")),
      ]);
      const rows = (await rollup()).map((r) => r.row);
      expect(rows).toContain(`2031-03|NETWORK|${A}|NETWORK|${B}|3|2`);
      expect(rows).toContain(`2031-03|NETWORK|${A}|NETWORK|${A}|1|1`);
      expect(rows).toContain(`2031-03|NETWORK|${B}|NETWORK|${A}|1|1`);
      expect(rows).toContain(`2031-03|NETWORK|${A}|ALL|FR|4|2`);
      expect(rows).toContain("2031-03|REGION|84|REGION|75|3|2");
      expect(rows).toContain("2031-03|ALL|FR|ALL|FR|5|3");
      expect(rows.filter((r) => r.includes(`NETWORK|${B}|NETWORK|${B}`))).toEqual([]);
      expect(rows).toEqual((await recomputed()).map((r) => r.row));

      // The same state again changes nothing; a visit moved to April takes its counts along;
      // a check-in undone (DELETE) leaves no count; MA's last March visit in B's territory gone,
      // MA leaves the March A → B members.
      const before = await rollup();
      await b.push([b.event("VISIT", "V3", visit("MA2", A, "SB", "2031-03-05"))]);
      expect(await rollup()).toEqual(before);
      await b.push([
        b.event("VISIT", "V1", visit("MA", "SA", "SB", "2031-04-01")),
        b.event("VISIT", "V2", null, "DELETE"),
      ]);
      const after = (await rollup()).map((r) => r.row);
      expect(after).toContain(`2031-03|NETWORK|${A}|NETWORK|${B}|1|1`);
      expect(after).toContain(`2031-04|NETWORK|${A}|NETWORK|${B}|1|1`);
      expect(after).toContain("2031-03|ALL|FR|ALL|FR|3|3");
      expect(after).toEqual((await recomputed()).map((r) => r.row));
      expect(
        await t.hub.db.store.query("SELECT count(*)::int AS n FROM mobility_presence"),
      ).toEqual([{ n: 4 }]);
    });

    it("counts a member once when two nodes record its visits of the same month at once", async () => {
      await network();
      for (let round = 0; round < 5; round++) {
        const day = `2031-0${round + 1}-10`;
        const [x, y] = await Promise.all([
          b.push([b.event("VISIT", `VB${round}`, visit("MA", "SA", "SB", day))]),
          c.push([c.event("VISIT", `VC${round}`, visit("MA", "SA", c.fabriqueId, day))]),
        ]);
        expect([x.data?.pushChanges.rejected, y.data?.pushChanges.rejected]).toEqual([null, null]);
      }
      expect((await rollup()).map((r) => r.row)).toEqual((await recomputed()).map((r) => r.row));
      expect((await rollup()).map((r) => r.row)).toContain("2031-03|ALL|FR|ALL|FR|2|1");
    });

    it("anonymises an erased member's visits at the hub and in the log, counts kept", async () => {
      await network();
      await b.push([
        b.event("VISIT", "V1", visit("MA", "SA", "SB", "2031-03-04")),
        b.event("VISIT", "V2", visit("MA", "SA", "SB", "2031-03-05")),
        b.event("VISIT", "V3", visit("MA2", a.fabriqueId, "SB", "2031-03-05")),
      ]);
      const counts = await rollup();
      const erased = await a.push([a.event("MEMBER", "MA", null, "DELETE")]);
      expect(erased.data?.pushChanges.rejected).toBeNull();
      expect(
        await t.hub.db.store.query("SELECT id, member_id, pass_id FROM visit ORDER BY id"),
      ).toEqual([
        { id: "V1", member_id: null, pass_id: null },
        { id: "V2", member_id: null, pass_id: null },
        { id: "V3", member_id: "MA2", pass_id: "P-MA2" },
      ]);
      expect(await rollup()).toEqual(counts);
      expect(
        await t.hub.db.store.query("SELECT member_id FROM mobility_presence ORDER BY member_id"),
      ).toEqual([{ member_id: "MA2" }]);
      // The log's VISIT entries no longer name the member; A still reads them (anonymous).
      const logged = await t.hub.db.store.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM change_log WHERE entity = 'VISIT' AND payload::text LIKE '%\"MA\"%'",
      );
      expect(logged).toEqual([{ n: 0 }]);
      const pulled = (await a.pull("0", 1000)).events.filter((e) => e.entity === "VISIT");
      expect(pulled.map((e) => [e.entityId, e.payload.memberId, e.payload.passId])).toEqual([
        ["V1", null, null],
        ["V2", null, null],
        ["V3", "MA2", "P-MA2"],
      ]);
      // The visited node, not yet aware, re-sends one with the member: it stays anonymous, and
      // so does its log entry. Its own anonymisation later is accepted, counts still kept.
      await b.push([
        b.event(
          "VISIT",
          "V1",
          visit("MA", "SA", "SB", "2031-03-04", { departedAt: "2031-03-04T12:00:00.000Z" }),
        ),
      ]);
      expect(await t.hub.db.store.query("SELECT member_id FROM visit WHERE id = 'V1'")).toEqual([
        { member_id: null },
      ]);
      const last = (await a.pull("0", 1000)).events.filter((e) => e.entity === "VISIT").at(-1);
      expect(last?.payload.memberId).toBeNull();
      await b.push([b.event("VISIT", "V2", visit(null, "SA", "SB", "2031-03-05"))]);
      // MA2's erasure seen from the visited node first: counts kept too.
      await b.push([b.event("VISIT", "V3", visit(null, a.fabriqueId, "SB", "2031-03-05"))]);
      expect(await rollup()).toEqual(counts);
      expect(
        await t.hub.db.store.query("SELECT count(*)::int AS n FROM mobility_presence"),
      ).toEqual([{ n: 0 }]);
    });

    it("hands a replaced node's passes, visits and tariffs to the new node", async () => {
      await network();
      await b.push([
        b.event("PASS", "P-MB", pass("MB", b.fabriqueId)),
        b.event("VISIT", "V1", visit("MA", "SA", "SB")),
        b.event("TARIFF", "SB:2031-01-01", tariff("SB", "2031-01-01")),
      ]);
      const replacement = await enrolTestNode(t, b.fabriqueId, national);
      const updated = await replacement.push([
        replacement.event(
          "PASS",
          "P-MB",
          pass("MB", b.fabriqueId, { status: "REVOKED", revocationReason: "LOST" }),
        ),
        replacement.event(
          "VISIT",
          "V1",
          visit("MA", "SA", "SB", "2031-03-04", { departedAt: "2031-03-04T10:00:00.000Z" }),
        ),
        replacement.event("TARIFF", "SB:2031-01-01", tariff("SB", "2031-01-01", 700)),
      ]);
      expect(updated.data?.pushChanges).toMatchObject({ applied: 3, rejected: null });
      // A's visits of B's members now go to the new node.
      await a.push([a.event("VISIT", "V2", visit("MB", b.fabriqueId, "SA"))]);
      expect(await routes(replacement, "VISIT")).toEqual([["V2", replacement.nodeId]]);
    });

    // ── networkHealth's mobility section ─────────────────────────────────────────────────────

    const HEALTH = `query($filter: NetworkHealthFilter) { networkHealth(filter: $filter) { mobility {
      month previousMonth outgoing { visits members suppressed } incoming { visits members suppressed }
      outgoingVisitsTrend months { month outgoing { visits members suppressed } }
      flows { origin { id name } destination { id } visits members suppressed }
      origins { territory { id } visits members suppressed }
      destinations { territory { id } visits members suppressed }
      regions { code outgoing { visits members suppressed } incoming { visits members suppressed } }
      regionFlows { origin { code } destination { code } visits members suppressed } } } }`;
    type Cell = { visits: number | null; members: number | null; suppressed: boolean };
    type Section = {
      month: string;
      previousMonth: string;
      outgoing: Cell;
      incoming: Cell;
      outgoingVisitsTrend: number | null;
      months: { month: string; outgoing: Cell }[];
      flows: (Cell & { origin: { id: string; name: string }; destination: { id: string } })[];
      origins: (Cell & { territory: { id: string } })[];
      destinations: (Cell & { territory: { id: string } })[];
      regions: { code: string; outgoing: Cell; incoming: Cell }[];
      regionFlows: (Cell & { origin: { code: string }; destination: { code: string } })[];
    };
    const health = async (token: string, filter: Record<string, unknown>) => {
      const r = await t.gql<{ networkHealth: { mobility: Section } }>(HEALTH, { filter }, token);
      expect(r.errors).toBeUndefined();
      return r.data?.networkHealth.mobility as Section;
    };

    /**
     * March 2031: 7 of A's members at B's places (one of them twice), 2 at C's; 6 of B's at A's.
     * February: 5 of A's at B's. A member at its own home space counts nowhere.
     */
    async function mobile() {
      await network();
      const A = a.fabriqueId;
      const members = (node: TestNode, prefix: string, home: string, n: number) =>
        Array.from({ length: n }, (_, i) =>
          node.event("MEMBER", `${prefix}${i}`, { homeSpaceId: home }),
        );
      await a.push(members(a, "MA-", "SA", 9));
      await b.push(members(b, "MB-", b.fabriqueId, 6));
      const r1 = await b.push([
        ...Array.from({ length: 7 }, (_, i) =>
          b.event("VISIT", `VB${i}`, visit(`MA-${i}`, "SA", "SB", "2031-03-10")),
        ),
        b.event("VISIT", "VB-again", visit("MA-0", "SA", b.fabriqueId, "2031-03-11")),
        ...Array.from({ length: 5 }, (_, i) =>
          b.event("VISIT", `VF${i}`, visit(`MA-${i}`, "SA", "SB", "2031-02-10")),
        ),
        b.event("VISIT", "VB-home", visit("MB-0", b.fabriqueId, b.fabriqueId, "2031-03-10")),
      ]);
      const r2 = await c.push([
        c.event("VISIT", "VC7", visit("MA-7", "SA", c.fabriqueId, "2031-03-12")),
        c.event("VISIT", "VC8", visit("MA-8", "SA", c.fabriqueId, "2031-03-12")),
      ]);
      const r3 = await a.push(
        Array.from({ length: 6 }, (_, i) =>
          a.event("VISIT", `VA${i}`, visit(`MB-${i}`, b.fabriqueId, A, "2031-03-15")),
        ),
      );
      for (const r of [r1, r2, r3]) expect(r.data?.pushChanges.rejected).toBeNull();
    }

    /** Lines of the section whose entries a reader could recompute by difference (exactly one hidden). */
    function leaks(m: Section): string[] {
      const found: string[] = [];
      const check = (name: string, entries: Cell[]) => {
        if (entries.filter((e) => e.suppressed).length === 1) found.push(name);
      };
      // Territory rows and columns: where the territory → territory flows are shown.
      for (const o of m.flows.length > 0 ? m.origins : []) {
        check(`row ${o.territory.id}`, [
          ...m.flows.filter((f) => f.origin.id === o.territory.id),
          o,
        ]);
      }
      for (const d of m.flows.length > 0 ? m.destinations : []) {
        check(`column ${d.territory.id}`, [
          ...m.flows.filter((f) => f.destination.id === d.territory.id),
          d,
        ]);
      }
      for (const r of m.regions) {
        check(`region row ${r.code}`, [
          ...m.regionFlows.filter((f) => f.origin.code === r.code),
          r.outgoing,
        ]);
        check(`region column ${r.code}`, [
          ...m.regionFlows.filter((f) => f.destination.code === r.code),
          r.incoming,
        ]);
      }
      check("origins", [...m.origins, m.outgoing]);
      check("destinations", [...m.destinations, m.incoming]);
      if (m.regions.length > 1) {
        check("regions out", [...m.regions.map((r) => r.outgoing), m.outgoing]);
        check("regions in", [...m.regions.map((r) => r.incoming), m.incoming]);
      }
      return found;
    }

    it("answers mobility from the rollup, each cell under 5 members suppressed and no total giving one away", async () => {
      await mobile();
      const A = a.fabriqueId;
      const B = b.fabriqueId;
      const C = c.fabriqueId;
      const m = await health(national, { from: "2031-01-15", to: "2031-03-31" });
      expect(m.month).toBe("2031-03");
      expect(m.previousMonth).toBe("2031-02");
      // Members using more than one place: 9 of A's and 6 of B's; 16 visits away from home.
      expect(m.outgoing).toEqual({ visits: 16, members: 15, suppressed: false });
      expect(m.months.map((x) => [x.month, x.outgoing])).toEqual([
        ["2031-01", { visits: 0, members: 0, suppressed: false }],
        ["2031-02", { visits: 5, members: 5, suppressed: false }],
        ["2031-03", { visits: 16, members: 15, suppressed: false }],
      ]);
      expect(m.outgoingVisitsTrend).toBe(220);
      // The nation: regions' rows and flows and the territories' totals; territory → territory
      // flows from a region's scope (A's and C's, region 84).
      expect(m.flows).toEqual([]);
      expect(m.regionFlows.map((f) => [f.origin.code, f.destination.code])).toEqual([
        ["75", "84"],
        ["84", "75"],
        ["84", "84"],
      ]);
      const r84 = await health(national, { region: "84", to: "2031-03-31" });
      expect(leaks(r84)).toEqual([]);
      const flow = (o: string, d: string) =>
        r84.flows.find((f) => f.origin.id === o && f.destination.id === d);
      expect(flow(A, C)).toMatchObject({ visits: null, members: null, suppressed: true });
      // B → A (6 members) goes too, as a complement: with the regions' rows, A's incoming total
      // and B → A would give C's A → C back.
      expect(flow(B, A)).toMatchObject({ suppressed: true });
      expect(flow(A, B)?.origin.name).toBe("Fabrique A");
      // A → C (2 members) alone would be A's total minus A → B: A → B is hidden with it.
      expect(flow(A, B)).toMatchObject({ suppressed: true, visits: null });
      expect(leaks(m)).toEqual([]);
      // Nothing under 5 shown anywhere.
      const all: Cell[] = [
        m.outgoing,
        m.incoming,
        ...m.flows,
        ...m.origins,
        ...m.destinations,
        ...m.regionFlows,
        ...m.regions.flatMap((r) => [r.outgoing, r.incoming]),
      ];
      expect(
        all.filter((x) => !x.suppressed && x.members !== null && x.members > 0 && x.members < 5),
      ).toEqual([]);

      // C's team sees its territory: A → C is "< 5", and so is its total.
      const ofC = await health(await t.adminToken(C), { to: "2031-03-31" });
      expect(ofC.flows.map((f) => [f.origin.id, f.destination.id, f.suppressed])).toEqual([
        [A, C, true],
      ]);
      expect(ofC.incoming).toEqual({ visits: null, members: null, suppressed: true });
      expect(leaks(ofC)).toEqual([]);
      // A region's scope: the region's row and its flows.
      const region = await health(national, { region: "75", to: "2031-03-31" });
      expect(region.regions.map((r) => r.code)).toEqual(["75"]);
      expect(region.outgoing).toEqual({ visits: 6, members: 6, suppressed: false });
      expect(leaks(region)).toEqual([]);
    });

    it("keeps erased members' visits in the figures, anonymous", async () => {
      await mobile();
      const before = await health(national, { to: "2031-03-31" });
      await a.push(
        Array.from({ length: 9 }, (_, i) => a.event("MEMBER", `MA-${i}`, null, "DELETE")),
      );
      expect(await health(national, { to: "2031-03-31" })).toEqual(before);
      expect(
        await t.hub.db.store.query(
          "SELECT count(*)::int AS n FROM visit WHERE member_id LIKE 'MA-%'",
        ),
      ).toEqual([{ n: 0 }]);
    });

    it("announces visits to the national feed as counts only", async () => {
      await mobile();
      const feed = await t.hub.db.store.query<{
        network_id: string;
        payload: Record<string, unknown>;
      }>(
        "SELECT network_id, payload FROM network_event WHERE kind = 'MOBILITY' ORDER BY \"offset\"",
      );
      expect(feed).toEqual([
        {
          network_id: b.fabriqueId,
          payload: { visits: 14, spaces: 2, from: "2031-02-10", to: "2031-03-11" },
        },
        {
          network_id: c.fabriqueId,
          payload: { visits: 2, spaces: 1, from: "2031-03-12", to: "2031-03-12" },
        },
        {
          network_id: a.fabriqueId,
          payload: { visits: 6, spaces: 1, from: "2031-03-15", to: "2031-03-15" },
        },
      ]);
      const r = await t.gql<{ networkHealth: unknown }>(
        "{ networkHealth { mobility { month } } }",
        {},
        await a.token(),
      );
      expect(r.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    });

    // ── Live ───────────────────────────────────────────────────────────────────────────────

    let listening: Promise<{ url: string }> | undefined;
    async function wsEndpoint() {
      listening ??= t.hub.start();
      return `${(await listening).url.replace("http", "ws")}/graphql`;
    }
    const VISIT_RECORDED = `subscription($spaceId: ID) { visitRecorded(spaceId: $spaceId) {
      id memberId homeSpaceId spaceId day departedAt durationMinutes method space { id } homeSpace { id } } }`;

    it("tells the home and the visited places' teams of a visit after commit, and nobody else", async () => {
      await network();
      const url = await wsEndpoint();
      const visited = await listen(url, await t.adminToken(b.fabriqueId), VISIT_RECORDED, {
        spaceId: "SB",
      });
      const home = await listen(url, await t.adminToken(a.fabriqueId), VISIT_RECORDED);
      const third = await listen(url, await t.adminToken(c.fabriqueId), VISIT_RECORDED);
      const nation = await listen(url, national, VISIT_RECORDED);
      const other = await listen(url, await t.adminToken(c.fabriqueId), VISIT_RECORDED, {
        spaceId: "SA",
      });
      await new Promise((r) => setTimeout(r, 300));
      await b.push([
        b.event("VISIT", "V1", visit("MA", "SA", "SB")),
        b.event(
          "VISIT",
          "V1",
          visit("MA", "SA", "SB", "2031-03-04", { departedAt: "2031-03-04T10:30:00.000Z" }),
        ),
      ]);
      // Last, C's member at C: once A's team would have heard of it, it would have heard of V1.
      await c.push([c.event("VISIT", "V2", visit("MC", c.fabriqueId, c.fabriqueId))]);
      await until(
        () =>
          visited.received.data.length >= 1 &&
          home.received.data.length >= 1 &&
          third.received.data.length >= 1,
        "visits",
      );
      await Promise.all([visited, home, third, nation, other].map((s) => s.close()));
      const seen = (s: { received: Received }) => s.received.data.map((d) => d.visitRecorded);
      expect(seen(home)).toEqual([
        {
          id: "V1",
          memberId: "MA",
          homeSpaceId: "SA",
          spaceId: "SB",
          day: "2031-03-04",
          departedAt: "2031-03-04T10:30:00.000Z",
          durationMinutes: 90,
          method: "PASS",
          space: null,
          homeSpace: { id: "SA" },
        },
      ]);
      expect(seen(visited).map((v) => [v?.id, v?.space, v?.homeSpace])).toEqual([
        ["V1", { id: "SB" }, null],
      ]);
      expect(seen(third).map((v) => v?.id)).toEqual(["V2"]);
      expect(nation.received.data).toEqual([]);
      expect(JSON.stringify(nation.received.errors)).toContain("FORBIDDEN");
      expect(other.received.data).toEqual([]);
      expect(JSON.stringify(other.received.errors)).toContain("NOT_FOUND");
    });
  });
}
