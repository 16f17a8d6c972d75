import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type OutboxEntry, outboxRepository } from "../../outbox/outbox.repository.ts";
import { type Backend, startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { subscribeSse } from "../../testing/sse.ts";
import { bookingRequestRepository } from "../bookings/booking-request.repository.ts";

/**
 * Shared resources across nodes, on every storage backend (shared-resources.test.ts: PGlite,
 * shared-resources.integration.test.ts: PostgreSQL): two agents enrolled with one fake hub,
 * `owner` (owns the resources) and `requester`, driven by explicit pushes and pulls.
 */
export function registerSharedResourceTests(backend: Backend) {
  describe(`shared resources across nodes (${backend})`, () => {
    let owner: TestAgent;
    let requester: TestAgent;
    let ownerAdmin: string;
    let requesterAdmin: string;
    /** The owner's clock runs this many ms ahead (overdue loans). */
    let ownerShift = 0;

    beforeAll(async () => {
      owner = await startTestAgent(backend, { now: () => new Date(Date.now() + ownerShift) });
      requester = await startTestAgent(backend, {
        sharedHubOf: owner,
        fabriqueName: "La Quincaillerie",
      });
      ownerAdmin = await owner.admin();
      requesterAdmin = await requester.admin();
    });
    afterAll(async () => {
      await requester?.close();
      await owner?.close();
    });

    const HOUR = 3_600_000;
    let base = 0;
    beforeEach(async () => {
      await owner.reset();
      await requester.reset();
      ownerShift = 0;
      base = Math.ceil(Date.now() / HOUR) * HOUR;
    });
    /** A whole hour, `hours` from now (fixed per test). */
    const at = (hours: number) => new Date(base + hours * HOUR).toISOString();

    type Errors = { errors?: { extensions?: Record<string, unknown> & { code?: string } }[] };
    const codes = (r: Errors) => r.errors?.map((e) => e.extensions?.code);
    const REQUEST = `id direction resourceId kind startsAt endsAt forMemberId forSpaceId status reason reasonCode
      bookingId ownerNodeId requesterNodeId createdAt
      loan { status holderSpaceId checkedOutAt returnedAt }`;
    type Request = {
      id: string;
      status: string;
      reason: string | null;
      reasonCode: string | null;
      bookingId: string | null;
      loan: { status: string; holderSpaceId: string } | null;
    } & Record<string, unknown>;

    async function ok<T>(promise: Promise<{ data?: T | null } & Errors>): Promise<T> {
      const r = await promise;
      expect(r.errors).toBeUndefined();
      return r.data as T;
    }

    async function createResource(input: Record<string, unknown> = {}) {
      const data = await ok(
        owner.gql<{ createResource: { id: string } }>(
          "mutation($input: CreateResourceInput!) { createResource(input: $input) { id } }",
          {
            input: {
              spaceId: owner.fabrique.id,
              name: "Découpeuse laser",
              category: "MACHINE",
              sharingScope: "NETWORK",
              ...input,
              rules: { minMinutes: 30, maxMinutes: 240, ...(input.rules as object) },
            },
          },
          ownerAdmin,
        ),
      );
      return data.createResource.id;
    }

    async function registerMember(t: TestAgent, token: string) {
      const data = await ok(
        t.gql<{ registerMember: { id: string } }>(
          `mutation($home: ID!) { registerMember(homeSpaceId: $home, displayName: "Camille") { id } }`,
          { home: t.fabrique.id },
          token,
        ),
      );
      return data.registerMember.id;
    }

    function requestBooking(args: Record<string, unknown>, token = requesterAdmin) {
      return requester.gql<{ requestBooking: Request }>(
        `mutation($resourceId: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $forMemberId: ID, $forSpaceId: ID) {
           requestBooking(resourceId: $resourceId, startsAt: $startsAt, endsAt: $endsAt, forMemberId: $forMemberId,
             forSpaceId: $forSpaceId) { ${REQUEST} } }`,
        args,
        token,
      );
    }

    async function requests(t: TestAgent, token: string, direction: string) {
      const data = await ok(
        t.gql<{ bookingRequests: Request[] }>(
          `query($d: RequestDirection) { bookingRequests(direction: $d) { ${REQUEST} } }`,
          { d: direction },
          token,
        ),
      );
      return data.bookingRequests;
    }

    const outbox = (t: TestAgent): Promise<OutboxEntry[]> => outboxRepository.list(t.agent.store);
    const eventsOf = async (t: TestAgent, entity: string) =>
      (await outbox(t)).filter((e) => e.entity === entity);

    async function push(t: TestAgent) {
      expect((await t.agent.sync.flush()).kind).toBe("idle");
    }
    async function pull(t: TestAgent) {
      expect((await t.agent.sync.pullNow()).kind).toBe("caught-up");
    }
    /** The owner's changes reach the requester (its resources replicated there). */
    async function share() {
      await push(owner);
      await pull(requester);
    }
    /** owner → hub → requester, requester → hub → owner (decides) → hub → requester. */
    async function roundTrip() {
      await push(owner);
      await pull(requester);
      await push(requester);
      await pull(owner);
      await push(owner);
      await pull(requester);
    }

    it("replicates a resource, decides an incoming request by the rules, and brings the decision back", async () => {
      const laser = await createResource();
      const member = await registerMember(requester, requesterAdmin);
      expect((await eventsOf(owner, "RESOURCE")).map((e) => e.entityId)).toEqual([laser]);
      await push(owner);
      await pull(requester);
      const listed = await ok(
        requester.gql<{ networkResources: Record<string, unknown>[] }>(
          "{ networkResources(filter: { category: MACHINE }) { id owned ownerNodeId approvalRequired } }",
          {},
          requesterAdmin,
        ),
      );
      expect(listed.networkResources).toEqual([
        {
          id: laser,
          owned: false,
          ownerNodeId: owner.credentials.identity.nodeId,
          approvalRequired: false,
        },
      ]);

      // The hub is down: the request is stored PENDING and waits in the outbox.
      owner.hub.down = true;
      const made = await ok(
        requestBooking({
          resourceId: laser,
          startsAt: at(30),
          endsAt: at(32),
          forMemberId: member,
        }),
      );
      expect(made.requestBooking).toMatchObject({
        direction: "OUTGOING",
        status: "PENDING",
        kind: "BOOKING",
        ownerNodeId: owner.credentials.identity.nodeId,
      });
      expect((await requester.agent.sync.flush()).kind).toBe("failed");
      owner.hub.down = false;
      const [sent] = await eventsOf(requester, "BOOKING_REQUEST");
      expect(sent?.payload).toEqual({
        resourceId: laser,
        kind: "BOOKING",
        startsAt: at(30),
        endsAt: at(32),
        forMemberId: member,
        forSpaceId: null,
        cancelled: false,
      });

      await push(requester);
      await pull(owner);
      // Decided at once, in the owner's outbox: the booking (no person) and the decision.
      const [booking] = await eventsOf(owner, "BOOKING");
      const [decision] = await eventsOf(owner, "BOOKING_DECISION");
      expect(booking?.payload).toEqual({
        resourceId: laser,
        kind: "BOOKING",
        startsAt: at(30),
        endsAt: at(32),
        status: "CONFIRMED",
        requestId: made.requestBooking.id,
      });
      expect(decision).toMatchObject({
        entityId: made.requestBooking.id,
        payload: { status: "CONFIRMED", bookingId: booking?.entityId, reasonCode: null },
      });
      const incoming = await requests(owner, ownerAdmin, "INCOMING");
      expect(incoming).toMatchObject([
        {
          id: made.requestBooking.id,
          status: "CONFIRMED",
          bookingId: booking?.entityId,
          // Made by the requester, not when it arrived here: the same instant as at the hub.
          createdAt: sent?.occurredAt.toISOString(),
          ownerNodeId: owner.credentials.identity.nodeId,
          requesterNodeId: requester.credentials.identity.nodeId,
        },
      ]);

      await push(owner);
      await pull(requester);
      const [confirmed] = await requests(requester, requesterAdmin, "OUTGOING");
      expect(confirmed).toMatchObject({ status: "CONFIRMED", bookingId: booking?.entityId });

      // The replicated occupancy shows at the requester; an overlapping request is declined.
      const free = await ok(
        requester.gql<{ resourceAvailability: { startsAt: string; endsAt: string }[] }>(
          "query($id: ID!, $from: DateTime!, $to: DateTime!) { resourceAvailability(resourceId: $id, from: $from, to: $to) { startsAt endsAt } }",
          { id: laser, from: at(29), to: at(34) },
          requesterAdmin,
        ),
      );
      expect(free.resourceAvailability).toEqual([
        { startsAt: at(29), endsAt: at(30) },
        { startsAt: at(32), endsAt: at(34) },
      ]);
      const second = await ok(
        requestBooking({
          resourceId: laser,
          startsAt: at(31),
          endsAt: at(33),
          forSpaceId: requester.fabrique.id,
        }),
      );
      await roundTrip();
      const declined = (await requests(requester, requesterAdmin, "OUTGOING")).find(
        (r) => r.id === second.requestBooking.id,
      );
      expect(declined).toMatchObject({ status: "DECLINED", reasonCode: "SLOT_TAKEN" });
      expect(declined?.reason).toBeTruthy();
    });

    it("checks a request against the replica first, writing nothing when refused", async () => {
      const local = await createResource({
        name: "Salle",
        category: "ROOM",
        sharingScope: "LOCAL",
      });
      const laser = await createResource({ rules: { leadMinutes: 48 * 60 } });
      await push(owner);
      await pull(requester);
      const before = (await outbox(requester)).length;
      const slot = { startsAt: at(72), endsAt: at(73), forSpaceId: requester.fabrique.id };
      // Another network's LOCAL resource is not even known here.
      expect(codes(await requestBooking({ resourceId: local, ...slot }))).toEqual(["NOT_FOUND"]);
      const early = await requestBooking({
        ...slot,
        resourceId: laser,
        startsAt: at(24),
        endsAt: at(25),
      });
      expect(early.errors?.[0]?.extensions).toMatchObject({
        code: "BOOKING_RULE_VIOLATION",
        reason: "LEAD_TIME",
      });
      expect(codes(await requestBooking({ resourceId: "NOPE", ...slot }))).toEqual(["NOT_FOUND"]);
      expect(
        codes(await requestBooking({ resourceId: laser, ...slot, forSpaceId: owner.fabrique.id })),
      ).toEqual(["NOT_FOUND"]);
      const loan = await requester.gql(
        `mutation($r: ID!, $s: ID!, $startsAt: DateTime!, $endsAt: DateTime!) {
           requestLoan(resourceId: $r, toSpaceId: $s, startsAt: $startsAt, endsAt: $endsAt) { id } }`,
        { r: laser, s: requester.fabrique.id, startsAt: at(72), endsAt: at(73) },
        requesterAdmin,
      );
      expect(loan.errors?.[0]?.extensions).toMatchObject({ reason: "NOT_MOVABLE" });
      // This node's own resource is booked, not requested.
      const own = await owner.gql(
        `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
           requestBooking(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
        { r: laser, startsAt: at(72), endsAt: at(73), s: owner.fabrique.id },
        ownerAdmin,
      );
      expect(own.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        reason: "OWNED_HERE",
      });
      // A replica is not managed here.
      const change = await requester.gql(
        "mutation($id: ID!) { updateResource(id: $id, input: { status: RETIRED }) { id } }",
        { id: laser },
        requesterAdmin,
      );
      expect(codes(change)).toEqual(["FORBIDDEN"]);
      const long = await requester.gql(
        "query($id: ID!, $from: DateTime!, $to: DateTime!) { resourceAvailability(resourceId: $id, from: $from, to: $to) { startsAt } }",
        { id: laser, from: at(0), to: at(32 * 24) },
        requesterAdmin,
      );
      expect(codes(long)).toEqual(["BAD_USER_INPUT"]);
      expect(await outbox(requester)).toHaveLength(before);
    });

    it("keeps a request for an approval-required resource PENDING until a person decides, at its owner only", async () => {
      const van = await createResource({
        name: "Camion",
        category: "VEHICLE",
        approvalRequired: true,
      });
      await share();
      const first = await ok(
        requestBooking({
          resourceId: van,
          startsAt: at(30),
          endsAt: at(31),
          forSpaceId: requester.fabrique.id,
        }),
      );
      const second = await ok(
        requestBooking({
          resourceId: van,
          startsAt: at(40),
          endsAt: at(41),
          forSpaceId: requester.fabrique.id,
        }),
      );
      await roundTrip();
      expect((await requests(owner, ownerAdmin, "INCOMING")).map((r) => r.status)).toEqual([
        "PENDING",
        "PENDING",
      ]);
      expect(await eventsOf(owner, "BOOKING_DECISION")).toEqual([]);
      expect((await requests(requester, requesterAdmin, "OUTGOING"))[0]?.status).toBe("PENDING");

      const decide = (t: TestAgent, token: string, id: string, accept: boolean) =>
        t.gql<{ decideBookingRequest: Request }>(
          `mutation($id: ID!, $accept: Boolean!) { decideBookingRequest(id: $id, accept: $accept, reason: "Le camion est réservé") { ${REQUEST} } }`,
          { id, accept },
          token,
        );
      // The requester's node does not own the resource: it cannot decide, and writes nothing.
      const requesterEvents = (await outbox(requester)).length;
      expect(codes(await decide(requester, requesterAdmin, first.requestBooking.id, true))).toEqual(
        ["FORBIDDEN"],
      );
      expect(
        codes(await decide(requester, requesterAdmin, "01JUNKNOWNREQUEST000000000", true)),
      ).toEqual(["NOT_FOUND"]);
      expect(await outbox(requester)).toHaveLength(requesterEvents);
      expect((await requests(requester, requesterAdmin, "OUTGOING"))[0]?.status).toBe("PENDING");
      const satellite = await owner.token({ role: "SATELLITE", spaceId: owner.fabrique.id });
      expect(codes(await decide(owner, satellite, first.requestBooking.id, true))).toEqual([
        "FORBIDDEN",
      ]);

      // Accepting re-checks every rule: a slot taken meanwhile is refused, nothing written.
      await ok(
        owner.gql(
          `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
             book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
          { r: van, startsAt: at(40), endsAt: at(42), s: owner.fabrique.id },
          ownerAdmin,
        ),
      );
      const ownerEvents = (await outbox(owner)).length;
      expect(codes(await decide(owner, ownerAdmin, second.requestBooking.id, true))).toEqual([
        "SLOT_TAKEN",
      ]);
      expect(await outbox(owner)).toHaveLength(ownerEvents);

      const accepted = await ok(decide(owner, ownerAdmin, first.requestBooking.id, true));
      expect(accepted.decideBookingRequest.status).toBe("CONFIRMED");
      const again = await decide(owner, ownerAdmin, first.requestBooking.id, false);
      expect(again.errors?.[0]?.extensions).toMatchObject({
        code: "INVALID_TRANSITION",
        status: "CONFIRMED",
      });
      const refused = await ok(decide(owner, ownerAdmin, second.requestBooking.id, false));
      expect(refused.decideBookingRequest).toMatchObject({
        status: "DECLINED",
        reasonCode: "DECLINED_BY_OWNER",
      });

      await push(owner);
      await pull(requester);
      const outgoing = await requests(requester, requesterAdmin, "OUTGOING");
      expect(outgoing.map((r) => [r.status, r.reasonCode, r.reason])).toEqual([
        ["CONFIRMED", null, null],
        ["DECLINED", "DECLINED_BY_OWNER", "Le camion est réservé"],
      ]);
    });

    it("decides at start what a crash left undecided after a pull", async () => {
      const laser = await createResource();
      await push(owner);
      await pull(requester);
      await ok(
        requestBooking({
          resourceId: laser,
          startsAt: at(30),
          endsAt: at(31),
          forSpaceId: requester.fabrique.id,
        }),
      );
      await push(requester);
      // A pull that commits, then nothing: the agent stopped before deciding.
      const crashed = owner.newEngine({}, { onPulled: null });
      expect((await crashed.pullNow()).kind).toBe("caught-up");
      expect((await requests(owner, ownerAdmin, "INCOMING"))[0]?.status).toBe("PENDING");
      // What `agent.start()` runs first.
      expect(await owner.agent.services.bookingRequests.decidePending()).toBe(1);
      expect((await requests(owner, ownerAdmin, "INCOMING"))[0]?.status).toBe("CONFIRMED");
      expect(await owner.agent.services.bookingRequests.decidePending()).toBe(0);
    });

    it("cancels by either side: the requester's deadline, the slot freed, the owner's cancellation travels", async () => {
      const desk = await createResource({
        name: "Poste 3",
        category: "DESK",
        rules: { cancelDeadlineMinutes: 48 * 60 },
      });
      await share();
      const space = requester.fabrique.id;
      const soon = await ok(
        requestBooking({ resourceId: desk, startsAt: at(24), endsAt: at(25), forSpaceId: space }),
      );
      const later = await ok(
        requestBooking({ resourceId: desk, startsAt: at(96), endsAt: at(97), forSpaceId: space }),
      );
      const third = await ok(
        requestBooking({ resourceId: desk, startsAt: at(120), endsAt: at(121), forSpaceId: space }),
      );
      await roundTrip();
      expect((await requests(requester, requesterAdmin, "OUTGOING")).map((r) => r.status)).toEqual([
        "CONFIRMED",
        "CONFIRMED",
        "CONFIRMED",
      ]);

      const cancel = (id: string, t = requester, token = requesterAdmin) =>
        t.gql<{ cancelBookingRequest: Request }>(
          `mutation($id: ID!) { cancelBookingRequest(id: $id) { ${REQUEST} } }`,
          { id },
          token,
        );
      const before = (await outbox(requester)).length;
      expect(codes(await cancel(soon.requestBooking.id))).toEqual(["CANCEL_DEADLINE_PASSED"]);
      expect(await outbox(requester)).toHaveLength(before);
      expect(codes(await cancel(later.requestBooking.id, owner, ownerAdmin))).toEqual([
        "FORBIDDEN",
      ]);

      const withdrawn = await ok(cancel(later.requestBooking.id));
      expect(withdrawn.cancelBookingRequest.status).toBe("CANCELLED");
      expect((await eventsOf(requester, "BOOKING_REQUEST")).at(-1)?.payload).toMatchObject({
        cancelled: true,
      });
      expect((await cancel(later.requestBooking.id)).errors?.[0]?.extensions).toMatchObject({
        code: "INVALID_TRANSITION",
        status: "CANCELLED",
      });
      await push(requester);
      await pull(owner);
      const freed = await ok(
        owner.gql<{ bookings: { requestId: string; status: string }[] }>(
          "query($id: ID!) { bookings(resourceId: $id) { requestId status } }",
          { id: desk },
          ownerAdmin,
        ),
      );
      expect(freed.bookings.find((b) => b.requestId === later.requestBooking.id)?.status).toBe(
        "CANCELLED",
      );
      const answer = (await eventsOf(owner, "BOOKING_DECISION")).at(-1);
      expect(answer).toMatchObject({
        entityId: later.requestBooking.id,
        payload: { status: "CANCELLED", reasonCode: "CANCELLED_BY_REQUESTER" },
      });
      expect((await eventsOf(owner, "BOOKING")).at(-1)?.payload).toMatchObject({
        status: "CANCELLED",
        requestId: later.requestBooking.id,
      });

      // A request withdrawn while PENDING arrives cancelled and is never decided.
      const pending = await ok(
        requestBooking({ resourceId: desk, startsAt: at(150), endsAt: at(151), forSpaceId: space }),
      );
      await ok(cancel(pending.requestBooking.id));
      await push(requester);
      await pull(owner);
      const arrived = (await requests(owner, ownerAdmin, "INCOMING")).find(
        (r) => r.id === pending.requestBooking.id,
      );
      expect(arrived).toMatchObject({ status: "CANCELLED", bookingId: null });

      // The owner cancels the third: the requester hears it.
      const ownerBooking = (await requests(owner, ownerAdmin, "INCOMING")).find(
        (r) => r.id === third.requestBooking.id,
      )?.bookingId as string;
      await ok(
        owner.gql(
          "mutation($id: ID!) { cancelBooking(id: $id) { id } }",
          { id: ownerBooking },
          ownerAdmin,
        ),
      );
      await push(owner);
      await pull(requester);
      const outgoing = await requests(requester, requesterAdmin, "OUTGOING");
      expect(outgoing.find((r) => r.id === third.requestBooking.id)).toMatchObject({
        status: "CANCELLED",
        reasonCode: "CANCELLED_BY_OWNER",
      });
      expect(outgoing.find((r) => r.id === later.requestBooking.id)).toMatchObject({
        status: "CANCELLED",
        reasonCode: "CANCELLED_BY_REQUESTER",
      });
      expect(outgoing.find((r) => r.id === soon.requestBooking.id)?.status).toBe("CONFIRMED");
    });

    it("lends a movable resource: it blocks home bookings, is checked out, overdue, and returns", async () => {
      const kit = await createResource({
        name: "Kit de portables",
        category: "KIT",
        movable: true,
        rules: { maxMinutes: 7 * 24 * 60 },
      });
      await share();
      const asked = await ok(
        requester.gql<{ requestLoan: Request }>(
          `mutation($r: ID!, $s: ID!, $startsAt: DateTime!, $endsAt: DateTime!) {
             requestLoan(resourceId: $r, toSpaceId: $s, startsAt: $startsAt, endsAt: $endsAt) { ${REQUEST} } }`,
          { r: kit, s: requester.fabrique.id, startsAt: at(24), endsAt: at(48) },
          requesterAdmin,
        ),
      );
      await roundTrip();
      const [loanRequest] = await requests(requester, requesterAdmin, "OUTGOING");
      expect(loanRequest).toMatchObject({
        id: asked.requestLoan.id,
        kind: "LOAN",
        status: "CONFIRMED",
        loan: { status: "CONFIRMED", holderSpaceId: owner.fabrique.id },
      });
      const loanId = loanRequest?.bookingId as string;

      const book = (from: string, to: string) =>
        owner.gql(
          `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
             book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
          { r: kit, startsAt: from, endsAt: to, s: owner.fabrique.id },
          ownerAdmin,
        );
      expect(codes(await book(at(30), at(31)))).toEqual(["RESOURCE_ON_LOAN"]);
      const loans = async () =>
        (
          await ok(
            owner.gql<{ loans: Record<string, unknown>[] }>(
              "query($id: ID!) { loans(resourceId: $id) { id status holderSpaceId overdue toSpaceId } }",
              { id: kit },
              ownerAdmin,
            ),
          )
        ).loans;
      const transition = (name: "checkOutLoan" | "checkInLoan") =>
        owner.gql(
          `mutation($id: ID!) { ${name}(id: $id) { id status holderSpaceId overdue } }`,
          { id: loanId },
          ownerAdmin,
        );

      expect((await transition("checkInLoan")).errors?.[0]?.extensions).toMatchObject({
        code: "INVALID_TRANSITION",
        status: "CONFIRMED",
      });
      expect((await transition("checkOutLoan")).errors).toBeUndefined();
      expect(await loans()).toEqual([
        {
          id: loanId,
          status: "CHECKED_OUT",
          holderSpaceId: requester.fabrique.id,
          overdue: false,
          toSpaceId: requester.fabrique.id,
        },
      ]);
      await push(owner);
      await pull(requester);
      expect((await requests(requester, requesterAdmin, "OUTGOING"))[0]?.loan).toMatchObject({
        status: "CHECKED_OUT",
        holderSpaceId: requester.fabrique.id,
      });

      // Past its end and not back: overdue, and every new booking is refused.
      ownerShift = 50 * HOUR;
      expect((await loans())[0]).toMatchObject({ overdue: true });
      expect(codes(await book(at(60), at(61)))).toEqual(["RESOURCE_ON_LOAN"]);
      expect((await transition("checkOutLoan")).errors?.[0]?.extensions).toMatchObject({
        code: "INVALID_TRANSITION",
        status: "CHECKED_OUT",
      });

      expect((await transition("checkInLoan")).errors).toBeUndefined();
      expect((await loans())[0]).toMatchObject({
        status: "RETURNED",
        holderSpaceId: owner.fabrique.id,
        overdue: false,
      });
      expect((await book(at(60), at(61))).errors).toBeUndefined();
      await push(owner);
      await pull(requester);
      expect((await requests(requester, requesterAdmin, "OUTGOING"))[0]?.loan).toMatchObject({
        status: "RETURNED",
        holderSpaceId: owner.fabrique.id,
      });

      // A loan decided at home (lend), here to a satellite of the network.
      ownerShift = 0;
      const satellite = await ok(
        owner.gql<{ createSatellite: { id: string } }>(
          `mutation { createSatellite(input: { name: "Le Bercail", communeCode: "07186" }) { id } }`,
          {},
          ownerAdmin,
        ),
      );
      const sameNetwork = await ok(
        owner.gql<{ lend: { id: string; status: string } }>(
          `mutation($r: ID!, $s: ID!, $startsAt: DateTime!, $endsAt: DateTime!) {
             lend(resourceId: $r, toSpaceId: $s, startsAt: $startsAt, endsAt: $endsAt) { id status } }`,
          { r: kit, s: satellite.createSatellite.id, startsAt: at(100), endsAt: at(110) },
          ownerAdmin,
        ),
      );
      expect(sameNetwork.lend.status).toBe("CONFIRMED");
      expect(codes(await book(at(105), at(106)))).toEqual(["RESOURCE_ON_LOAN"]);
      expect((await eventsOf(owner, "BOOKING")).at(-1)).toMatchObject({
        entityId: sameNetwork.lend.id,
        payload: { kind: "LOAN", status: "CONFIRMED", requestId: null },
      });
    });

    it("gates bookings by credentials, named in the refusal, at both ends", async () => {
      const laser = await createResource({ requiredCredential: "laser-safety" });
      const ownMember = await registerMember(owner, ownerAdmin);
      const book = (args: Record<string, unknown>) =>
        owner.gql(
          `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $m: ID, $s: ID) {
             book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forMemberId: $m, forSpaceId: $s) { id } }`,
          { r: laser, ...args },
          ownerAdmin,
        );
      const refused = await book({ startsAt: at(30), endsAt: at(31), m: ownMember });
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: "CREDENTIAL_REQUIRED",
        credential: "laser-safety",
      });
      // A booking for a space names no person: not gated.
      expect(
        (await book({ startsAt: at(30), endsAt: at(31), s: owner.fabrique.id })).errors,
      ).toBeUndefined();
      const grant = (t: TestAgent, token: string, memberId: string, expiresAt?: string) =>
        t.gql<{ grantCredential: { id: string } }>(
          `mutation($m: ID!, $e: DateTime) { grantCredential(memberId: $m, type: "laser-safety", expiresAt: $e) { id } }`,
          { m: memberId, e: expiresAt ?? null },
          token,
        );
      // Expired before the slot starts: still refused.
      await ok(grant(owner, ownerAdmin, ownMember, at(40)));
      expect(codes(await book({ startsAt: at(50), endsAt: at(51), m: ownMember }))).toEqual([
        "CREDENTIAL_REQUIRED",
      ]);
      const granted = await ok(grant(owner, ownerAdmin, ownMember));
      expect(
        (await book({ startsAt: at(50), endsAt: at(51), m: ownMember })).errors,
      ).toBeUndefined();
      const revoked = await ok(
        owner.gql(
          "mutation($id: ID!) { revokeCredential(id: $id) { id } }",
          { id: granted.grantCredential.id },
          ownerAdmin,
        ),
      );
      expect(revoked).toBeTruthy();
      expect((await eventsOf(owner, "CREDENTIAL")).map((e) => e.op)).toEqual([
        "UPSERT",
        "UPSERT",
        "DELETE",
      ]);
      expect((await eventsOf(owner, "CREDENTIAL")).at(-1)?.payload).toBeNull();

      // At the requester: its replica of the resource gates its member too.
      const member = await registerMember(requester, requesterAdmin);
      await roundTrip();
      const early = await requestBooking({
        resourceId: laser,
        startsAt: at(60),
        endsAt: at(61),
        forMemberId: member,
      });
      expect(early.errors?.[0]?.extensions).toMatchObject({
        code: "CREDENTIAL_REQUIRED",
        credential: "laser-safety",
      });
      // Another network's member is granted by its home node only.
      expect(codes(await grant(requester, requesterAdmin, ownMember))).toEqual(["FORBIDDEN"]);
      const theirs = await ok(grant(requester, requesterAdmin, member));
      const accepted = await ok(
        requestBooking({
          resourceId: laser,
          startsAt: at(60),
          endsAt: at(61),
          forMemberId: member,
        }),
      );
      await roundTrip();
      const confirmed = await requests(requester, requesterAdmin, "OUTGOING");
      expect(confirmed.find((r) => r.id === accepted.requestBooking.id)?.status).toBe("CONFIRMED");

      // Checked again at the owner, from the replicated credentials: revoked meanwhile.
      const late = await ok(
        requestBooking({
          resourceId: laser,
          startsAt: at(80),
          endsAt: at(81),
          forMemberId: member,
        }),
      );
      await ok(
        requester.gql(
          "mutation($id: ID!) { revokeCredential(id: $id) { id } }",
          { id: theirs.grantCredential.id },
          requesterAdmin,
        ),
      );
      await push(requester);
      // One pull answer brings the request and the revocation; the decision follows it.
      expect((await owner.newEngine({ pullLimit: 500 }).pullNow()).kind).toBe("caught-up");
      await push(owner);
      await pull(requester);
      const declined = (await requests(requester, requesterAdmin, "OUTGOING")).find(
        (r) => r.id === late.requestBooking.id,
      );
      expect(declined).toMatchObject({ status: "DECLINED", reasonCode: "CREDENTIAL_REQUIRED" });
      expect(declined?.reason).toContain("laser-safety");
    });

    it("never lets a replica event block a pull", async () => {
      const laser = await createResource();
      const nodeId = owner.credentials.identity.nodeId;
      const other = "01JOTHERNODE00000000000000";
      const append = (event: Record<string, unknown>) =>
        owner.hub.appendLog({
          originNodeId: other,
          targetNodeId: null,
          op: "UPSERT",
          ...event,
        } as Parameters<TestAgent["hub"]["appendLog"]>[0]);
      const replica = {
        spaceId: "01JOTHERSPACE0000000000000",
        name: "Fraiseuse",
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
      const busy = (start: string, end: string) => ({
        resourceId: "01JREPLICARESOURCE00000000",
        kind: "BOOKING",
        startsAt: start,
        endsAt: end,
        status: "CONFIRMED",
        requestId: null,
      });
      append({ entity: "RESOURCE", entityId: "01JREPLICARESOURCE00000000", payload: replica });
      append({ entity: "RESOURCE", entityId: "01JBROKEN00000000000000000", payload: { name: 1 } });
      // Another node claiming this node's own resource: kept as it is.
      append({ entity: "RESOURCE", entityId: laser, payload: { ...replica, name: "Volée" } });
      // Overlapping occupancy: the owner's business, never refused here.
      append({ entity: "BOOKING", entityId: "01JB1", payload: busy(at(30), at(32)) });
      append({ entity: "BOOKING", entityId: "01JB2", payload: busy(at(31), at(33)) });
      append({ entity: "BOOKING", entityId: "01JB1", payload: busy(at(30), at(32)) });
      append({
        entity: "BOOKING",
        entityId: "01JB3",
        payload: { ...busy(at(30), at(31)), resourceId: laser },
      });
      append({ entity: "CREDENTIAL", entityId: "01JC1", op: "DELETE", payload: null });
      append({
        entity: "BOOKING_REQUEST",
        entityId: "01JR1",
        targetNodeId: nodeId,
        payload: {
          resourceId: "01JREPLICARESOURCE00000000",
          kind: "BOOKING",
          startsAt: at(40),
          endsAt: at(41),
          forMemberId: null,
          forSpaceId: "01JOTHERSPACE0000000000000",
          cancelled: false,
        },
      });
      append({
        entity: "BOOKING_DECISION",
        entityId: "01JUNKNOWN",
        targetNodeId: nodeId,
        payload: {
          resourceId: laser,
          status: "CONFIRMED",
          reason: null,
          reasonCode: null,
          bookingId: null,
          loan: null,
          decidedAt: new Date().toISOString(),
        },
      });
      const last = append({ entity: "BOOKING", entityId: "01JB4", payload: { nope: true } });
      await pull(owner);
      const state = await owner.agent.store.query<{ pull_cursor: string }>(
        "SELECT pull_cursor FROM sync_state",
      );
      expect(state[0]?.pull_cursor).toBe(last.offset);
      const resources = await ok(
        owner.gql<{ networkResources: { id: string; name: string }[] }>(
          "{ networkResources { id name } }",
          {},
          ownerAdmin,
        ),
      );
      expect(resources.networkResources).toEqual([
        { id: "01JREPLICARESOURCE00000000", name: "Fraiseuse" },
      ]);
      const mine = await ok(
        owner.gql<{ resources: { name: string }[] }>(
          "query($s: ID!) { resources(spaceId: $s) { name } }",
          { s: owner.fabrique.id },
          ownerAdmin,
        ),
      );
      expect(mine.resources).toEqual([{ name: "Découpeuse laser" }]);
      const free = await ok(
        owner.gql<{ resourceAvailability: { startsAt: string; endsAt: string }[] }>(
          "query($id: ID!, $from: DateTime!, $to: DateTime!) { resourceAvailability(resourceId: $id, from: $from, to: $to) { startsAt endsAt } }",
          { id: "01JREPLICARESOURCE00000000", from: at(29), to: at(34) },
          ownerAdmin,
        ),
      );
      expect(free.resourceAvailability).toEqual([
        { startsAt: at(29), endsAt: at(30) },
        { startsAt: at(33), endsAt: at(34) },
      ]);
      // Nothing was decided for a resource this node does not own, and its own bookings stand.
      expect(await requests(owner, ownerAdmin, "INCOMING")).toEqual([]);
      expect(await eventsOf(owner, "BOOKING_DECISION")).toEqual([]);
      const ownFree = await ok(
        owner.gql<{ resourceAvailability: unknown[] }>(
          "query($id: ID!, $from: DateTime!, $to: DateTime!) { resourceAvailability(resourceId: $id, from: $from, to: $to) { startsAt endsAt } }",
          { id: laser, from: at(29), to: at(34) },
          ownerAdmin,
        ),
      );
      expect(ownFree.resourceAvailability).toEqual([{ startsAt: at(29), endsAt: at(34) }]);
    });

    /** Replicated state of another node's resource, as a RESOURCE event carries it. */
    const resourcePayload = (extra: Record<string, unknown> = {}) => ({
      spaceId: "01JOTHERSPACE0000000000000",
      name: "Fraiseuse",
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
      ...extra,
    });
    const appendTo = (t: TestAgent, event: Record<string, unknown>) =>
      t.hub.appendLog({
        targetNodeId: null,
        op: "UPSERT",
        ...event,
      } as Parameters<TestAgent["hub"]["appendLog"]>[0]);
    const availability = (t: TestAgent, token: string, id: string, from: string, to: string) =>
      t.gql<{ resourceAvailability: { startsAt: string; endsAt: string }[] }>(
        "query($id: ID!, $from: DateTime!, $to: DateTime!) { resourceAvailability(resourceId: $id, from: $from, to: $to) { startsAt endsAt } }",
        { id, from, to },
        token,
      );
    const networkResources = async (t: TestAgent, token: string, filter = {}) =>
      (
        await ok(
          t.gql<{ networkResources: { id: string; name: string }[] }>(
            "query($f: NetworkResourceFilter) { networkResources(filter: $f) { id name } }",
            { f: filter },
            token,
          ),
        )
      ).networkResources;

    it("publishes at start the resources and bookings made before resources travelled", async () => {
      // A resource and its bookings from before migration 0005: rows, no event.
      const old = "01JOLDRESOURCE000000000000";
      await owner.agent.store.query(
        `INSERT INTO resource (id, space_id, name, category, sharing_scope, min_minutes,
           max_minutes, lead_minutes, cancel_deadline_minutes, status, movable)
         VALUES ($1, $2, 'Vieille scie', 'MACHINE', 'NETWORK', 30, 240, 0, 0, 'AVAILABLE', FALSE)`,
        [old, owner.fabrique.id],
      );
      const insertBooking = (id: string, from: string, to: string, status: string) =>
        owner.agent.store.query(
          `INSERT INTO booking (id, resource_id, during, booked_for_space, status)
           VALUES ($1, $2, tstzrange($3::timestamptz, $4::timestamptz, '[)'), $5, $6)`,
          [id, old, from, to, owner.fabrique.id, status],
        );
      await insertBooking("01JOLDPAST", at(-30), at(-29), "CONFIRMED");
      await insertBooking("01JOLDNEXT", at(30), at(32), "CONFIRMED");
      await insertBooking("01JOLDGONE", at(40), at(41), "CANCELLED");
      // What migration 0007 marks.
      await owner.agent.store.query("UPDATE resource SET published = FALSE WHERE owned");
      const fresh = await createResource({ name: "Neuve" });

      // What `agent.start()` runs before the sync engine.
      expect(await owner.agent.services.resources.publishUnpublished()).toBe(1);
      expect(await owner.agent.services.resources.publishUnpublished()).toBe(0);
      expect((await outbox(owner)).map((e) => [e.entity, e.entityId])).toEqual([
        ["RESOURCE", fresh],
        ["RESOURCE", old],
        ["BOOKING", "01JOLDNEXT"],
      ]);
      // A later booking of the old resource travels after it: the hub accepts it.
      await ok(
        owner.gql(
          `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
             book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
          { r: old, startsAt: at(34), endsAt: at(35), s: owner.fabrique.id },
          ownerAdmin,
        ),
      );
      await share();
      expect((await outbox(owner)).every((e) => e.pushedAt !== null)).toBe(true);
      expect((await networkResources(requester, requesterAdmin)).map((r) => r.name)).toEqual([
        "Neuve",
        "Vieille scie",
      ]);
      const free = await ok(availability(requester, requesterAdmin, old, at(29), at(36)));
      expect(free.resourceAvailability).toEqual([
        { startsAt: at(29), endsAt: at(30) },
        { startsAt: at(32), endsAt: at(34) },
        { startsAt: at(35), endsAt: at(36) },
      ]);
    });

    it("erases a member's credentials with the member, here and in every replica", async () => {
      const member = await registerMember(requester, requesterAdmin);
      const granted = await ok(
        requester.gql<{ grantCredential: { id: string } }>(
          `mutation($m: ID!) { grantCredential(memberId: $m, type: "laser-safety") { id } }`,
          { m: member },
          requesterAdmin,
        ),
      );
      await push(requester);
      await pull(owner);
      const held = (t: TestAgent) =>
        t.agent.store.query<{ id: string }>("SELECT id FROM credential WHERE member_id = $1", [
          member,
        ]);
      expect(await held(owner)).toHaveLength(1);
      await ok(
        requester.gql(
          "mutation($id: ID!) { eraseMember(id: $id) }",
          { id: member },
          requesterAdmin,
        ),
      );
      expect(await held(requester)).toEqual([]);
      // Revoked, not just deleted: its status bit set and the list sent again (issue 11).
      expect((await outbox(requester)).slice(-3).map((e) => [e.entity, e.entityId, e.op])).toEqual([
        ["CREDENTIAL", granted.grantCredential.id, "DELETE"],
        ["STATUS_LIST", requester.credentials.identity.nodeId, "UPSERT"],
        ["MEMBER", member, "DELETE"],
      ]);
      expect(
        await requester.agent.store.query(
          "SELECT 1 FROM credential_status WHERE credential_id = $1 AND revoked_at IS NOT NULL",
          [granted.grantCredential.id],
        ),
      ).toHaveLength(1);
      await push(requester);
      await pull(owner);
      expect(await held(owner)).toEqual([]);

      // A MEMBER DELETE alone takes the member's replicated credentials with it.
      const other = "01JOTHERNODE00000000000000";
      appendTo(owner, {
        originNodeId: other,
        entity: "CREDENTIAL",
        entityId: "01JCRED",
        payload: {
          memberId: "01JGONE",
          type: "laser-safety",
          issuedAt: new Date().toISOString(),
          expiresAt: null,
        },
      });
      await pull(owner);
      expect(
        await owner.agent.store.query("SELECT id FROM credential WHERE member_id = '01JGONE'"),
      ).toHaveLength(1);
      appendTo(owner, {
        originNodeId: other,
        entity: "MEMBER",
        entityId: "01JGONE",
        op: "DELETE",
        payload: null,
      });
      await pull(owner);
      expect(
        await owner.agent.store.query("SELECT id FROM credential WHERE member_id = '01JGONE'"),
      ).toEqual([]);
    });

    it("drops another network's resource once it is LOCAL, with its occupancy", async () => {
      const room = await createResource({ name: "Salle", category: "ROOM" });
      await ok(
        owner.gql(
          `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
             book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
          { r: room, startsAt: at(30), endsAt: at(31), s: owner.fabrique.id },
          ownerAdmin,
        ),
      );
      await share();
      expect((await networkResources(requester, requesterAdmin)).map((r) => r.id)).toEqual([room]);
      await ok(
        owner.gql(
          `mutation($id: ID!) { updateResource(id: $id, input: { sharingScope: LOCAL }) { id } }`,
          { id: room },
          ownerAdmin,
        ),
      );
      await share();
      expect(await networkResources(requester, requesterAdmin)).toEqual([]);
      expect(await networkResources(requester, requesterAdmin, { sharingScope: "LOCAL" })).toEqual(
        [],
      );
      expect(codes(await availability(requester, requesterAdmin, room, at(29), at(32)))).toEqual([
        "NOT_FOUND",
      ]);
      expect(
        await requester.agent.store.query("SELECT id FROM booking_replica WHERE resource_id = $1", [
          room,
        ]),
      ).toEqual([]);
      expect(await requester.agent.services.resources.find(room)).toBeUndefined();
      // A LOCAL resource broadcast anyway (an older hub) is not stored either.
      appendTo(requester, {
        originNodeId: owner.credentials.identity.nodeId,
        entity: "RESOURCE",
        entityId: "01JLOCALELSEWHERE000000000",
        payload: resourcePayload({ sharingScope: "LOCAL" }),
      });
      await pull(requester);
      expect(await requester.agent.services.resources.find("01JLOCALELSEWHERE000000000")).toBe(
        undefined,
      );
      // The owner's own view is unchanged.
      expect(
        (await ok(availability(owner, ownerAdmin, room, at(29), at(32)))).resourceAvailability,
      ).toEqual([
        { startsAt: at(29), endsAt: at(30) },
        { startsAt: at(31), endsAt: at(32) },
      ]);
    });

    it("adopts what the hub hands over after a re-enrolment, and follows a re-enrolled owner", async () => {
      const nodeId = owner.credentials.identity.nodeId;
      const handed = "01JHANDEDRESOURCE000000000";
      const handover = (event: Record<string, unknown>) =>
        appendTo(owner, { originNodeId: null, targetNodeId: nodeId, ...event });
      const slot = (id: string, from: string, to: string) =>
        handover({
          entity: "BOOKING",
          entityId: id,
          payload: {
            resourceId: handed,
            kind: "BOOKING",
            startsAt: from,
            endsAt: to,
            status: "CONFIRMED",
            requestId: null,
          },
        });
      handover({
        entity: "RESOURCE",
        entityId: handed,
        payload: resourcePayload({ spaceId: owner.fabrique.id, name: "Presse" }),
      });
      slot("01JHB1", at(30), at(32));
      // Overlapping a booking adopted just before: skipped, the pull goes on.
      slot("01JHB2", at(31), at(33));
      handover({
        entity: "CREDENTIAL",
        entityId: "01JHC1",
        payload: {
          memberId: "01JHMEMBER",
          type: "press",
          issuedAt: new Date().toISOString(),
          expiresAt: null,
        },
      });
      const last = slot("01JHB3", at(40), at(41));
      await pull(owner);
      const cursor = await owner.agent.store.query<{ pull_cursor: string }>(
        "SELECT pull_cursor FROM sync_state",
      );
      expect(cursor[0]?.pull_cursor).toBe(last.offset);
      expect(await owner.agent.services.resources.find(handed)).toMatchObject({
        owned: true,
        ownerNodeId: null,
        name: "Presse",
      });
      const bookings = await owner.agent.store.query<{ id: string }>(
        "SELECT id FROM booking WHERE resource_id = $1 ORDER BY id",
        [handed],
      );
      expect(bookings.map((b) => b.id)).toEqual(["01JHB1", "01JHB3"]);
      expect(
        await owner.agent.store.query("SELECT owned FROM credential WHERE id = '01JHC1'"),
      ).toEqual([{ owned: true }]);
      // Owned now: booked here, and its events are this node's.
      const booked = await owner.gql(
        `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
           book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
        { r: handed, startsAt: at(31), endsAt: at(32), s: owner.fabrique.id },
        ownerAdmin,
      );
      expect(codes(booked)).toEqual(["SLOT_TAKEN"]);
      await ok(
        owner.gql(
          `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
             book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
          { r: handed, startsAt: at(34), endsAt: at(35), s: owner.fabrique.id },
          ownerAdmin,
        ),
      );
      await push(owner);

      // At a requester: the owner re-enrolled under a new id, its decisions are accepted.
      const laser = await createResource();
      await share();
      const made = await ok(
        requestBooking({
          resourceId: laser,
          startsAt: at(50),
          endsAt: at(51),
          forSpaceId: requester.fabrique.id,
        }),
      );
      await roundTrip();
      const renewed = "01JRENEWEDNODE000000000000";
      appendTo(requester, {
        originNodeId: renewed,
        entity: "RESOURCE",
        entityId: laser,
        payload: resourcePayload({ spaceId: owner.fabrique.id, name: "Découpeuse laser" }),
      });
      appendTo(requester, {
        originNodeId: renewed,
        targetNodeId: requester.credentials.identity.nodeId,
        entity: "BOOKING_DECISION",
        entityId: made.requestBooking.id,
        payload: {
          resourceId: laser,
          status: "CANCELLED",
          reason: "cancelled by the resource's owner",
          reasonCode: "CANCELLED_BY_OWNER",
          bookingId: null,
          loan: null,
          decidedAt: new Date().toISOString(),
        },
      });
      await pull(requester);
      const [outgoing] = await requests(requester, requesterAdmin, "OUTGOING");
      expect(outgoing).toMatchObject({
        status: "CANCELLED",
        reasonCode: "CANCELLED_BY_OWNER",
        ownerNodeId: renewed,
      });
    });

    it("decides only what the rules can, and only after pulls that bring requests", async () => {
      const truck = await createResource({ name: "Camion", approvalRequired: true });
      const laser = await createResource();
      await share();
      const space = requester.fabrique.id;
      await ok(
        requestBooking({ resourceId: truck, startsAt: at(30), endsAt: at(31), forSpaceId: space }),
      );
      await push(requester);
      const services = owner.agent.services.bookingRequests;
      const decide = services.decidePending;
      let runs = 0;
      services.decidePending = () => {
        runs += 1;
        return decide();
      };
      try {
        await pull(owner);
        expect(runs).toBe(1);
        // Waiting for a person: not in the decider's queue (no write transaction for it).
        expect(await bookingRequestRepository.awaitingOwner(owner.agent.store)).toEqual([]);
        // A pull of replicas only: the decider does not run.
        await createResource({ name: "Autre" });
        await push(owner);
        appendTo(owner, {
          originNodeId: requester.credentials.identity.nodeId,
          entity: "RESOURCE",
          entityId: "01JREPLICAONLY000000000000",
          payload: resourcePayload(),
        });
        await pull(owner);
        expect(runs).toBe(1);
        const made = await ok(
          requestBooking({
            resourceId: laser,
            startsAt: at(30),
            endsAt: at(31),
            forSpaceId: space,
          }),
        );
        await push(requester);
        await pull(owner);
        expect(runs).toBe(2);
        expect(
          (await requests(owner, ownerAdmin, "INCOMING")).map((r) => [
            r.id === made.requestBooking.id,
            r.status,
          ]),
        ).toEqual([
          [false, "PENDING"],
          [true, "CONFIRMED"],
        ]);
      } finally {
        services.decidePending = decide;
      }
    });

    it("takes the owner's loan state when a withdrawal crosses the check-out", async () => {
      const kit = await createResource({
        name: "Kit de portables",
        category: "KIT",
        movable: true,
        rules: { maxMinutes: 7 * 24 * 60 },
      });
      await share();
      await ok(
        requester.gql<{ requestLoan: Request }>(
          `mutation($r: ID!, $s: ID!, $startsAt: DateTime!, $endsAt: DateTime!) {
             requestLoan(resourceId: $r, toSpaceId: $s, startsAt: $startsAt, endsAt: $endsAt) { id } }`,
          { r: kit, s: requester.fabrique.id, startsAt: at(24), endsAt: at(48) },
          requesterAdmin,
        ),
      );
      await roundTrip();
      const [confirmed] = await requests(requester, requesterAdmin, "OUTGOING");
      expect(confirmed?.status).toBe("CONFIRMED");
      // The requester withdraws while the owner hands the kit over.
      await ok(
        requester.gql(
          "mutation($id: ID!) { cancelBookingRequest(id: $id) { id } }",
          { id: confirmed?.id },
          requesterAdmin,
        ),
      );
      await ok(
        owner.gql(
          "mutation($id: ID!) { checkOutLoan(id: $id) { id } }",
          { id: confirmed?.bookingId },
          ownerAdmin,
        ),
      );
      await push(requester);
      await pull(owner);
      await push(owner);
      await pull(requester);
      const [reopened] = await requests(requester, requesterAdmin, "OUTGOING");
      expect(reopened).toMatchObject({
        status: "CONFIRMED",
        loan: { status: "CHECKED_OUT", holderSpaceId: requester.fabrique.id },
      });
      const [incoming] = await requests(owner, ownerAdmin, "INCOMING");
      expect(incoming).toMatchObject({ status: "CONFIRMED", loan: { status: "CHECKED_OUT" } });
    });

    it("checks a loan out only when no other loan of the resource is away", async () => {
      const kit = await createResource({
        name: "Kit",
        category: "KIT",
        movable: true,
        rules: { maxMinutes: 7 * 24 * 60 },
      });
      const lend = async (from: string, to: string) =>
        (
          await ok(
            owner.gql<{ lend: { id: string } }>(
              `mutation($r: ID!, $s: ID!, $startsAt: DateTime!, $endsAt: DateTime!) {
                 lend(resourceId: $r, toSpaceId: $s, startsAt: $startsAt, endsAt: $endsAt) { id } }`,
              { r: kit, s: owner.fabrique.id, startsAt: from, endsAt: to },
              ownerAdmin,
            ),
          )
        ).lend.id;
      const first = await lend(at(24), at(30));
      const second = await lend(at(30), at(36));
      const transition = (name: string, id: string) =>
        owner.gql(`mutation($id: ID!) { ${name}(id: $id) { id } }`, { id }, ownerAdmin);
      expect((await transition("checkOutLoan", first)).errors).toBeUndefined();
      const refused = await transition("checkOutLoan", second);
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: "RESOURCE_ON_LOAN",
        loanId: first,
      });
      expect((await transition("checkInLoan", first)).errors).toBeUndefined();
      expect((await transition("checkOutLoan", second)).errors).toBeUndefined();
    });

    it("publishes live updates after commit, scoped by role", async () => {
      const laser = await createResource();
      const room = await createResource({ name: "Salle", category: "ROOM" });
      const satellite = await owner.token({
        role: "SATELLITE",
        spaceId: "01JSOMEOTHERSPACE000000000",
      });
      const subscribe = async (query: string, token: string) => {
        const { frames: seen, stop } = await subscribeSse(owner.agent.fetch, token, query);
        return { seen, stop: () => stop().then(() => undefined) };
      };
      const admin = await subscribe(
        "subscription { bookingUpdated { resourceId booking { status forSpaceId } request { status direction } } }",
        ownerAdmin,
      );
      const sat = await subscribe("subscription { bookingUpdated { resourceId } }", satellite);
      const availability = await subscribe(
        `subscription { resourceAvailabilityChanged(resourceId: "${laser}") { resourceId startsAt endsAt } }`,
        satellite,
      );
      // Without resourceId, as at the hub: every resource known here.
      const everything = await subscribe(
        "subscription { resourceAvailabilityChanged { resourceId startsAt endsAt } }",
        ownerAdmin,
      );
      await new Promise((r) => setTimeout(r, 100));
      await ok(
        owner.gql(
          `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
             book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
          { r: laser, startsAt: at(30), endsAt: at(31), s: owner.fabrique.id },
          ownerAdmin,
        ),
      );
      // A request brought by a pull and decided at once.
      await push(owner);
      await pull(requester);
      await ok(
        requestBooking({
          resourceId: laser,
          startsAt: at(40),
          endsAt: at(41),
          forSpaceId: requester.fabrique.id,
        }),
      );
      await push(requester);
      await pull(owner);
      // Another resource's booking; a change of the laser's windows (any time: null, null).
      await ok(
        owner.gql(
          `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
             book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
          { r: room, startsAt: at(50), endsAt: at(51), s: owner.fabrique.id },
          ownerAdmin,
        ),
      );
      await ok(
        owner.gql(
          "mutation($id: ID!) { updateResource(id: $id, input: { windows: [] }) { id } }",
          { id: laser },
          ownerAdmin,
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
      await admin.stop();
      await sat.stop();
      await availability.stop();
      await everything.stop();
      expect(admin.seen).toEqual([
        {
          data: {
            bookingUpdated: {
              resourceId: laser,
              booking: { status: "CONFIRMED", forSpaceId: owner.fabrique.id },
              request: null,
            },
          },
        },
        {
          data: {
            bookingUpdated: {
              resourceId: laser,
              booking: null,
              request: { status: "PENDING", direction: "INCOMING" },
            },
          },
        },
        {
          data: {
            bookingUpdated: {
              resourceId: laser,
              booking: { status: "CONFIRMED", forSpaceId: requester.fabrique.id },
              request: null,
            },
          },
        },
        {
          data: {
            bookingUpdated: {
              resourceId: laser,
              booking: null,
              request: { status: "CONFIRMED", direction: "INCOMING" },
            },
          },
        },
        {
          data: {
            bookingUpdated: {
              resourceId: room,
              booking: { status: "CONFIRMED", forSpaceId: owner.fabrique.id },
              request: null,
            },
          },
        },
      ]);
      expect(sat.seen).toEqual([]);
      const changed = (resourceId: string, startsAt: string | null, endsAt: string | null) => ({
        data: { resourceAvailabilityChanged: { resourceId, startsAt, endsAt } },
      });
      expect(availability.seen).toEqual([
        changed(laser, at(30), at(31)),
        changed(laser, at(40), at(41)),
        changed(laser, null, null),
      ]);
      expect(everything.seen).toEqual([
        changed(laser, at(30), at(31)),
        changed(laser, at(40), at(41)),
        changed(room, at(50), at(51)),
        changed(laser, null, null),
      ]);
      const member = await owner.token({ role: "MEMBER", memberId: "M1" });
      const refused = await owner.gql("query { bookingRequests { id } }", {}, member);
      expect(refused.data).toEqual({ bookingRequests: [] });
    });

    it("publishes an unpublished resource first when a booking of it is written", async () => {
      // A resource from before resources travelled, booked before the start's backfill ran.
      const old = "01JOLDRESOURCE000000000000";
      await owner.agent.store.query(
        `INSERT INTO resource (id, space_id, name, category, sharing_scope, min_minutes,
           max_minutes, lead_minutes, cancel_deadline_minutes, status, movable, published)
         VALUES ($1, $2, 'Vieille scie', 'MACHINE', 'NETWORK', 30, 240, 0, 0, 'AVAILABLE',
           FALSE, FALSE)`,
        [old, owner.fabrique.id],
      );
      await owner.agent.store.query(
        `INSERT INTO booking (id, resource_id, during, booked_for_space, status)
         VALUES ('01JOLDNEXT', $1, tstzrange($2::timestamptz, $3::timestamptz, '[)'), $4,
           'CONFIRMED')`,
        [old, at(30), at(32), owner.fabrique.id],
      );
      const booked = await ok(
        owner.gql<{ book: { id: string } }>(
          `mutation($r: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $s: ID) {
             book(resourceId: $r, startsAt: $startsAt, endsAt: $endsAt, forSpaceId: $s) { id } }`,
          { r: old, startsAt: at(34), endsAt: at(35), s: owner.fabrique.id },
          ownerAdmin,
        ),
      );
      expect((await outbox(owner)).map((e) => [e.entity, e.entityId])).toEqual([
        ["RESOURCE", old],
        ["BOOKING", "01JOLDNEXT"],
        ["BOOKING", booked.book.id],
      ]);
      // The mark is cleared: nothing left for the backfill, and the hub accepts the bookings.
      expect(await owner.agent.services.resources.publishUnpublished()).toBe(0);
      await share();
      const free = await ok(availability(requester, requesterAdmin, old, at(29), at(36)));
      expect(free.resourceAvailability).toEqual([
        { startsAt: at(29), endsAt: at(30) },
        { startsAt: at(32), endsAt: at(34) },
        { startsAt: at(35), endsAt: at(36) },
      ]);
    });

    it("answers a re-routed request with the booking handed over, never booking it again", async () => {
      const ownerId = owner.credentials.identity.nodeId;
      const requesterId = requester.credentials.identity.nodeId;
      const former = "01JFORMEROWNER000000000000";
      const handed = "01JHANDEDRESOURCE000000000";
      // Approval required: a booking handed over answers without a person.
      const state = resourcePayload({
        spaceId: owner.fabrique.id,
        name: "Presse",
        approvalRequired: true,
      });
      // The requester asked the former owner, which confirmed both requests.
      appendTo(requester, {
        originNodeId: former,
        entity: "RESOURCE",
        entityId: handed,
        payload: state,
      });
      await pull(requester);
      const space = requester.fabrique.id;
      const kept = await ok(
        requestBooking({ resourceId: handed, startsAt: at(30), endsAt: at(31), forSpaceId: space }),
      );
      const withdrawn = await ok(
        requestBooking({ resourceId: handed, startsAt: at(40), endsAt: at(41), forSpaceId: space }),
      );
      const [keptId, withdrawnId] = [kept.requestBooking.id, withdrawn.requestBooking.id];
      appendTo(requester, {
        originNodeId: former,
        targetNodeId: requesterId,
        entity: "BOOKING_DECISION",
        entityId: withdrawnId,
        payload: {
          resourceId: handed,
          status: "CONFIRMED",
          reason: null,
          reasonCode: null,
          bookingId: "01JHB2",
          loan: null,
          decidedAt: new Date().toISOString(),
        },
      });
      await pull(requester);
      await ok(
        requester.gql(
          `mutation($id: ID!) { cancelBookingRequest(id: $id) { id } }`,
          { id: withdrawnId },
          requesterAdmin,
        ),
      );
      // The former owner pushed both bookings, died before its decision on the first, and
      // this node was enrolled in its place: the hub hands the resource and bookings over.
      const handover = (event: Record<string, unknown>) =>
        appendTo(owner, { originNodeId: null, targetNodeId: ownerId, ...event });
      handover({ entity: "RESOURCE", entityId: handed, payload: state });
      for (const [id, requestId, from, to] of [
        ["01JHB1", keptId, at(30), at(31)],
        ["01JHB2", withdrawnId, at(40), at(41)],
      ] as const) {
        handover({
          entity: "BOOKING",
          entityId: id,
          payload: {
            resourceId: handed,
            kind: "BOOKING",
            startsAt: from,
            endsAt: to,
            status: "CONFIRMED",
            requestId,
          },
        });
      }
      await pull(owner);
      // The requests reach the new owner (the second, withdrawn, in the same pull).
      await push(requester);
      await pull(owner);
      const incoming = await requests(owner, ownerAdmin, "INCOMING");
      expect(incoming.map((r) => [r.id, r.status, r.reasonCode, r.bookingId])).toEqual([
        [keptId, "CONFIRMED", null, "01JHB1"],
        [withdrawnId, "CANCELLED", "CANCELLED_BY_REQUESTER", "01JHB2"],
      ]);
      expect(
        (await outbox(owner)).map((e) => [
          e.entity,
          e.entityId,
          (e.payload as { status: string }).status,
        ]),
      ).toEqual([
        ["BOOKING_DECISION", keptId, "CONFIRMED"],
        ["BOOKING", "01JHB2", "CANCELLED"],
        ["BOOKING_DECISION", withdrawnId, "CANCELLED"],
      ]);
      const bookings = await owner.agent.store.query<{ id: string; status: string }>(
        "SELECT id, status FROM booking WHERE resource_id = $1 ORDER BY id",
        [handed],
      );
      expect(bookings).toEqual([
        { id: "01JHB1", status: "CONFIRMED" },
        { id: "01JHB2", status: "CANCELLED" },
      ]);
      expect(await owner.agent.services.bookingRequests.decidePending()).toBe(0);

      // The hub tells the requester who owns the resource now; the decisions come back.
      appendTo(requester, {
        originNodeId: ownerId,
        entity: "RESOURCE",
        entityId: handed,
        payload: state,
      });
      await push(owner);
      await pull(requester);
      const outgoing = await requests(requester, requesterAdmin, "OUTGOING");
      expect(outgoing.map((r) => [r.id, r.status, r.bookingId, r.ownerNodeId])).toEqual([
        [keptId, "CONFIRMED", "01JHB1", ownerId],
        [withdrawnId, "CANCELLED", "01JHB2", ownerId],
      ]);
    });

    it("declines without a person what a person could only decline", async () => {
      const ownerId = owner.credentials.identity.nodeId;
      const requesterId = requester.credentials.identity.nodeId;
      const local = await createResource({
        name: "Atelier bois",
        sharingScope: "LOCAL",
        approvalRequired: true,
      });
      const retired = await createResource({
        name: "Vieux tour",
        status: "RETIRED",
        approvalRequired: true,
      });
      const truck = await createResource({ name: "Camion", approvalRequired: true });
      await push(owner);
      // Routed by the hub like any request (another network's LOCAL resource is not known
      // there: a request for it comes from a stale or forged client).
      const routed = (id: string, resourceId: string) =>
        appendTo(owner, {
          originNodeId: requesterId,
          targetNodeId: ownerId,
          entity: "BOOKING_REQUEST",
          entityId: id,
          payload: {
            resourceId,
            kind: "BOOKING",
            startsAt: at(30),
            endsAt: at(31),
            forMemberId: null,
            forSpaceId: requester.fabrique.id,
            cancelled: false,
          },
        });
      routed("01JREQLOCAL000000000000000", local);
      routed("01JREQRETIRED0000000000000", retired);
      routed("01JREQTRUCK000000000000000", truck);
      await pull(owner);
      const answers = async () =>
        (await requests(owner, ownerAdmin, "INCOMING")).map((r) => [r.id, r.status, r.reasonCode]);
      expect(await answers()).toEqual([
        ["01JREQLOCAL000000000000000", "DECLINED", "RESOURCE_NOT_SHARED"],
        ["01JREQRETIRED0000000000000", "DECLINED", "RESOURCE_NOT_AVAILABLE"],
        // The rest waits for a person.
        ["01JREQTRUCK000000000000000", "PENDING", null],
      ]);
      // Retired while it waited: the decider's next run declines it.
      await ok(
        owner.gql(
          "mutation($id: ID!) { updateResource(id: $id, input: { status: RETIRED }) { id } }",
          { id: truck },
          ownerAdmin,
        ),
      );
      expect(await owner.agent.services.bookingRequests.decidePending()).toBe(1);
      expect((await answers())[2]).toEqual([
        "01JREQTRUCK000000000000000",
        "DECLINED",
        "RESOURCE_NOT_AVAILABLE",
      ]);
    });

    it("runs one decision at a time, one more queued, and stops after the one going on", async () => {
      const spare = await startTestAgent(backend, { sharedHubOf: owner, fabriqueName: "Annexe" });
      const errors: unknown[] = [];
      const onRejection = (reason: unknown) => errors.push(reason);
      process.on("unhandledRejection", onRejection);
      const spy = vi.spyOn(bookingRequestRepository, "awaitingOwner");
      try {
        const spareAdmin = await spare.admin();
        const made = await ok(
          spare.gql<{ createResource: { id: string } }>(
            `mutation($input: CreateResourceInput!) { createResource(input: $input) { id } }`,
            {
              input: {
                spaceId: spare.fabrique.id,
                name: "Imprimante 3D",
                category: "MACHINE",
                sharingScope: "NETWORK",
                rules: { minMinutes: 30, maxMinutes: 240 },
              },
            },
            spareAdmin,
          ),
        );
        await push(spare);
        await pull(requester);
        for (let i = 0; i < 6; i += 1) {
          await ok(
            requestBooking({
              resourceId: made.createResource.id,
              startsAt: at(30 + 2 * i),
              endsAt: at(31 + 2 * i),
              forSpaceId: requester.fabrique.id,
            }),
          );
        }
        await push(requester);
        // Pulled, not decided (a crash right after the pull).
        expect((await spare.newEngine({}, { onPulled: null }).pullNow()).kind).toBe("caught-up");

        const decider = spare.agent.services.bookingRequests;
        spy.mockClear();
        const runs = [decider.decidePending(), decider.decidePending(), decider.decidePending()];
        // The agent stops while the first run goes on: it ends before the store closes.
        await spare.agent.stop();
        expect(await Promise.all(runs)).toEqual([6, 0, 0]);
        // The first run, and none after: the queued one does not start once stopped.
        expect(spy).toHaveBeenCalledTimes(1);
        expect(await decider.decidePending()).toBe(0);
      } finally {
        spy.mockRestore();
        await spare.close();
        await new Promise((resolve) => setTimeout(resolve, 20));
        process.off("unhandledRejection", onRejection);
      }
      expect(errors).toEqual([]);
    });

    it("queues at most one decider run behind the one going on", async () => {
      const spy = vi.spyOn(bookingRequestRepository, "awaitingOwner");
      try {
        const decider = owner.agent.services.bookingRequests;
        const runs = [1, 2, 3, 4].map(() => decider.decidePending());
        expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
        expect(spy).toHaveBeenCalledTimes(2);
      } finally {
        spy.mockRestore();
      }
    });
  });
}
