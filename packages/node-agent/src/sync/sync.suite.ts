import type { ChangeEvent, SpacePayload } from "@maillage/schema";
import { ulid } from "ulid";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { memberRepository } from "../modules/members/member.repository.ts";
import { spaceRepository } from "../modules/spaces/space.repository.ts";
import { outboxRepository } from "../outbox/outbox.repository.ts";
import { type Backend, startTestAgent, type TestAgent } from "../testing/fixture.ts";
import { syncStateRepository } from "./sync-state.repository.ts";

/**
 * The sync engine against a fake hub that follows the protocol, on every storage backend
 * (sync.test.ts: PGlite, sync.integration.test.ts: PostgreSQL). The agent pushes batches of 25
 * and pulls pages of 10; retries back off from 10 ms to at most 100 ms.
 */
export function registerSyncTests(backend: Backend) {
  describe(`sync engine (${backend})`, () => {
    let t: TestAgent;
    let admin: string;
    let nodeId: string;

    beforeAll(async () => {
      t = await startTestAgent(backend);
      admin = await t.admin();
      nodeId = t.credentials.identity.nodeId;
    });
    afterAll(() => t?.close());
    beforeEach(() => t.reset());

    const applied = (): ChangeEvent[] => t.hub.node(nodeId)?.applied ?? [];
    const appliedSeqs = () => applied().map((e) => e.seq);
    const range = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);

    async function createSatellite(name: string, communeCode = "07186") {
      const r = await t.gql<{ createSatellite: { id: string } }>(
        "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
        { input: { name, communeCode } },
        admin,
      );
      expect(r.errors).toBeUndefined();
      return r.data?.createSatellite.id as string;
    }

    async function createSatellites(count: number, prefix = "Satellite") {
      const ids: string[] = [];
      for (let i = 1; i <= count; i++) ids.push(await createSatellite(`${prefix} ${i}`));
      return ids;
    }

    function space(name: string, extra: Partial<SpacePayload> = {}): SpacePayload {
      return {
        kind: "SATELLITE",
        fabriqueId: t.fabrique.id,
        name,
        communeCode: "07186",
        services: [],
        openingHours: [],
        status: "OPEN",
        ...extra,
      };
    }

    const status = () => t.agent.sync.status();

    describe("push", () => {
      it("sends the outbox in seq order, in batches, with the pending count", async () => {
        await createSatellites(60);
        const first = (await outboxRepository.list(t.agent.store))[0];
        const outcome = await t.agent.sync.flush();
        expect(outcome).toEqual({ kind: "idle", pushed: 60 });
        expect(t.hub.pushCalls.map((c) => c.seqs)).toEqual([
          range(1, 25),
          range(26, 50),
          range(51, 60),
        ]);
        expect(t.hub.pushCalls.map((c) => c.pending)).toEqual([35, 10, 0]);
        expect(t.hub.pushCalls[0]?.oldestPendingAt).toBe(first?.occurredAt.toISOString());
        expect(appliedSeqs()).toEqual(range(1, 60));
        expect(await status()).toMatchObject({
          outboxPending: 0,
          oldestPendingAt: null,
          lagSeconds: 0,
          hubReachable: true,
          poisoned: null,
          lastError: null,
        });
        expect((await status()).lastPushAt).not.toBeNull();
        // Nothing left: a flush asks nothing more of the hub.
        expect(await t.agent.sync.flush()).toEqual({ kind: "idle", pushed: 0 });
        expect(t.hub.pushCalls).toHaveLength(3);
      });

      it("re-sends after a lost answer; the hub skips the duplicates; each event applies once", async () => {
        await createSatellites(10);
        t.hub.faults.loseNextPushAnswers = 1;
        const lost = await t.agent.sync.flush();
        expect(lost).toMatchObject({ kind: "failed", error: { code: "HUB_UNREACHABLE" } });
        expect(appliedSeqs()).toEqual(range(1, 10)); // applied, but the agent does not know
        expect(await status()).toMatchObject({ outboxPending: 10, hubReachable: false });
        await createSatellites(5, "Encore");
        expect(await t.agent.sync.flush()).toEqual({ kind: "idle", pushed: 5 });
        expect(t.hub.pushCalls.map((c) => c.seqs)).toEqual([range(1, 10), range(1, 15)]);
        expect(appliedSeqs()).toEqual(range(1, 15));
        expect(await status()).toMatchObject({ outboxPending: 0, hubReachable: true });
      });

      it("re-sends from the seq the hub expects when it reports a gap", async () => {
        await createSatellites(30);
        await t.agent.sync.flush();
        t.hub.forgetAfter(nodeId, 10); // the hub restored from an older backup
        await createSatellites(5, "Après");
        expect(await t.agent.sync.flush()).toEqual({ kind: "idle", pushed: 25 });
        expect(t.hub.pushCalls.map((c) => c.seqs).slice(2)).toEqual([range(31, 35), range(11, 35)]);
        expect(appliedSeqs()).toEqual(range(1, 35));
        expect((await status()).outboxPending).toBe(0);
      });

      it("never marks events the hub claims beyond this outbox (a restored agent store)", async () => {
        await createSatellites(2);
        const node = t.hub.node(nodeId);
        if (!node) throw new Error("no node");
        node.appliedThrough = 40;
        const outcome = await t.agent.sync.flush();
        expect(outcome.kind).toBe("failed");
        expect(await status()).toMatchObject({ outboxPending: 2 });
        expect((await status()).lastError).toMatch(/up to seq 40/);
      });

      it("never marks its events applied under seqs the hub holds with other events (SEQ_CONFLICT)", async () => {
        await createSatellites(5);
        await t.agent.sync.flush();
        // The agent's store was restored from before seqs 6 and 7 were pushed: the hub holds
        // events 6 and 7 this outbox never had, and the agent writes new ones under 6, 7, 8.
        const node = t.hub.node(nodeId);
        if (!node) throw new Error("no node");
        const lost = node.applied
          .slice(0, 2)
          .map((e, i) => ({ ...e, id: `lost-${i}`, seq: 6 + i }));
        node.applied.push(...lost);
        node.appliedThrough = 7;
        await createSatellites(3, "Après");
        const outcome = await t.agent.sync.flush();
        expect(outcome).toMatchObject({
          kind: "blocked",
          poisoned: { seq: 6, code: "SEQ_CONFLICT" },
        });
        // Nothing of the new writes was marked pushed, or pushed past the conflict.
        expect(await status()).toMatchObject({ outboxPending: 3 });
        expect(appliedSeqs()).toEqual(range(1, 7));
      });

      it("blocks on a refused event, visibly, until a new change of its record replaces it", async () => {
        // The hub's geography disagrees with the agent's about one commune.
        t.hub.faults.reject = (event) =>
          (event.payload as { communeCode?: string } | null)?.communeCode === "07019"
            ? { code: "UNKNOWN_COMMUNE", message: "unknown INSEE code 07019" }
            : undefined;
        const ok = await createSatellite("Le Bercail");
        const bad = await createSatellite("La Grange", "07019");
        await createSatellite("Le Fournil");
        const outcome = await t.agent.sync.flush();
        const poisoned = { seq: 2, code: "UNKNOWN_COMMUNE", entity: "SPACE", entityId: bad };
        expect(outcome).toMatchObject({ kind: "blocked", pushed: 1, poisoned });
        expect(appliedSeqs()).toEqual([1]);

        // Visible in the API and in /sync/status.
        const viaApi = await t.gql<{ syncStatus: Record<string, unknown> }>(
          "{ syncStatus { outboxPending poisoned { seq code message entity entityId } } }",
          {},
          admin,
        );
        expect(viaApi.data?.syncStatus).toEqual({
          outboxPending: 2,
          poisoned: { ...poisoned, message: "unknown INSEE code 07019" },
        });
        const viaHttp = await t.agent.fetch("http://agent.test/sync/status", {
          headers: { authorization: `Bearer ${admin}` },
        });
        expect(await viaHttp.json()).toMatchObject({ outboxPending: 2, poisoned });

        // Other writes wait behind it; the outbox is not pushed past it.
        await createSatellite("L'Atelier");
        expect(await t.agent.sync.flush()).toMatchObject({ kind: "blocked", poisoned });
        expect(appliedSeqs()).toEqual([1]);
        expect((await status()).outboxPending).toBe(3);

        // The record changes again: its new state replaces the refused event.
        const fixed = await t.gql(
          'mutation($id: ID!) { updateSatellite(id: $id, input: { communeCode: "07185" }) { id } }',
          { id: bad },
          admin,
        );
        expect(fixed.errors).toBeUndefined();
        expect((await status()).poisoned).toBeNull();
        expect(await t.agent.sync.flush()).toEqual({ kind: "idle", pushed: 4 });
        expect(appliedSeqs()).toEqual(range(1, 5));
        const ofBad = applied().filter((e) => e.entityId === bad);
        expect(ofBad.map((e) => [e.seq, (e.payload as SpacePayload).communeCode])).toEqual([
          [2, "07185"],
          [5, "07185"],
        ]);
        expect(applied().find((e) => e.entityId === ok)?.seq).toBe(1);
      });

      it("lets an operator retry a refused event as it is", async () => {
        let refusals = 1;
        t.hub.faults.reject = () =>
          refusals-- > 0
            ? { code: "OWNERSHIP_VIOLATION", message: "not yet handed over" }
            : undefined;
        await createSatellite("Le Bercail");
        expect((await t.agent.sync.flush()).kind).toBe("blocked");
        const notRefused = await t.gql(
          "mutation { retryPoisonedChange(seq: 7) { outboxPending } }",
          {},
          admin,
        );
        expect(notRefused.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
        const retried = await t.gql<{ retryPoisonedChange: { poisoned: null } }>(
          "mutation { retryPoisonedChange(seq: 1) { outboxPending poisoned { seq } } }",
          {},
          admin,
        );
        expect(retried.data?.retryPoisonedChange).toEqual({ outboxPending: 1, poisoned: null });
        expect(await t.agent.sync.flush()).toEqual({ kind: "idle", pushed: 1 });
      });

      it("records a refused node token and retries", async () => {
        await createSatellite("Le Bercail");
        const node = t.hub.node(nodeId);
        if (!node) throw new Error("no node");
        node.revoked = true;
        expect(await t.agent.sync.flush()).toMatchObject({
          kind: "failed",
          error: { code: "UNAUTHENTICATED" },
        });
        expect(await status()).toMatchObject({ hubReachable: true, outboxPending: 1 });
        expect((await status()).lastError).toMatch(/^push: UNAUTHENTICATED/);
        node.revoked = false;
        expect(await t.agent.sync.flush()).toEqual({ kind: "idle", pushed: 1 });
        expect((await status()).lastError).toBeNull();
      });

      it("pushes a local write at once when the loop is idle", async () => {
        t.agent.sync.start();
        try {
          await vi.waitFor(() => expect(t.hub.pullCalls.length).toBeGreaterThan(0));
          const started = performance.now();
          await createSatellite("Le Bercail");
          await vi.waitFor(() => expect(appliedSeqs()).toEqual([1]), { interval: 2 });
          expect(performance.now() - started).toBeLessThan(1000);
        } finally {
          await t.agent.sync.stop();
        }
      });
    });

    describe("hub down", () => {
      it("accepts writes, retries on timers without new writes, and delivers everything once when the hub is back", async () => {
        t.hub.down = true;
        t.agent.sync.start();
        try {
          const ids = await createSatellites(30);
          expect(ids).toHaveLength(30);
          await vi.waitFor(async () => {
            expect(await status()).toMatchObject({ hubReachable: false, outboxPending: 30 });
          });
          // Retries keep coming with no new write (timers, capped at 100 ms here).
          const refusedSoFar = t.hub.refusedWhileDown;
          await vi.waitFor(() => expect(t.hub.refusedWhileDown).toBeGreaterThan(refusedSoFar + 4));
          expect((await status()).lastError).toMatch(/HUB_UNREACHABLE/);
          expect(applied()).toEqual([]);

          t.hub.down = false;
          await vi.waitFor(() => expect(appliedSeqs()).toEqual(range(1, 30)));
          await vi.waitFor(async () => {
            expect(await status()).toMatchObject({ hubReachable: true, outboxPending: 0 });
          });
          // No answer was lost: every event crossed exactly once.
          expect(t.hub.pushCalls.flatMap((c) => c.seqs)).toEqual(range(1, 30));
        } finally {
          await t.agent.sync.stop();
        }
      });
    });

    describe("rate limited", () => {
      // The test engine backs off 10..100 ms: a retry before the announced wait is the backoff's.
      const started: { stop(): Promise<void> }[] = [];
      afterEach(async () => {
        await Promise.all(started.splice(0).map((engine) => engine.stop()));
      });
      const startEngine = (settings: Parameters<TestAgent["newEngine"]>[0] = {}) => {
        const engine = t.newEngine(settings);
        started.push(engine);
        engine.start();
        return engine;
      };

      it("waits the Retry-After of a refused push, reachable and rate limited meanwhile, then delivers everything once", async () => {
        const engine = startEngine();
        // Its first pull done (a success clears the last error), the outbox fills.
        await vi.waitFor(async () => expect((await status()).lastPullAt).not.toBeNull());
        t.hub.faults.rateLimit = {
          operation: "pushChanges",
          count: 1,
          retryAfterSeconds: 2,
          via: "header",
        };
        await createSatellites(30);
        engine.wake();
        await vi.waitFor(async () => {
          expect(t.hub.rateLimited).toHaveLength(1);
          expect((await status()).lastError).toBe(
            "push: RATE_LIMITED: rate limited by the hub; next attempt in 2 s",
          );
        });
        // The hub answered: it is not down; the refused events wait in the outbox.
        expect(await status()).toMatchObject({ hubReachable: true, outboxPending: 30 });
        expect(t.hub.pushCalls).toEqual([]);

        await vi.waitFor(() => expect(appliedSeqs()).toEqual(range(1, 30)), { timeout: 5000 });
        const refusedAt = t.hub.rateLimited[0]?.at ?? Number.NaN;
        expect(t.hub.pushCalls[0]?.at).toBeGreaterThanOrEqual(refusedAt + 1990);
        // Re-sent once, each event applied once.
        expect(t.hub.pushCalls.map((c) => c.seqs)).toEqual([range(1, 25), range(26, 30)]);
        await vi.waitFor(async () => {
          expect(await status()).toMatchObject({
            hubReachable: true,
            outboxPending: 0,
            lastError: null,
          });
        });
      });

      it("waits the retryAfterSeconds of a refused pull, and holds the push loop meanwhile", async () => {
        for (const id of ["RL-1", "RL-2"]) {
          t.hub.appendLog({
            entity: "SPACE",
            entityId: id,
            op: "UPSERT",
            originNodeId: "NODE-X",
            targetNodeId: null,
            payload: space(id, { fabriqueId: "F-X" }),
          });
        }
        t.hub.faults.rateLimit = {
          operation: "pullChanges",
          count: 1,
          retryAfterSeconds: 1,
          via: "extensions",
        };
        const engine = startEngine();
        await vi.waitFor(async () => {
          expect(t.hub.rateLimited).toHaveLength(1);
          expect((await status()).lastError).toMatch(/^pull: RATE_LIMITED: rate limited/);
        });
        expect(await status()).toMatchObject({ hubReachable: true, pullCursor: "0" });
        // The node's budget is spent: a local write does not push before the wait is over.
        await createSatellite("Le Bercail");
        engine.wake();
        await vi.waitFor(() => expect(appliedSeqs()).toEqual([1]), { timeout: 5000 });
        await vi.waitFor(
          async () => expect(await spaceRepository.find(t.agent.store, "RL-2")).toBeDefined(),
          { timeout: 5000 },
        );
        const refusedAt = t.hub.rateLimited[0]?.at ?? Number.NaN;
        expect(t.hub.pullCalls[0]?.at).toBeGreaterThanOrEqual(refusedAt + 990);
        expect(t.hub.pushCalls[0]?.at).toBeGreaterThanOrEqual(refusedAt + 990);
        expect(t.hub.pullCalls[0]?.after).toBe("0");
      });

      it("resubscribes to the hub's log after the announced wait, not in a loop", async () => {
        t.hub.faults.rateLimit = { operation: "changes", count: 1, retryAfterSeconds: 1 };
        startEngine({ subscribe: true });
        await vi.waitFor(async () => {
          expect(t.hub.rateLimited).toHaveLength(1);
          expect((await status()).lastError).toMatch(/^subscription: RATE_LIMITED: rate limited/);
        });
        expect((await status()).hubReachable).toBe(true);
        await vi.waitFor(() => expect(t.hub.subscribes).toHaveLength(2), { timeout: 5000 });
        const [refused, again] = t.hub.subscribes;
        expect(again?.at).toBeGreaterThanOrEqual((refused?.at ?? Number.NaN) + 990);
        // Live again: a new event arrives through the subscription.
        await vi.waitFor(() => expect(t.hub.subscribers()).toBe(1));
        t.hub.appendLog({
          entity: "SPACE",
          entityId: "RL-LIVE",
          op: "UPSERT",
          originNodeId: "NODE-X",
          targetNodeId: null,
          payload: space("En direct", { fabriqueId: "F-X" }),
        });
        await vi.waitFor(async () =>
          expect(await spaceRepository.find(t.agent.store, "RL-LIVE")).toBeDefined(),
        );
        expect(t.hub.subscribes).toHaveLength(2);
      });
    });

    describe("pull", () => {
      it("applies reference data and handovers, keeps what this node owns, stores the cursor", async () => {
        const own = await createSatellite("Le Bercail");
        const other = { id: ulid(), name: "Fabrique du Diois" };
        const otherSatellite = ulid();
        const handedOver = ulid();
        const log = [
          // 1. this node's fabrique, owned by the hub: a reference copy
          {
            entityId: t.fabrique.id,
            payload: { ...space(t.fabrique.name), kind: "FABRIQUE", fabriqueId: null },
          },
          // 2. another fabrique, and 3. a satellite of its node
          {
            entityId: other.id,
            payload: { ...space(other.name), kind: "FABRIQUE", fabriqueId: null },
          },
          {
            entityId: otherSatellite,
            originNodeId: "NODE-X",
            payload: space("Le Moulin", { fabriqueId: other.id }),
          },
          // 4. a satellite registered at the hub before this node enrolled: handed over
          { entityId: handedOver, targetNodeId: nodeId, payload: space("La Source") },
          // 5. a handover addressed to another node: not ours
          {
            entityId: ulid(),
            targetNodeId: "NODE-X",
            payload: space("Pas pour nous", { fabriqueId: other.id }),
          },
          // 6. this node's own change coming back, 7. a stale hub copy of the handed-over one
          { entityId: own, originNodeId: nodeId, payload: space("Nom écrasé") },
          { entityId: handedOver, payload: space("Copie périmée") },
          // 8. the other network's satellite goes away; 9. a member of the other network
          {
            entityId: otherSatellite,
            originNodeId: "NODE-X",
            op: "DELETE" as const,
            payload: null,
          },
          {
            entityId: "MEMBER-X",
            entity: "MEMBER" as const,
            originNodeId: "NODE-X",
            payload: { homeSpaceId: other.id },
          },
        ];
        for (const e of log) {
          t.hub.appendLog({
            entity: "SPACE",
            op: "UPSERT",
            originNodeId: null,
            targetNodeId: null,
            ...e,
          });
        }
        // The hub sends 8 of them (not the other node's handover); the cursor passes all 9.
        expect(await t.agent.sync.pullNow()).toEqual({
          kind: "caught-up",
          applied: 8,
          cursor: "9",
        });
        const db = t.agent.store;
        expect(await spaceRepository.find(db, t.fabrique.id)).toMatchObject({
          owned: false,
          kind: "FABRIQUE",
        });
        expect(await spaceRepository.find(db, other.id)).toMatchObject({ owned: false });
        expect(await spaceRepository.find(db, otherSatellite)).toBeUndefined();
        expect(await spaceRepository.find(db, handedOver)).toMatchObject({
          owned: true,
          name: "La Source",
        });
        expect(await spaceRepository.find(db, own)).toMatchObject({
          owned: true,
          name: "Le Bercail",
        });
        expect(await memberRepository.find(db, "MEMBER-X")).toMatchObject({
          owned: false,
          homeSpaceId: other.id,
          displayName: null,
        });
        expect((await status()).pullCursor).toBe("9");
        expect((await status()).lastPullAt).not.toBeNull();

        // The handed-over satellite is this node's now: it changes it, the hub accepts.
        const renamed = await t.gql(
          'mutation($id: ID!) { updateSatellite(id: $id, input: { name: "La Source vive" }) { owned } }',
          { id: handedOver },
          admin,
        );
        expect(renamed.data).toEqual({ updateSatellite: { owned: true } });
        expect(await t.agent.sync.flush()).toEqual({ kind: "idle", pushed: 2 });

        // Pulling again asks from the stored cursor and changes nothing.
        expect(await t.agent.sync.pullNow()).toMatchObject({ kind: "caught-up", cursor: "11" });
        expect(t.hub.pullCalls.map((c) => c.after)).toEqual(["0", "9"]);
        expect(await spaceRepository.find(db, handedOver)).toMatchObject({
          name: "La Source vive",
        });
      });

      it("applies a page and its cursor together, or neither (a bad event stalls the pull, visibly)", async () => {
        t.hub.appendLog({
          entity: "SPACE",
          entityId: "S-1",
          op: "UPSERT",
          originNodeId: "NODE-X",
          targetNodeId: null,
          payload: space("Un"),
        });
        t.hub.appendLog({
          entity: "SPACE",
          entityId: "S-2",
          op: "UPSERT",
          originNodeId: "NODE-X",
          targetNodeId: null,
          payload: space("Deux"),
        });
        t.hub.appendLog({
          entity: "SPACE",
          entityId: "S-3",
          op: "UPSERT",
          originNodeId: "NODE-X",
          targetNodeId: null,
          payload: { ...space("Trois"), name: "x" },
        });
        const outcome = await t.agent.sync.pullNow();
        expect(outcome).toMatchObject({ kind: "failed", error: { name: "UnappliableEventError" } });
        expect(await spaceRepository.find(t.agent.store, "S-1")).toBeUndefined();
        expect(await status()).toMatchObject({ pullCursor: "0" });
        expect((await status()).lastError).toMatch(/offset 3/);

        t.hub.reset();
        await syncStateRepository.recordPull(t.agent.store, "0");
        t.hub.appendLog({
          entity: "SPACE",
          entityId: "S-4",
          op: "UPSERT",
          originNodeId: "NODE-X",
          targetNodeId: null,
          payload: space("Quatre"),
          schemaVersion: 2,
        });
        expect((await t.agent.sync.pullNow()).kind).toBe("failed");
        expect((await status()).lastError).toMatch(/upgrade the agent/);
        expect(await spaceRepository.find(t.agent.store, "S-4")).toBeUndefined();
      });

      it("resumes from the stored cursor after the engine is killed between two pages", async () => {
        const ids = Array.from({ length: 35 }, () => ulid());
        ids.forEach((id, i) => {
          t.hub.appendLog({
            entity: "SPACE",
            entityId: id,
            op: "UPSERT",
            originNodeId: "NODE-X",
            targetNodeId: null,
            payload: space(`Lieu ${i + 1}`, { fabriqueId: "F-X" }),
          });
        });
        let reached: () => void = () => {};
        const secondPage = new Promise<void>((resolve) => {
          reached = resolve;
        });
        let release: () => void = () => {};
        const hold = new Promise<void>((resolve) => {
          release = resolve;
        });
        t.hub.faults.beforePull = async ({ index }) => {
          if (index !== 1) return;
          reached();
          await hold;
        };
        const first = t.newEngine();
        const run = first.pullNow();
        await secondPage;
        await first.stop(); // killed while the second page is on its way
        expect(await run).toEqual({ kind: "stopped", applied: 10 });
        release();
        expect((await status()).pullCursor).toBe("10");
        const present = async () =>
          (await Promise.all(ids.map((id) => spaceRepository.find(t.agent.store, id)))).filter(
            Boolean,
          ).length;
        expect(await present()).toBe(10);

        const restarted = t.newEngine();
        expect(await restarted.pullNow()).toEqual({ kind: "caught-up", applied: 25, cursor: "35" });
        expect(t.hub.pullCalls.map((c) => c.after)).toEqual(["0", "10", "10", "20", "30"]);
        expect(await present()).toBe(35);
      });
    });

    describe("live follow", () => {
      it("follows the hub over graphql-ws, and catches up from its cursor after a drop", async () => {
        const engine = t.newEngine({ subscribe: true });
        engine.start();
        try {
          await vi.waitFor(() => expect(t.hub.subscribers()).toBe(1));
          const pullsBefore = t.hub.pullCalls.length;
          t.hub.appendLog({
            entity: "SPACE",
            entityId: "LIVE-1",
            op: "UPSERT",
            originNodeId: "NODE-X",
            targetNodeId: null,
            payload: space("En direct", { fabriqueId: "F-X" }),
          });
          await vi.waitFor(async () =>
            expect(await spaceRepository.find(t.agent.store, "LIVE-1")).toBeDefined(),
          );
          // Delivered by the subscription, not by a pull; the cursor stored with it.
          expect(t.hub.pullCalls.length).toBe(pullsBefore);
          expect((await status()).pullCursor).toBe("1");

          t.hub.dropSubscriptions();
          for (const id of ["LIVE-2", "LIVE-3"]) {
            t.hub.appendLog({
              entity: "SPACE",
              entityId: id,
              op: "UPSERT",
              originNodeId: "NODE-X",
              targetNodeId: null,
              payload: space(id, { fabriqueId: "F-X" }),
            });
          }
          await vi.waitFor(async () => {
            expect(await spaceRepository.find(t.agent.store, "LIVE-3")).toBeDefined();
            expect(await spaceRepository.find(t.agent.store, "LIVE-2")).toBeDefined();
          });
          await vi.waitFor(() => expect(t.hub.subscribers()).toBe(1));
          // Back live after the drop.
          t.hub.appendLog({
            entity: "SPACE",
            entityId: "LIVE-4",
            op: "UPSERT",
            originNodeId: "NODE-X",
            targetNodeId: null,
            payload: space("Encore", { fabriqueId: "F-X" }),
          });
          await vi.waitFor(async () =>
            expect(await spaceRepository.find(t.agent.store, "LIVE-4")).toBeDefined(),
          );
          expect((await status()).pullCursor).toBe("4");
        } finally {
          await engine.stop();
        }
        await vi.waitFor(() => expect(t.hub.subscribers()).toBe(0));
      });
    });
  });
}
