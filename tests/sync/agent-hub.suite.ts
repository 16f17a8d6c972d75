import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { agentApi } from "../support/agent-api.ts";
import {
  agentRecords,
  type Backend,
  type ClusterHub,
  hubLogOf,
  hubNetwork,
  hubOwnedBy,
  Resources,
  recordHubCalls,
  settle,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

/**
 * A real hub and real node agents in one process, the agents reaching the hub over HTTP and
 * graphql-ws on a real port: handover at enrolment and ownership afterwards, reference data
 * between two fabriques, and a hub outage while an agent keeps writing.
 */
export function registerAgentHubTests(backend: Backend) {
  describe(`agents and hub end to end (${backend})`, () => {
    let hub: ClusterHub;
    const resources = new Resources();

    beforeAll(async () => {
      hub = await startClusterHub(backend);
    });
    afterEach(async () => {
      await resources.closeAll();
      if (!hub.running) await hub.start();
    });
    afterAll(() => hub?.close());

    it("hands over what the hub registered before enrolment; then only the agent edits it", async () => {
      const fabrique = await hub.createFabrique("Fabrique des Boutières", "07186");
      const hubAdmin = await hub.admin(fabrique.id);
      const registered = await hub.gql<{ createSatellite: { id: string } }>(
        "mutation($f: ID!, $i: CreateSpaceInput!) { createSatellite(fabriqueId: $f, input: $i) { id } }",
        { f: fabrique.globalId, i: { name: "La Grange", communeCode: "07107" } },
        hubAdmin,
      );
      expect(registered.errors).toBeUndefined();
      const satelliteId = registered.data?.createSatellite.id as string;

      const a = resources.add(await startClusterAgent(hub, { name: "A", backend, fabrique }));
      const api = agentApi(a);

      // The agent pulls the handover and owns the satellite.
      await vi.waitFor(
        async () =>
          expect(await api.space(satelliteId)).toEqual({
            id: satelliteId,
            name: "La Grange",
            owned: true,
            status: "OPEN",
            kind: "SATELLITE",
          }),
        { timeout: 10_000, interval: 50 },
      );
      const atHub = await hubNetwork(hub, fabrique.id);
      expect(atHub.spaces.find((s) => s.id === satelliteId)?.owner).toBe(a.nodeId);

      // The hub refuses direct edits of what the node owns, and new satellites at the hub.
      const refusals = await Promise.all([
        hub.gql(
          "mutation($id: ID!, $i: UpdateSpaceInput!) { updateSpace(id: $id, input: $i) { id } }",
          { id: satelliteId, i: { name: "Renommée au hub" } },
          hubAdmin,
        ),
        hub.gql("mutation($id: ID!) { closeSpace(id: $id) { id } }", { id: satelliteId }, hubAdmin),
        hub.gql(
          "mutation($f: ID!, $i: CreateSpaceInput!) { createSatellite(fabriqueId: $f, input: $i) { id } }",
          { f: fabrique.globalId, i: { name: "Nouvelle au hub", communeCode: "07019" } },
          hubAdmin,
        ),
      ]);
      expect(refusals.map((r) => r.errors?.[0]?.extensions?.code)).toEqual([
        "OWNED_BY_NODE",
        "OWNED_BY_NODE",
        "OWNED_BY_NODE",
      ]);
      expect(await hubNetwork(hub, fabrique.id)).toEqual(atHub);

      // The owner's edit reaches the hub by sync (the write wakes the push loop).
      await api.updateSatellite(satelliteId, { name: "La Grange rénovée", services: ["fablab"] });
      const created = await api.createSatellite({ name: "Le Local", communeCode: "07129" });
      await vi.waitFor(
        async () => {
          const network = await hubNetwork(hub, fabrique.id);
          expect(network.spaces.find((s) => s.id === satelliteId)).toMatchObject({
            name: "La Grange rénovée",
            services: ["fablab"],
            owner: a.nodeId,
          });
          expect(network.spaces.find((s) => s.id === created)?.owner).toBe(a.nodeId);
        },
        { timeout: 10_000, interval: 50 },
      );
      await api.closeSatellite(satelliteId);
      await settle(hub, [a]);
      expect(
        (await hubNetwork(hub, fabrique.id)).spaces.find((s) => s.id === satelliteId),
      ).toMatchObject({
        status: "CLOSED",
      });
      expect(await hubOwnedBy(hub, a.nodeId)).toEqual(await agentRecords(a, { owned: true }));
      expect(await hubLogOf(hub, a.nodeId)).toEqual({
        events: 3,
        seqs: 3,
        ids: 3,
        top: 3,
        pushedSeq: 3,
      });
    });

    it("shows each agent the other's satellites and members as reference data, not owned", async () => {
      const a = resources.add(await startClusterAgent(hub, { name: "A", backend }));
      const b = resources.add(
        await startClusterAgent(hub, { name: "B", backend, communeCode: "23096" }),
      );
      const apiA = agentApi(a);
      const apiB = agentApi(b);
      const a1 = await apiA.createSatellite({
        name: "Atelier du Moulin",
        communeCode: "07107",
        services: ["fablab", "coworking"],
        openingHours: [{ day: 2, opens: "09:00", closes: "18:00" }],
      });
      const a2 = await apiA.createSatellite({ name: "La Cabane", communeCode: "07129" });
      const b1 = await apiB.createSatellite({ name: "Tiers-lieu de Guéret", communeCode: "23096" });
      const memberA = await apiA.registerMember(a1, "Camille Martin", "camille@example.org");
      const memberB = await apiB.registerMember(b1, "Lou Bernard", "lou@example.org");

      await settle(hub, [a, b]);

      const networkA = await hubNetwork(hub, a.fabriqueId);
      const networkB = await hubNetwork(hub, b.fabriqueId);
      const strip = (network: typeof networkA) => ({
        spaces: network.spaces.map(({ owner: _owner, ...space }) => space),
        members: network.members.map(({ owner: _owner, ...member }) => member),
      });
      // B holds A's network as the hub has it (the fabrique, both satellites, the member), not
      // owned; and the other way round.
      expect(await agentRecords(b, { owned: false, fabriqueId: a.fabriqueId })).toEqual(
        strip(networkA),
      );
      expect(await agentRecords(a, { owned: false, fabriqueId: b.fabriqueId })).toEqual(
        strip(networkB),
      );
      expect(networkA.spaces.map((s) => s.id).sort()).toEqual([a.fabriqueId, a1, a2].sort());
      expect(networkB.members).toEqual([{ id: memberB, homeSpaceId: b1, owner: b.nodeId }]);
      expect(await apiB.space(a1)).toMatchObject({ owned: false, name: "Atelier du Moulin" });
      expect(await apiA.space(b1)).toMatchObject({ owned: false });

      // A reference member carries no personal data.
      expect(
        await b.query("SELECT display_name, email, phone, owned FROM member WHERE id = $1", [
          memberA,
        ]),
      ).toEqual([{ display_name: null, email: null, phone: null, owned: false }]);
      // And a node cannot change what the other owns.
      await expect(apiA.updateSatellite(b1, { name: "Pris par A" })).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      await expect(apiA.moveMember(memberB, a.fabriqueId)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
    });

    it("keeps accepting writes while the hub is down, and delivers all 1,000 once when it is back, without a new write", async () => {
      const spy = recordHubCalls();
      const a = resources.add(
        await startClusterAgent(hub, { name: "A", backend, fetch: spy.fetch }),
      );
      const api = agentApi(a);
      const communes = ["07186", "07107", "07129", "07019"];

      // 1,000 changes, each one event: 40 satellites, 800 members, 100 satellite updates,
      // 40 members moving home, 20 erasures. The hub stops after the 50th write.
      let writes = 0;
      const write = async <T>(fn: () => Promise<T>): Promise<T> => {
        const result = await fn();
        writes += 1;
        if (writes === 50) await hub.stop();
        return result;
      };
      const satellites: string[] = [];
      for (let i = 0; i < 40; i++) {
        satellites.push(
          await write(() =>
            api.createSatellite({ name: `Satellite ${i}`, communeCode: communes[i % 4] as string }),
          ),
        );
      }
      const homes = [a.fabriqueId, ...satellites];
      const members: string[] = [];
      for (let i = 0; i < 800; i++) {
        members.push(
          await write(() => api.registerMember(homes[i % homes.length] as string, `Membre ${i}`)),
        );
      }
      for (let i = 0; i < 100; i++) {
        await write(() =>
          api.updateSatellite(satellites[i % 40] as string, { services: [`atelier ${i}`] }),
        );
      }
      for (let i = 0; i < 40; i++) {
        await write(() => api.moveMember(members[i] as string, satellites[(i + 7) % 40] as string));
      }
      for (let i = 0; i < 20; i++) await write(() => api.eraseMember(members[100 + i] as string));
      expect(writes).toBe(1000);
      const lastWriteAt = performance.now();

      const down = await api.syncStatus();
      expect(down.outboxPending).toBeGreaterThanOrEqual(950);
      expect(down.hubReachable).toBe(false);
      expect(down.lastError).toMatch(/HUB_UNREACHABLE/);
      // The push loop retries on its own timers while the hub is down.
      await vi.waitFor(
        () =>
          expect(
            spy.of("PushChanges").filter((c) => c.at > lastWriteAt).length,
          ).toBeGreaterThanOrEqual(2),
        { timeout: 5_000, interval: 20 },
      );

      // A new hub on the same storage and port; no new local write from here on.
      await hub.start();
      const restartedAt = performance.now();
      await vi.waitFor(async () => expect((await a.agent.sync.status()).outboxPending).toBe(0), {
        timeout: 30_000,
        interval: 50,
      });
      expect(spy.of("PushChanges").filter((c) => c.at > restartedAt).length).toBeGreaterThan(0);
      expect((await a.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox"))[0]?.n).toBe(
        1000,
      );

      // Exactly once: 1,000 events at the hub, seqs 1..1000, the agent's own event ids.
      expect(await hubLogOf(hub, a.nodeId)).toEqual({
        events: 1000,
        seqs: 1000,
        ids: 1000,
        top: 1000,
        pushedSeq: 1000,
      });
      const hubIds = await hub.query<{ event_id: string }>(
        "SELECT event_id FROM change_log WHERE origin_node_id = $1 ORDER BY seq",
        [a.nodeId],
      );
      const outboxIds = await a.query<{ id: string }>("SELECT id FROM outbox ORDER BY seq");
      expect(hubIds.map((r) => r.event_id)).toEqual(outboxIds.map((r) => r.id));

      // The hub's state is the agent's.
      const owned = await agentRecords(a, { owned: true });
      expect(owned.spaces).toHaveLength(40);
      expect(owned.members).toHaveLength(780);
      expect(await hubOwnedBy(hub, a.nodeId)).toEqual(owned);
      expect(await api.syncStatus()).toMatchObject({ hubReachable: true, poisoned: null });
    }, 120_000);
  });
}
