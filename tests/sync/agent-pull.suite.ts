import type { FetchLike } from "@maillage/node-agent";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { enrolTestNode, type TestNode } from "../../packages/hub/src/testing/test-node.ts";
import {
  agentRecords,
  type Backend,
  type ClusterAgent,
  type ClusterHub,
  type HubCall,
  hubLogEnd,
  hubNetwork,
  Resources,
  recordHubCalls,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

type PullAnswer = { events: { offset: string }[]; cursor: string; hasMore: boolean };

/**
 * The agent's pull side against a real hub: a restart in the middle of a long catch-up, and a
 * live graphql-ws follow that loses its connection. The other fabrique writes through a test
 * node (a real enrolled node key, pushing to the hub's GraphQL in process).
 */
export function registerAgentPullTests(backend: Backend) {
  describe(`agent pull from a real hub (${backend})`, () => {
    let hub: ClusterHub;
    const resources = new Resources();

    beforeAll(async () => {
      hub = await startClusterHub(backend);
    });
    afterEach(() => resources.closeAll());
    afterAll(() => hub?.close());

    /** Another fabrique's node, writing `satellites` satellites and members homed there. */
    async function otherNode(prefix: string) {
      const fabrique = await hub.createFabrique(`Fabrique ${prefix}`, "23096");
      const node = await enrolTestNode(hub, fabrique.globalId, await hub.national());
      return { node, fabriqueId: fabrique.id };
    }

    async function push(node: TestNode, events: Record<string, unknown>[]) {
      for (let i = 0; i < events.length; i += 1000) {
        const r = await node.push(events.slice(i, i + 1000));
        expect(r.data?.pushChanges).toMatchObject({ rejected: null, expectedSeq: null });
      }
    }

    function network(node: TestNode, prefix: string, satellites: number, members: number) {
      const events: Record<string, unknown>[] = [];
      for (let i = 0; i < satellites; i++) {
        events.push(node.satellite(`${prefix}-S${i}`, `${prefix} satellite ${i}`, "23096"));
      }
      for (let i = 0; i < members; i++) {
        events.push(
          node.event("MEMBER", `${prefix}-M${i}`, { homeSpaceId: `${prefix}-S${i % satellites}` }),
        );
      }
      return events;
    }

    /** The offsets of the hub's log that concern a node (what its pulls must deliver). */
    async function offsetsFor(nodeId: string): Promise<string[]> {
      const rows = await hub.query<{ offset: string }>(
        `SELECT l."offset"::text AS "offset" FROM change_log l
         WHERE l.target_node_id = $1
            OR (l.target_node_id IS NULL AND l.origin_node_id IS DISTINCT FROM $1)
         ORDER BY l."offset"`,
        [nodeId],
      );
      return rows.map((r) => r.offset);
    }

    const answered = (calls: HubCall[]) =>
      calls
        .filter((c) => c.answer !== undefined)
        .map((c) => ({ after: String(c.variables.after), answer: c.answer as PullAnswer }));

    async function expectReplicaOf(agent: ClusterAgent, fabriqueId: string) {
      const atHub = await hubNetwork(hub, fabriqueId);
      expect(await agentRecords(agent, { owned: false, fabriqueId })).toEqual({
        spaces: atHub.spaces.map(({ owner: _owner, ...space }) => space),
        members: atHub.members.map(({ owner: _owner, ...member }) => member),
      });
    }

    it("resumes from its stored cursor when restarted in the middle of a 3,000-event pull", async () => {
      const spy = recordHubCalls();
      // The link holds the agent's 11th pull (pages of 100) until the agent is stopped: it
      // stops with ten pages applied and a request in flight.
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let holding = true;
      let held = 0;
      const pagesAnswered = () => answered(spy.of("PullChanges")).length;
      const fetch: FetchLike = async (input, init) => {
        if (holding && pagesAnswered() >= 10) {
          held += 1;
          await released;
        }
        return spy.fetch(input, init);
      };
      const a = resources.add(
        await startClusterAgent(hub, {
          name: "A",
          backend,
          fetch,
          start: false,
          sync: { pullLimit: 100, subscribe: false },
        }),
      );
      const { node: b, fabriqueId: networkB } = await otherNode("Resume");
      await push(b, network(b, "resume", 100, 2900));
      const expected = await offsetsFor(a.nodeId);
      expect(expected.length).toBeGreaterThanOrEqual(3000);
      const end = await hubLogEnd(hub);

      await a.start();
      await vi.waitFor(() => expect(held).toBe(1), {
        timeout: 20_000,
        interval: 5,
      });
      await a.stop();
      holding = false;
      release();
      const firstRun = answered(spy.of("PullChanges"));
      expect(firstRun).toHaveLength(10);
      const callsBefore = spy.calls.length;

      // The restarted agent reads the cursor of the tenth page, stored with it.
      await a.start({ startSync: false });
      const stored = (await a.agent.sync.status()).pullCursor;
      expect(stored).toBe(firstRun[9]?.answer.cursor);
      expect(BigInt(stored)).toBeLessThan(BigInt(end));
      // The cursor was stored with what it covers: the members applied are those at or below it.
      const [below] = await hub.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM change_log
         WHERE origin_node_id = $1 AND entity = 'MEMBER' AND "offset" <= $2::bigint`,
        [b.nodeId, stored],
      );
      const [applied] = await a.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM member WHERE NOT owned",
      );
      expect(applied?.n).toBe(below?.n);

      a.agent.start();
      await vi.waitFor(async () => expect((await a.agent.sync.status()).pullCursor).toBe(end), {
        timeout: 30_000,
        interval: 20,
      });
      const secondRun = answered(
        spy.calls.slice(callsBefore).filter((c) => c.operation === "PullChanges"),
      );
      expect(secondRun[0]?.after).toBe(stored);

      // Every event that concerns the node delivered and applied once: the first run's pages up
      // to the stored cursor, then the second run's, with no overlap and no hole.
      const firstApplied = firstRun
        .flatMap((p) => p.answer.events.map((e) => e.offset))
        .filter((o) => BigInt(o) <= BigInt(stored));
      const secondApplied = secondRun.flatMap((p) => p.answer.events.map((e) => e.offset));
      expect(secondApplied.every((o) => BigInt(o) > BigInt(stored))).toBe(true);
      expect(new Set(secondApplied).size).toBe(secondApplied.length);
      expect([...firstApplied, ...secondApplied]).toEqual(expected);

      // The same final state as the hub's.
      await expectReplicaOf(a, networkB);
      const members = await a.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM member WHERE NOT owned",
      );
      expect(members[0]?.n).toBe(2900);
    }, 90_000);

    it("catches up after its graphql-ws connection drops, then follows live again", async () => {
      const spy = recordHubCalls();
      const a = resources.add(
        await startClusterAgent(hub, { name: "A", backend, fetch: spy.fetch }),
      );
      const { node: b, fabriqueId: networkB } = await otherNode("Live");
      const pulls = () => spy.of("PullChanges").length;
      const cursor = async () => (await a.agent.sync.status()).pullCursor;
      const hasSpace = async (id: string) =>
        (await a.query("SELECT 1 FROM space WHERE id = $1 AND NOT owned", [id])).length === 1;

      // Following live: a change at the hub arrives over the subscription, without a pull.
      await vi.waitFor(
        async () => {
          expect(a.sockets.open()).toBe(1);
          expect(await cursor()).toBe(await hubLogEnd(hub));
        },
        { timeout: 10_000, interval: 20 },
      );
      const pullsWhileLive = pulls();
      await push(b, [b.satellite("live-1", "Live 1", "23096")]);
      await vi.waitFor(async () => expect(await hasSpace("live-1")).toBe(true), {
        timeout: 5_000,
        interval: 10,
      });
      expect(pulls()).toBe(pullsWhileLive);

      // The link drops and stays down for graphql-ws: the hub keeps changing meanwhile (another
      // node's pushes, a fabrique registered by the national body). The agent catches up from
      // its stored cursor.
      a.sockets.refuse(true);
      a.sockets.drop();
      await push(b, network(b, "live-drop", 20, 280));
      const registered = await hub.createFabrique("Fabrique pendant la coupure", "07019");
      await vi.waitFor(async () => expect(await cursor()).toBe(await hubLogEnd(hub)), {
        timeout: 10_000,
        interval: 20,
      });
      expect(await hasSpace(registered.id)).toBe(true);
      expect(pulls()).toBeGreaterThan(pullsWhileLive);

      // A plain drop, with changes landing at the same moment.
      a.sockets.refuse(false);
      await vi.waitFor(() => expect(a.sockets.open()).toBe(1), { timeout: 10_000, interval: 10 });
      a.sockets.drop();
      await push(b, [b.satellite("live-2", "Live 2", "23096")]);
      await vi.waitFor(async () => expect(await hasSpace("live-2")).toBe(true), {
        timeout: 10_000,
        interval: 10,
      });

      // Live again once resubscribed: the next change comes over the socket, not a pull.
      await vi.waitFor(
        async () => {
          expect(a.sockets.open()).toBe(1);
          expect(await cursor()).toBe(await hubLogEnd(hub));
        },
        { timeout: 10_000, interval: 20 },
      );
      await new Promise((r) => setTimeout(r, 300)); // any pull of the reconnection has ended
      const pullsAfter = pulls();
      await push(b, [b.satellite("live-3", "Live 3", "23096")]);
      await vi.waitFor(async () => expect(await hasSpace("live-3")).toBe(true), {
        timeout: 5_000,
        interval: 10,
      });
      expect(pulls()).toBe(pullsAfter);

      await expectReplicaOf(a, networkB);
    }, 60_000);
  });
}
