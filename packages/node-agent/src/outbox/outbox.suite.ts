import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { memberRepository } from "../modules/members/member.repository.ts";
import { spaceRepository } from "../modules/spaces/space.repository.ts";
import { type Backend, startTestAgent, type TestAgent } from "../testing/fixture.ts";
import { createLocalWriter } from "./local-writer.ts";
import { outboxRepository } from "./outbox.repository.ts";

/**
 * The outbox rule, on every storage backend (outbox.test.ts: PGlite, outbox.integration.test.ts:
 * PostgreSQL): each local change appends its event in the same transaction, seq is gap-free
 * under concurrency, and members' personal data never gets into an event.
 */
export function registerOutboxTests(backend: Backend) {
  describe(`outbox (${backend})`, () => {
    let t: TestAgent;
    let admin: string;

    beforeAll(async () => {
      t = await startTestAgent(backend);
      admin = await t.admin();
    });
    afterAll(() => t?.close());
    beforeEach(() => t.reset());

    async function createSatellite(name: string) {
      const r = await t.gql<{ createSatellite: { id: string } }>(
        "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
        { input: { name, communeCode: "07186" } },
        admin,
      );
      expect(r.errors).toBeUndefined();
      return r.data?.createSatellite.id as string;
    }

    it("gives 50 concurrent writes the seqs 1..50, without gap or duplicate", async () => {
      const home = await createSatellite("Le Bercail");
      const writes = Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? createSatellite(`Satellite n°${i}`)
          : t
              .gql<{ registerMember: { id: string } }>(
                `mutation($home: ID!) { registerMember(homeSpaceId: $home, displayName: "Membre ${i}") { id } }`,
                { home },
                admin,
              )
              .then((r) => {
                expect(r.errors).toBeUndefined();
                return r.data?.registerMember.id as string;
              }),
      );
      const ids = await Promise.all(writes);
      const events = await outboxRepository.list(t.agent.store);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
      expect(new Set(events.map((e) => e.id)).size).toBe(51);
      expect(new Set(events.slice(1).map((e) => e.entityId))).toEqual(new Set(ids));
      // occurredAt follows seq: an event never claims to be older than the one before it.
      for (let i = 1; i < events.length; i++) {
        expect(events[i]?.occurredAt.getTime()).toBeGreaterThanOrEqual(
          events[i - 1]?.occurredAt.getTime() ?? 0,
        );
      }
    });

    it("writes a change and its event together or not at all", async () => {
      const writer = createLocalWriter({
        store: t.agent.store,
        nodeId: t.credentials.identity.nodeId,
      });
      const state = {
        kind: "SATELLITE" as const,
        fabriqueId: t.fabrique.id,
        name: "Atelier partagé",
        communeCode: "07186",
        services: [],
        openingHours: [],
        status: "OPEN" as const,
      };
      // The event breaks the contract (a personal field in a member payload): nothing is kept.
      await expect(
        writer.write(async (tx, changes) => {
          await spaceRepository.saveOwned(tx, "SPACE-A", state);
          await changes.append({
            entity: "SPACE",
            entityId: "SPACE-A",
            op: "UPSERT",
            payload: state,
          });
          await changes.append({
            entity: "MEMBER",
            entityId: "MEMBER-A",
            op: "UPSERT",
            payload: { homeSpaceId: "SPACE-A", email: "camille@example.org" },
          });
        }),
      ).rejects.toThrow();
      // The change fails after its event was appended: nothing is kept either.
      await expect(
        writer.write(async (tx, changes) => {
          await changes.append({
            entity: "SPACE",
            entityId: "SPACE-B",
            op: "UPSERT",
            payload: state,
          });
          await spaceRepository.saveOwned(tx, "SPACE-B", { ...state, status: "BROKEN" as never });
        }),
      ).rejects.toThrow();
      expect(await spaceRepository.find(t.agent.store, "SPACE-A")).toBeUndefined();
      expect(await spaceRepository.find(t.agent.store, "SPACE-B")).toBeUndefined();
      expect(await outboxRepository.list(t.agent.store)).toEqual([]);

      // And the next write still gets seq 1.
      await writer.write(async (tx, changes) => {
        await spaceRepository.saveOwned(tx, "SPACE-C", state);
        await changes.append({
          entity: "SPACE",
          entityId: "SPACE-C",
          op: "UPSERT",
          payload: state,
        });
      });
      expect((await outboxRepository.list(t.agent.store)).map((e) => e.seq)).toEqual([1]);
    });

    it("never puts a member's personal data in the outbox", async () => {
      const home = await createSatellite("Le Bercail");
      const other = await createSatellite("La Grange");
      const personal = ["Camille Roux", "camille.roux@example.org", "+33 4 75 00 00 01"];
      const registered = await t.gql<{ registerMember: { id: string } }>(
        `mutation($home: ID!) { registerMember(homeSpaceId: $home, displayName: "${personal[0]}",
           email: "${personal[1]}", phone: "${personal[2]}") { id } }`,
        { home },
        admin,
      );
      const id = registered.data?.registerMember.id as string;
      const countBefore = (await outboxRepository.list(t.agent.store)).length;
      // Personal fields only: no event at all.
      const renamed = await t.gql(
        `mutation($id: ID!) { updateMember(id: $id, displayName: "Camille R.", email: "c.r@example.org", phone: null) { id } }`,
        { id },
        admin,
      );
      expect(renamed.errors).toBeUndefined();
      expect((await outboxRepository.list(t.agent.store)).length).toBe(countBefore);
      expect(await memberRepository.find(t.agent.store, id)).toMatchObject({
        displayName: "Camille R.",
        email: "c.r@example.org",
        phone: null,
      });
      // A new home: one event, with the home only.
      await t.gql(
        "mutation($id: ID!, $home: ID!) { updateMember(id: $id, homeSpaceId: $home) { id } }",
        {
          id,
          home: other,
        },
        admin,
      );
      await t.gql("mutation($id: ID!) { eraseMember(id: $id) }", { id }, admin);

      const events = (await outboxRepository.list(t.agent.store)).filter(
        (e) => e.entity === "MEMBER",
      );
      expect(events.map((e) => [e.op, e.payload])).toEqual([
        ["UPSERT", { homeSpaceId: home }],
        ["UPSERT", { homeSpaceId: other }],
        ["DELETE", null],
      ]);
      const everything = JSON.stringify(await outboxRepository.list(t.agent.store));
      for (const value of [
        ...personal,
        "Camille R.",
        "c.r@example.org",
        "displayName",
        "email",
        "phone",
      ]) {
        expect(everything).not.toContain(value);
      }
      expect(await memberRepository.find(t.agent.store, id)).toBeUndefined();
    });
  });
}
