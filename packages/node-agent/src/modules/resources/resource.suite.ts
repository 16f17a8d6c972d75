import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resourceRepository } from "../../store/resource.repository.ts";
import { type Backend, startTestAgent, type TestAgent } from "../../testing/fixture.ts";

/**
 * Shared resources at their owner, on every storage backend (resource.test.ts: PGlite,
 * resource.integration.test.ts: PostgreSQL): the exclusion constraint against double booking
 * (50 concurrent requests, one winner), half-open slots, the booking rules and their refusals
 * that write nothing, cancellation and its deadline, a satellite's limits.
 */
export function registerResourceTests(backend: Backend) {
  describe(`resources (${backend})`, () => {
    let t: TestAgent;
    let admin: string;

    beforeAll(async () => {
      t = await startTestAgent(backend);
      admin = await t.admin();
    });
    afterAll(() => t?.close());
    beforeEach(() => t.reset());

    type Errors = { errors?: { extensions?: Record<string, unknown> & { code?: string } }[] };
    const codes = (r: Errors) => r.errors?.map((e) => e.extensions?.code);
    const reasons = (r: Errors) => r.errors?.map((e) => e.extensions?.reason);
    const BOOKING = "id resourceId from to forMember forSpace status";
    const HOUR = 3_600_000;
    /** A whole hour, `hours` from now (tomorrow and beyond: clear of any lead time used below). */
    const at = (hours: number) =>
      new Date(Math.ceil(Date.now() / HOUR) * HOUR + hours * HOUR).toISOString();

    async function createSatellite(name: string) {
      const r = await t.gql<{ createSatellite: { id: string } }>(
        "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
        { input: { name, communeCode: "07186" } },
        admin,
      );
      expect(r.errors).toBeUndefined();
      return r.data?.createSatellite.id as string;
    }

    async function createResource(input: Record<string, unknown> = {}) {
      const r = await t.gql<{ createResource: Record<string, unknown> & { id: string } }>(
        `mutation($input: CreateResourceInput!) { createResource(input: $input) {
           id spaceId name category sharingScope minMinutes maxMinutes leadMinutes
           cancelDeadlineMinutes status movable requiredCredential description } }`,
        {
          input: {
            spaceId: t.fabrique.id,
            name: "Découpeuse laser",
            category: "MACHINE",
            minMinutes: 30,
            maxMinutes: 240,
            ...input,
          },
        },
        admin,
      );
      expect(r.errors).toBeUndefined();
      return r.data?.createResource as Record<string, unknown> & { id: string };
    }

    function book(args: Record<string, unknown>, token = admin) {
      return t.gql<{ book: Record<string, unknown> & { id: string } }>(
        `mutation($resourceId: ID!, $from: DateTime!, $to: DateTime!, $forMember: ID, $forSpace: ID) {
           book(resourceId: $resourceId, from: $from, to: $to, forMember: $forMember, forSpace: $forSpace) { ${BOOKING} } }`,
        { forSpace: t.fabrique.id, ...args },
        token,
      );
    }

    function cancel(id: string, token = admin) {
      return t.gql<{ cancelBooking: { id: string; status: string } }>(
        "mutation($id: ID!) { cancelBooking(id: $id) { id status } }",
        { id },
        token,
      );
    }

    const rows = (resourceId: string) => resourceRepository.bookingsOf(t.agent.store, resourceId);

    it("creates, lists and changes resources of the network's spaces", async () => {
      const sat = await createSatellite("Le Bercail");
      const laser = await createResource();
      expect(laser).toMatchObject({
        spaceId: t.fabrique.id,
        category: "MACHINE",
        sharingScope: "LOCAL",
        status: "AVAILABLE",
        movable: false,
        leadMinutes: 0,
        requiredCredential: null,
      });
      await createResource({
        spaceId: sat,
        name: "Kit de portables",
        category: "KIT",
        movable: true,
      });
      const updated = await t.gql<{ updateResource: Record<string, unknown> }>(
        `mutation($id: ID!) { updateResource(id: $id, input: { status: MAINTENANCE, description: "buse changée" })
           { name status description } }`,
        { id: laser.id },
        admin,
      );
      expect(updated.data?.updateResource).toEqual({
        name: "Découpeuse laser",
        status: "MAINTENANCE",
        description: "buse changée",
      });
      const member = await t.token({ role: "MEMBER", memberId: "M1" });
      const listed = await t.gql<{ resources: { name: string }[] }>(
        "query($id: ID!) { resources(spaceId: $id) { name movable } }",
        { id: sat },
        member,
      );
      expect(listed.data?.resources).toEqual([{ name: "Kit de portables", movable: true }]);

      // The rules are checked; a satellite's token does not manage resources.
      const bad = await t.gql(
        `mutation($s: ID!) { createResource(input: { spaceId: $s, name: "x", category: ROOM, minMinutes: 60, maxMinutes: 30 }) { id } }`,
        { s: t.fabrique.id },
        admin,
      );
      expect(bad.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "maxMinutes",
      });
      const satToken = await t.token({ role: "SATELLITE", spaceId: sat });
      const bySat = await t.gql(
        `mutation($id: ID!) { updateResource(id: $id, input: { status: RETIRED }) { id } }`,
        { id: laser.id },
        satToken,
      );
      expect(codes(bySat)).toEqual(["FORBIDDEN"]);
      expect(
        codes(
          await t.gql(
            `mutation { createResource(input: { spaceId: "NOPE", name: "x", category: ROOM }) { id } }`,
            {},
            admin,
          ),
        ),
      ).toEqual(["NOT_FOUND"]);
    });

    it("confirms exactly one of 50 concurrent overlapping requests", async () => {
      const laser = await createResource();
      const attempts = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          // Every slot covers [+25h, +26h]: all overlap, none equal to another.
          book({
            resourceId: laser.id,
            from: new Date(Date.parse(at(24)) + i * 60_000).toISOString(),
            to: at(26),
          }),
        ),
      );
      const confirmed = attempts.filter((r) => r.errors === undefined);
      const refused = attempts.filter((r) => r.errors !== undefined);
      expect(confirmed).toHaveLength(1);
      expect(confirmed[0]?.data?.book.status).toBe("CONFIRMED");
      expect(refused).toHaveLength(49);
      for (const r of refused) {
        expect(r.errors?.[0]?.extensions).toMatchObject({
          code: "SLOT_TAKEN",
          reason: "SLOT_TAKEN",
        });
      }
      const stored = await rows(laser.id);
      expect(stored).toHaveLength(1);
      expect(stored[0]?.id).toBe(confirmed[0]?.data?.book.id);
    });

    it("lets adjacent slots both stand, and a cancellation free the slot", async () => {
      const room = await createResource({ name: "Salle de réunion", category: "ROOM" });
      const first = await book({ resourceId: room.id, from: at(30), to: at(31) });
      const next = await book({ resourceId: room.id, from: at(31), to: at(32) });
      expect(first.errors).toBeUndefined();
      expect(next.errors).toBeUndefined();
      expect(first.data?.book).toMatchObject({
        from: at(30),
        to: at(31),
        forSpace: t.fabrique.id,
        forMember: null,
      });
      const overlapping = await book({ resourceId: room.id, from: at(30.5), to: at(31.5) });
      expect(reasons(overlapping)).toEqual(["SLOT_TAKEN"]);

      const cancelled = await cancel(first.data?.book.id as string);
      expect(cancelled.data?.cancelBooking.status).toBe("CANCELLED");
      expect(reasons(await cancel(first.data?.book.id as string))).toEqual(["ALREADY_CANCELLED"]);
      const again = await book({ resourceId: room.id, from: at(29.5), to: at(30.5) });
      expect(again.errors).toBeUndefined();
      expect((await rows(room.id)).map((b) => b.status)).toEqual([
        "CONFIRMED",
        "CANCELLED",
        "CONFIRMED",
      ]);
    });

    it("refuses what breaks the rules, writing nothing", async () => {
      const van = await createResource({
        name: "Camion",
        category: "VEHICLE",
        minMinutes: 60,
        maxMinutes: 180,
        leadMinutes: 48 * 60,
      });
      const refusal = async (args: Record<string, unknown>) => {
        const r = await book({ resourceId: van.id, ...args });
        return `${codes(r)?.[0]}/${r.errors?.[0]?.extensions?.reason}`;
      };
      expect(await refusal({ from: at(72), to: at(72.5) })).toBe(
        "BOOKING_RULE_VIOLATION/DURATION_OUT_OF_RANGE",
      );
      expect(await refusal({ from: at(72), to: at(76) })).toBe(
        "BOOKING_RULE_VIOLATION/DURATION_OUT_OF_RANGE",
      );
      expect(await refusal({ from: at(24), to: at(25) })).toBe("BOOKING_RULE_VIOLATION/LEAD_TIME");
      expect(await refusal({ from: at(73), to: at(72) })).toBe("BAD_USER_INPUT/INVALID_RANGE");
      expect(await refusal({ from: at(72), to: at(72) })).toBe("BAD_USER_INPUT/INVALID_RANGE");
      const both = await book({ resourceId: van.id, from: at(72), to: at(73), forMember: "M1" });
      expect(codes(both)).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await book({ resourceId: "NOPE", from: at(72), to: at(73) }))).toEqual([
        "NOT_FOUND",
      ]);
      expect(
        codes(await book({ resourceId: van.id, from: at(72), to: at(73), forSpace: "NOPE" })),
      ).toEqual(["NOT_FOUND"]);

      await t.gql(
        "mutation($id: ID!) { updateResource(id: $id, input: { status: MAINTENANCE }) { id } }",
        { id: van.id },
        admin,
      );
      expect(await refusal({ from: at(72), to: at(73) })).toBe(
        "RESOURCE_NOT_AVAILABLE/RESOURCE_NOT_AVAILABLE",
      );
      expect(await rows(van.id)).toEqual([]);
    });

    it("refuses a cancellation past the deadline", async () => {
      const desk = await createResource({
        name: "Poste 3",
        category: "DESK",
        cancelDeadlineMinutes: 48 * 60,
      });
      const soon = await book({ resourceId: desk.id, from: at(24), to: at(25) });
      const later = await book({ resourceId: desk.id, from: at(96), to: at(97) });
      const late = await cancel(soon.data?.book.id as string);
      expect(codes(late)).toEqual(["CANCEL_DEADLINE_PASSED"]);
      expect(late.errors?.[0]?.extensions).toMatchObject({ reason: "CANCEL_DEADLINE_PASSED" });
      expect((await cancel(later.data?.book.id as string)).errors).toBeUndefined();
      expect((await rows(desk.id)).map((b) => b.status)).toEqual(["CONFIRMED", "CANCELLED"]);
    });

    it("lets a satellite book for its own space only", async () => {
      const own = await createSatellite("Le Bercail");
      const other = await createSatellite("La Grange");
      const sat = await t.token({ role: "SATELLITE", spaceId: own });
      const laser = await createResource();
      const slot = { resourceId: laser.id, from: at(30), to: at(31) };

      expect(codes(await book({ ...slot, forSpace: other }, sat))).toEqual(["FORBIDDEN"]);
      expect(codes(await book({ ...slot, forSpace: null, forMember: "M1" }, sat))).toEqual([
        "FORBIDDEN",
      ]);
      const member = await t.token({ role: "MEMBER", memberId: "M1" });
      expect(codes(await book({ ...slot, forSpace: own }, member))).toEqual(["FORBIDDEN"]);
      expect(await rows(laser.id)).toEqual([]);

      const mine = await book({ ...slot, forSpace: own }, sat);
      expect(mine.errors).toBeUndefined();
      const theirs = await book({ ...slot, from: at(31), to: at(32), forSpace: other });
      expect(theirs.errors).toBeUndefined();
      // It sees and cancels its own bookings, not the others'.
      const seen = await t.gql<{ bookings: { forSpace: string }[] }>(
        "query($id: ID!) { bookings(resourceId: $id) { forSpace } }",
        { id: laser.id },
        sat,
      );
      expect(seen.data?.bookings).toEqual([{ forSpace: own }]);
      expect(codes(await cancel(theirs.data?.book.id as string, sat))).toEqual(["NOT_FOUND"]);
      expect((await cancel(mine.data?.book.id as string, sat)).errors).toBeUndefined();
    });
  });
}
