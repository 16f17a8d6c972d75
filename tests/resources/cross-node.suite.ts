import { createClient } from "graphql-ws";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { agentApi } from "../support/agent-api.ts";
import {
  type Backend,
  type ClusterAgent,
  type ClusterHub,
  Resources,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

/**
 * Shared resources across nodes, end to end: a real hub and two real agents, the requester
 * (B) booking and borrowing what the owner (A) shares. The request travels B → hub → A, A
 * decides, the decision travels back — with either side offline on the way.
 */
const WAIT = { timeout: 20_000, interval: 50 };

type Request = {
  id: string;
  status: string;
  reason: string | null;
  reasonCode: string | null;
  loan: { status: string; holderSpaceId: string } | null;
};

const REQUEST_FIELDS = "id status reason reasonCode loan { status holderSpaceId }";

async function call<T>(
  agent: ClusterAgent,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const r = await agent.gql<T>(query, variables);
  return { data: r.data, error: r.errors?.[0] };
}

async function ok<T>(agent: ClusterAgent, query: string, variables: Record<string, unknown> = {}) {
  const { data, error } = await call<T>(agent, query, variables);
  if (error || !data) throw new Error(`${agent.name}: ${error?.message ?? "no data"}`);
  return data;
}

/** A slot `hours` from now, lasting `minutes`, on a whole minute. */
function slot(hours: number, minutes = 60) {
  const start = new Date(Math.ceil((Date.now() + hours * 3_600_000) / 60_000) * 60_000);
  return {
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + minutes * 60_000).toISOString(),
  };
}

export function registerCrossNodeTests(backend: Backend) {
  describe(`shared resources across nodes (${backend})`, () => {
    let hub: ClusterHub;
    let a: ClusterAgent;
    let b: ClusterAgent;
    let member: string;
    const resources = new Resources();

    beforeAll(async () => {
      hub = await startClusterHub(backend);
      a = resources.add(await startClusterAgent(hub, { name: "A", backend }));
      b = resources.add(await startClusterAgent(hub, { name: "B", backend, communeCode: "23096" }));
      member = await agentApi(b).registerMember(b.fabriqueId, "Ada Martin", "ada@example.org");
    }, 120_000);
    afterEach(async () => {
      if (!hub.running) await hub.start();
      if (!a.running) await a.start();
      if (!b.running) await b.start();
    });
    afterAll(async () => {
      await resources.closeAll();
      await hub?.close();
    });

    async function share(input: Record<string, unknown>) {
      const data = await ok<{ createResource: { id: string } }>(
        a,
        "mutation($i: CreateResourceInput!) { createResource(input: $i) { id } }",
        {
          i: {
            spaceId: a.fabriqueId,
            category: "MACHINE",
            sharingScope: "NETWORK",
            ...input,
            rules: { minMinutes: 30, maxMinutes: 480, ...(input.rules as object) },
          },
        },
      );
      const id = data.createResource.id;
      // B learns of it through the hub (its replica).
      await vi.waitFor(async () => {
        const rows = await b.query("SELECT 1 FROM resource WHERE id = $1", [id]);
        expect(rows).toHaveLength(1);
      }, WAIT);
      return id;
    }

    async function requestAtB(resourceId: string, range: { startsAt: string; endsAt: string }) {
      const data = await ok<{ requestBooking: Request }>(
        b,
        `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $m: ID) {
           requestBooking(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forMemberId: $m) { ${REQUEST_FIELDS} } }`,
        { r: resourceId, ...range, m: member },
      );
      return data.requestBooking;
    }

    async function requestSeenBy(agent: ClusterAgent, id: string) {
      const data = await ok<{ bookingRequests: Request[] }>(
        agent,
        `query { bookingRequests { ${REQUEST_FIELDS} } }`,
      );
      return data.bookingRequests.find((r) => r.id === id);
    }

    async function hubRequest(id: string) {
      const [row] = await hub.query<{ status: string; cancelled: boolean }>(
        "SELECT status, cancelled FROM booking_request WHERE id = $1",
        [id],
      );
      return row;
    }

    it("waits PENDING while the owner is offline, is decided when it returns, and reaches a requester that was offline", async () => {
      const resourceId = await share({ name: "Découpeuse laser" });
      await a.stop();
      const request = await requestAtB(resourceId, slot(48));
      expect(request.status).toBe("PENDING");
      await vi.waitFor(async () => expect(await hubRequest(request.id)).toBeDefined(), WAIT);
      // Still pending: nobody can decide for A.
      expect((await requestSeenBy(b, request.id))?.status).toBe("PENDING");

      // The requester goes offline; the owner comes back, decides by its rules, answers.
      await b.stop();
      await a.start();
      await vi.waitFor(
        async () => expect((await hubRequest(request.id))?.status).toBe("CONFIRMED"),
        WAIT,
      );
      const booked = await ok<{ bookings: { status: string }[] }>(
        a,
        "query($r: ID!) { bookings(resourceId: $r) { status } }",
        { r: resourceId },
      );
      expect(booked.bookings).toEqual([{ status: "CONFIRMED" }]);

      // The requester returns and gets the decision it missed.
      await b.start();
      await vi.waitFor(
        async () => expect((await requestSeenBy(b, request.id))?.status).toBe("CONFIRMED"),
        WAIT,
      );
    });

    it("declines with the owner's reason when a person decides, and a taken slot by the rules", async () => {
      const resourceId = await share({ name: "Salle du conseil", approvalRequired: true });
      const range = slot(72);
      const request = await requestAtB(resourceId, range);
      await vi.waitFor(
        async () => expect((await requestSeenBy(a, request.id))?.status).toBe("PENDING"),
        WAIT,
      );
      const decided = await ok<{ decideBookingRequest: Request }>(
        a,
        `mutation($id: ID!) { decideBookingRequest(id: $id, accept: false, reason: "Fermé pour travaux") { ${REQUEST_FIELDS} } }`,
        { id: request.id },
      );
      expect(decided.decideBookingRequest.status).toBe("DECLINED");
      await vi.waitFor(
        async () =>
          expect(await requestSeenBy(b, request.id)).toMatchObject({
            status: "DECLINED",
            reason: "Fermé pour travaux",
          }),
        WAIT,
      );

      // B cannot decide its own request: the owner alone decides.
      const own = await call(
        b,
        "mutation($id: ID!) { decideBookingRequest(id: $id, accept: true) { id } }",
        { id: request.id },
      );
      expect(["FORBIDDEN", "NOT_FOUND"]).toContain(own.error?.extensions?.code);

      // Automatic decision: the owner booked the slot at home first, the request is declined.
      const auto = await share({ name: "Fraiseuse" });
      const taken = slot(96);
      await ok(
        a,
        "mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) { book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }",
        { r: auto, ...taken, s: a.fabriqueId },
      );
      const late = await requestAtB(auto, taken);
      await vi.waitFor(
        async () =>
          expect(await requestSeenBy(b, late.id)).toMatchObject({
            status: "DECLINED",
            reasonCode: "SLOT_TAKEN",
          }),
        WAIT,
      );
    });

    it("lets the requester cancel before the deadline and refuses it after", async () => {
      const resourceId = await share({
        name: "Imprimante 3D",
        rules: { cancelDeadlineMinutes: 24 * 60 },
      });
      const soon = await requestAtB(resourceId, slot(2));
      const later = await requestAtB(resourceId, slot(72));
      for (const r of [soon, later]) {
        await vi.waitFor(
          async () => expect((await requestSeenBy(b, r.id))?.status).toBe("CONFIRMED"),
          WAIT,
        );
      }
      const refused = await call(
        b,
        "mutation($id: ID!) { cancelBookingRequest(id: $id) { status } }",
        { id: soon.id },
      );
      expect(refused.error?.extensions?.code).toBe("CANCEL_DEADLINE_PASSED");
      expect((await requestSeenBy(b, soon.id))?.status).toBe("CONFIRMED");

      const cancelled = await ok<{ cancelBookingRequest: Request }>(
        b,
        "mutation($id: ID!) { cancelBookingRequest(id: $id) { id status } }",
        { id: later.id },
      );
      expect(cancelled.cancelBookingRequest.status).toBe("CANCELLED");
      // The owner frees the slot; one confirmed booking remains (the one past the deadline).
      await vi.waitFor(async () => {
        const booked = await ok<{ bookings: { status: string }[] }>(
          a,
          "query($r: ID!) { bookings(resourceId: $r) { status } }",
          { r: resourceId },
        );
        expect(booked.bookings.map((x) => x.status).sort()).toEqual(["CANCELLED", "CONFIRMED"]);
      }, WAIT);
      await vi.waitFor(
        async () => expect((await hubRequest(later.id))?.status).toBe("CANCELLED"),
        WAIT,
      );

      // The owner cancels on its side, the same road back.
      const third = await requestAtB(resourceId, slot(100));
      await vi.waitFor(
        async () => expect((await requestSeenBy(b, third.id))?.status).toBe("CONFIRMED"),
        WAIT,
      );
      const atOwner = await ok<{ bookings: { id: string; requestId: string | null }[] }>(
        a,
        "query($r: ID!) { bookings(resourceId: $r) { id requestId } }",
        { r: resourceId },
      );
      const bookingId = atOwner.bookings.find((x) => x.requestId === third.id)?.id;
      await ok(a, "mutation($id: ID!) { cancelBooking(id: $id) { id } }", { id: bookingId });
      await vi.waitFor(
        async () =>
          expect(await requestSeenBy(b, third.id)).toMatchObject({
            status: "CANCELLED",
            reasonCode: "CANCELLED_BY_OWNER",
          }),
        WAIT,
      );
    });

    it("refuses a member without the required credential, naming it, and accepts once granted", async () => {
      const resourceId = await share({ name: "Découpeuse CNC", requiredCredential: "cnc-safety" });
      const range = slot(120);
      const refused = await call(
        b,
        "mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $m: ID) { requestBooking(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forMemberId: $m) { id } }",
        { r: resourceId, ...range, m: member },
      );
      expect(refused.error?.extensions).toMatchObject({
        code: "CREDENTIAL_REQUIRED",
        credential: "cnc-safety",
      });
      expect(
        await b.query("SELECT 1 FROM booking_request WHERE resource_id = $1", [resourceId]),
      ).toHaveLength(0);

      await ok(
        b,
        'mutation($m: ID!) { grantCredential(memberId: $m, type: "cnc-safety") { id } }',
        {
          m: member,
        },
      );
      // The credential reaches the owner, which checks it again when deciding.
      await vi.waitFor(async () => {
        const rows = await a.query("SELECT 1 FROM credential WHERE member_id = $1", [member]);
        expect(rows).toHaveLength(1);
      }, WAIT);
      const request = await requestAtB(resourceId, range);
      await vi.waitFor(
        async () => expect((await requestSeenBy(b, request.id))?.status).toBe("CONFIRMED"),
        WAIT,
      );
    });

    it("lends a movable resource to the other network: blocks home bookings while away, comes back", async () => {
      const resourceId = await share({
        name: "Valise de portables",
        category: "KIT",
        movable: true,
        rules: { maxMinutes: 7 * 24 * 60 },
      });
      const period = slot(24, 3 * 24 * 60);
      const data = await ok<{ requestLoan: Request }>(
        b,
        `mutation($r: ID!, $s: ID!, $startsAt: DateTime!, $endsAt: DateTime!) {
           requestLoan(resourceId: $r, toSpaceId: $s, startsAt: $startsAt, endsAt: $endsAt) { ${REQUEST_FIELDS} } }`,
        { r: resourceId, s: b.fabriqueId, ...period },
      );
      const loanRequest = data.requestLoan;
      await vi.waitFor(
        async () =>
          expect(await requestSeenBy(b, loanRequest.id)).toMatchObject({
            status: "CONFIRMED",
            loan: { status: "CONFIRMED", holderSpaceId: a.fabriqueId },
          }),
        WAIT,
      );

      // At home, the loan's period cannot be booked.
      const inside = {
        startsAt: new Date(Date.parse(period.startsAt) + 3_600_000).toISOString(),
        endsAt: new Date(Date.parse(period.startsAt) + 2 * 3_600_000).toISOString(),
      };
      const homeBooking = await call(
        a,
        "mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) { book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }",
        { r: resourceId, ...inside, s: a.fabriqueId },
      );
      expect(homeBooking.error?.extensions?.code).toBe("RESOURCE_ON_LOAN");

      const loans = await ok<{ loans: { id: string; status: string }[] }>(
        a,
        "query($r: ID!) { loans(resourceId: $r) { id status } }",
        { r: resourceId },
      );
      const loanId = loans.loans[0]?.id as string;
      await ok(a, "mutation($id: ID!) { checkOutLoan(id: $id) { id } }", { id: loanId });
      await vi.waitFor(
        async () =>
          expect((await requestSeenBy(b, loanRequest.id))?.loan).toEqual({
            status: "CHECKED_OUT",
            holderSpaceId: b.fabriqueId,
          }),
        WAIT,
      );
      await ok(a, "mutation($id: ID!) { checkInLoan(id: $id) { id } }", { id: loanId });
      await vi.waitFor(
        async () =>
          expect((await requestSeenBy(b, loanRequest.id))?.loan).toEqual({
            status: "RETURNED",
            holderSpaceId: a.fabriqueId,
          }),
        WAIT,
      );
    });

    it("lets both fabriques' teams follow a request live at the hub, and no one else", async () => {
      const resourceId = await share({ name: "Scie à format" });
      const third = await hub.createFabrique("Fabrique tierce", "23096");
      const listen = async (token: string) => {
        const client = createClient({
          url: `${hub.url.replace("http", "ws")}/graphql`,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          connectionParams: { authToken: token },
        });
        const seen: { id: string; status: string; forMemberId: string | null }[] = [];
        const failures: unknown[] = [];
        client.subscribe<{ bookingUpdated: { request: (typeof seen)[number] } }>(
          { query: "subscription { bookingUpdated { request { id status forMemberId } } }" },
          {
            next: (message) => {
              if (message.data) seen.push(message.data.bookingUpdated.request);
              if (message.errors) failures.push(...message.errors);
            },
            error: (error) => failures.push(error),
            complete: () => {},
          },
        );
        listeners.push(failures);
        resources.add({ close: async () => client.dispose() });
        // The subscription starts once the socket is acknowledged and the operation sent.
        await new Promise((r) => setTimeout(r, 300));
        return seen;
      };
      const listeners: unknown[][] = [];
      const owner = await listen(await hub.admin(a.fabriqueId));
      const requester = await listen(await hub.admin(b.fabriqueId));
      const stranger = await listen(await hub.admin(third.id));
      const nation = await listen(await hub.national());

      const request = await requestAtB(resourceId, slot(150));
      for (const seen of [owner, requester, nation]) {
        await vi.waitFor(
          () =>
            expect(seen.filter((u) => u.id === request.id).map((u) => u.status)).toEqual([
              "PENDING",
              "CONFIRMED",
            ]),
          WAIT,
        );
      }
      expect(owner.find((u) => u.id === request.id)?.forMemberId).toBe(member);
      // The national body follows the flows, never who.
      expect(nation.every((u) => u.forMemberId === null)).toBe(true);
      expect(stranger).toEqual([]);
      // Every subscription, the stranger's included, was accepted: empty means filtered out.
      expect(listeners.flat()).toEqual([]);
    });

    it("keeps a LOCAL resource inside its network", async () => {
      const local = await ok<{ createResource: { id: string } }>(
        a,
        "mutation($i: CreateResourceInput!) { createResource(input: $i) { id } }",
        {
          i: {
            spaceId: a.fabriqueId,
            name: "Bureau partagé",
            category: "DESK",
            sharingScope: "LOCAL",
          },
        },
      );
      const id = local.createResource.id;
      await vi.waitFor(async () => {
        const [row] = await hub.query("SELECT sharing_scope FROM resource WHERE id = $1", [id]);
        expect(row).toEqual({ sharing_scope: "LOCAL" });
      }, WAIT);
      // A later shared resource reaches B: the LOCAL one, before it, never did.
      await share({ name: "Témoin" });
      expect(await b.query("SELECT 1 FROM resource WHERE id = $1", [id])).toHaveLength(0);
      const listed = await hub.gql<{ resources: { edges: { node: { name: string } }[] } }>(
        "{ resources(filter: { category: DESK }) { edges { node { name } } } }",
        {},
        await hub.admin(b.fabriqueId),
      );
      expect(listed.data?.resources.edges).toEqual([]);
    });

    it("hands the owner's resources and waiting requests to the agent that replaces it", async () => {
      const resourceId = await share({ name: "Plieuse", rules: { cancelDeadlineMinutes: 60 } });
      const kept = await requestAtB(resourceId, slot(200));
      await vi.waitFor(
        async () => expect((await requestSeenBy(b, kept.id))?.status).toBe("CONFIRMED"),
        WAIT,
      );
      // The owner's machine dies while a request waits for it; a new agent is enrolled.
      await a.stop();
      const waiting = await requestAtB(resourceId, slot(220));
      await vi.waitFor(async () => expect(await hubRequest(waiting.id)).toBeDefined(), WAIT);
      const replacement = resources.add(
        await startClusterAgent(hub, {
          name: "A2",
          backend,
          fabrique: { id: a.fabriqueId, globalId: a.fabriqueGlobalId },
        }),
      );
      a = replacement;

      // It owns the resource and its future booking, and decides the waiting request.
      await vi.waitFor(
        async () => expect((await requestSeenBy(b, waiting.id))?.status).toBe("CONFIRMED"),
        WAIT,
      );
      const owned = await replacement.query<{ owned: boolean }>(
        "SELECT owned FROM resource WHERE id = $1",
        [resourceId],
      );
      expect(owned).toEqual([{ owned: true }]);
      // The requester's cancellation of the earlier booking reaches the new owner.
      await ok(b, "mutation($id: ID!) { cancelBookingRequest(id: $id) { id } }", { id: kept.id });
      await vi.waitFor(
        async () => expect((await hubRequest(kept.id))?.status).toBe("CANCELLED"),
        WAIT,
      );
    });

    it("never sends the member's name or email to the hub", async () => {
      // Every table of the hub, whole.
      const tables = await hub.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      );
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(["change_log", "booking_request", "credential", "member"]),
      );
      const dumps = [];
      for (const { name } of tables) {
        dumps.push(await hub.query(`SELECT json_agg(t) AS rows FROM "${name}" t`));
      }
      const text = JSON.stringify(dumps);
      expect(text).toContain(member);
      expect(text).not.toContain("Ada Martin");
      expect(text).not.toContain("ada@example.org");
    });
  });
}
