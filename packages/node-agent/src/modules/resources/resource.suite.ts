import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Backend, startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { resourceRepository } from "./resource.repository.ts";

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
    /** The next whole hour, fixed per test (a test crossing an hour keeps its slots). */
    let base = 0;
    beforeEach(async () => {
      await t.reset();
      base = Math.ceil(Date.now() / HOUR) * HOUR;
    });

    type Errors = { errors?: { extensions?: Record<string, unknown> & { code?: string } }[] };
    const codes = (r: Errors) => r.errors?.map((e) => e.extensions?.code);
    const reasons = (r: Errors) => r.errors?.map((e) => e.extensions?.reason);
    const BOOKING = "id resourceId startsAt endsAt forMemberId forSpaceId status";
    const HOUR = 3_600_000;
    /** A whole hour, `hours` from now (tomorrow and beyond: clear of any lead time used below). */
    const at = (hours: number) => new Date(base + hours * HOUR).toISOString();

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
           id spaceId name category sharingScope
           rules { minMinutes maxMinutes leadMinutes cancelDeadlineMinutes }
           status movable requiredCredential description } }`,
        {
          input: {
            spaceId: t.fabrique.id,
            name: "Découpeuse laser",
            category: "MACHINE",
            ...input,
            rules: { minMinutes: 30, maxMinutes: 240, ...(input.rules as object) },
          },
        },
        admin,
      );
      expect(r.errors).toBeUndefined();
      return r.data?.createResource as Record<string, unknown> & { id: string };
    }

    function book(args: Record<string, unknown>, token = admin) {
      return t.gql<{ book: Record<string, unknown> & { id: string } }>(
        `mutation($resourceId: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $forMemberId: ID, $forSpaceId: ID) {
           book(resourceId: $resourceId, startsAt: $startsAt, endsAt: $endsAt, forMemberId: $forMemberId, forSpaceId: $forSpaceId) { ${BOOKING} } }`,
        { forSpaceId: t.fabrique.id, ...args },
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
        rules: { minMinutes: 30, maxMinutes: 240, leadMinutes: 0, cancelDeadlineMinutes: 0 },
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
      // Rules are grouped as at the hub; a change of one rule keeps the others.
      const ruled = await t.gql<{ updateResource: Record<string, unknown> }>(
        `mutation($id: ID!) { updateResource(id: $id, input: { rules: { leadMinutes: 90 } })
           { rules { minMinutes maxMinutes leadMinutes cancelDeadlineMinutes } ownerNodeId } }`,
        { id: laser.id },
        admin,
      );
      expect(ruled.data?.updateResource).toEqual({
        rules: { minMinutes: 30, maxMinutes: 240, leadMinutes: 90, cancelDeadlineMinutes: 0 },
        ownerNodeId: t.credentials.identity.nodeId,
      });
      // The hosting space, like the hub's Resource.space, for a caller who may see it.
      const hosted = (token: string) =>
        t.gql<{ resources: Record<string, unknown>[] }>(
          "query($id: ID!) { resources(spaceId: $id) { spaceId space { id kind fabriqueId } } }",
          { id: sat },
          token,
        );
      expect((await hosted(admin)).data?.resources).toEqual([
        { spaceId: sat, space: { id: sat, kind: "SATELLITE", fabriqueId: t.fabrique.id } },
      ]);
      const member = await t.token({ role: "MEMBER", memberId: "M1" });
      const listed = await t.gql<{ resources: { name: string }[] }>(
        "query($id: ID!) { resources(spaceId: $id) { name movable } }",
        { id: sat },
        member,
      );
      expect(listed.data?.resources).toEqual([{ name: "Kit de portables", movable: true }]);
      expect((await hosted(member)).data?.resources).toEqual([{ spaceId: sat, space: null }]);

      // The rules are checked; a satellite's token does not manage resources.
      const bad = await t.gql(
        `mutation($s: ID!) { createResource(input: { spaceId: $s, name: "x", category: ROOM, rules: { minMinutes: 60, maxMinutes: 30 } }) { id } }`,
        { s: t.fabrique.id },
        admin,
      );
      expect(bad.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "rules.maxMinutes",
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
            startsAt: new Date(Date.parse(at(24)) + i * 60_000).toISOString(),
            endsAt: at(26),
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
      const first = await book({ resourceId: room.id, startsAt: at(30), endsAt: at(31) });
      const next = await book({ resourceId: room.id, startsAt: at(31), endsAt: at(32) });
      expect(first.errors).toBeUndefined();
      expect(next.errors).toBeUndefined();
      expect(first.data?.book).toMatchObject({
        startsAt: at(30),
        endsAt: at(31),
        forSpaceId: t.fabrique.id,
        forMemberId: null,
      });
      const overlapping = await book({ resourceId: room.id, startsAt: at(30.5), endsAt: at(31.5) });
      expect(reasons(overlapping)).toEqual(["SLOT_TAKEN"]);

      const cancelled = await cancel(first.data?.book.id as string);
      expect(cancelled.data?.cancelBooking.status).toBe("CANCELLED");
      const twice = await cancel(first.data?.book.id as string);
      expect(reasons(twice)).toEqual(["ALREADY_CANCELLED"]);
      // docs/errors.md: cancelling what is already cancelled is an invalid transition.
      expect(twice.errors?.[0]?.extensions).toMatchObject({
        code: "INVALID_TRANSITION",
        status: "CANCELLED",
      });
      const again = await book({ resourceId: room.id, startsAt: at(29.5), endsAt: at(30.5) });
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
        rules: { minMinutes: 60, maxMinutes: 180, leadMinutes: 48 * 60 },
      });
      const refusal = async (args: Record<string, unknown>) => {
        const r = await book({ resourceId: van.id, ...args });
        return `${codes(r)?.[0]}/${r.errors?.[0]?.extensions?.reason}`;
      };
      expect(await refusal({ startsAt: at(72), endsAt: at(72.5) })).toBe(
        "BOOKING_RULE_VIOLATION/DURATION_OUT_OF_RANGE",
      );
      expect(await refusal({ startsAt: at(72), endsAt: at(76) })).toBe(
        "BOOKING_RULE_VIOLATION/DURATION_OUT_OF_RANGE",
      );
      expect(await refusal({ startsAt: at(24), endsAt: at(25) })).toBe(
        "BOOKING_RULE_VIOLATION/LEAD_TIME",
      );
      expect(await refusal({ startsAt: at(73), endsAt: at(72) })).toBe(
        "BAD_USER_INPUT/INVALID_RANGE",
      );
      expect(await refusal({ startsAt: at(72), endsAt: at(72) })).toBe(
        "BAD_USER_INPUT/INVALID_RANGE",
      );
      const both = await book({
        resourceId: van.id,
        startsAt: at(72),
        endsAt: at(73),
        forMemberId: "M1",
      });
      expect(codes(both)).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await book({ resourceId: "NOPE", startsAt: at(72), endsAt: at(73) }))).toEqual([
        "NOT_FOUND",
      ]);
      expect(
        codes(
          await book({ resourceId: van.id, startsAt: at(72), endsAt: at(73), forSpaceId: "NOPE" }),
        ),
      ).toEqual(["NOT_FOUND"]);

      await t.gql(
        "mutation($id: ID!) { updateResource(id: $id, input: { status: MAINTENANCE }) { id } }",
        { id: van.id },
        admin,
      );
      expect(await refusal({ startsAt: at(72), endsAt: at(73) })).toBe(
        "RESOURCE_NOT_AVAILABLE/RESOURCE_NOT_AVAILABLE",
      );
      expect(await rows(van.id)).toEqual([]);
    });

    it("refuses a cancellation past the deadline", async () => {
      const desk = await createResource({
        name: "Poste 3",
        category: "DESK",
        rules: { cancelDeadlineMinutes: 48 * 60 },
      });
      const soon = await book({ resourceId: desk.id, startsAt: at(24), endsAt: at(25) });
      const later = await book({ resourceId: desk.id, startsAt: at(96), endsAt: at(97) });
      const late = await cancel(soon.data?.book.id as string);
      expect(codes(late)).toEqual(["CANCEL_DEADLINE_PASSED"]);
      expect(late.errors?.[0]?.extensions).toMatchObject({ reason: "CANCEL_DEADLINE_PASSED" });
      expect((await cancel(later.data?.book.id as string)).errors).toBeUndefined();
      expect((await rows(desk.id)).map((b) => b.status)).toEqual(["CONFIRMED", "CANCELLED"]);
    });

    /** The Europe/Paris wall clock of an instant: "YYYY-MM-DD HH:MM" and its weekday (Mon…). */
    const PARIS = new Intl.DateTimeFormat("en-US", {
      timeZone: "Europe/Paris",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
      hourCycle: "h23",
    });
    const paris = (ms: number) => {
      const p = Object.fromEntries(PARIS.formatToParts(ms).map((x) => [x.type, x.value]));
      return { wall: `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`, weekday: p.weekday };
    };
    /** The instant (ISO) at which Paris shows `date` `time` (YYYY-MM-DD, HH:MM). */
    const inParis = (date: string, time: string) => {
      const naive = Date.parse(`${date}T${time}:00Z`);
      // Paris is UTC+1 or UTC+2: one of the two shows the wanted wall clock.
      for (const offset of [1, 2]) {
        const instant = naive - offset * HOUR;
        if (paris(instant).wall === `${date} ${time}`) return new Date(instant).toISOString();
      }
      throw new Error(`no instant shows ${date} ${time} in Paris`);
    };
    /** The Paris date of the first `weekday` (Mon…) at least `days` days from now. */
    const nextParisDay = (weekday: string, days: number) => {
      for (let d = days; d < days + 7; d++) {
        const p = paris(Date.now() + d * 24 * HOUR);
        if (p.weekday === weekday) return p.wall.slice(0, 10);
      }
      throw new Error(`no ${weekday}`);
    };
    const plusDays = (date: string, days: number) =>
      new Date(Date.parse(`${date}T00:00:00Z`) + days * 24 * HOUR).toISOString().slice(0, 10);

    it("books inside RRULE windows only, never on a closure day", async () => {
      // At least a week ahead: clear of the lead time, and Monday, Tuesday, Wednesday in order.
      const tuesday = nextParisDay("Tue", 8);
      const monday = plusDays(tuesday, -1);
      const wednesday = plusDays(tuesday, 1);
      const nextWednesday = plusDays(tuesday, 8);
      const room = await createResource({
        name: "Salle de réunion",
        category: "ROOM",
        rules: { leadMinutes: 24 * 60 },
        windows: [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA", opens: "09:00", closes: "18:00" }],
        closures: [{ from: wednesday }, { from: plusDays(tuesday, 15), to: plusDays(tuesday, 20) }],
      });
      const read = await t.gql<{ resources: Record<string, unknown>[] }>(
        "query($id: ID!) { resources(spaceId: $id) { windows { rrule opens closes } closures { from to } } }",
        { id: t.fabrique.id },
        admin,
      );
      expect(read.data?.resources).toEqual([
        {
          windows: [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA", opens: "09:00", closes: "18:00" }],
          closures: [
            { from: wednesday, to: wednesday },
            { from: plusDays(tuesday, 15), to: plusDays(tuesday, 20) },
          ],
        },
      ]);

      const slot = (date: string, from: string, to: string) => ({
        resourceId: room.id,
        startsAt: inParis(date, from),
        endsAt: inParis(date, to),
      });
      const refusal = async (args: Record<string, unknown>) => {
        const r = await book(args);
        return `${codes(r)?.[0]}/${r.errors?.[0]?.extensions?.reason}`;
      };
      const outside = "BOOKING_RULE_VIOLATION/OUTSIDE_AVAILABILITY";
      expect(await refusal(slot(monday, "10:00", "12:00"))).toBe(outside);
      expect(await refusal(slot(tuesday, "17:00", "19:00"))).toBe(outside);
      expect(await refusal(slot(tuesday, "08:30", "10:00"))).toBe(outside);
      expect(await refusal(slot(wednesday, "10:00", "12:00"))).toBe(outside);
      expect(await refusal(slot(plusDays(tuesday, 17), "10:00", "12:00"))).toBe(outside);
      expect(await rows(room.id)).toEqual([]);

      const ok = await book(slot(tuesday, "10:00", "12:00"));
      expect(ok.errors).toBeUndefined();
      expect(paris(Date.parse(ok.data?.book.startsAt as string)).wall).toBe(`${tuesday} 10:00`);
      // The edges of the window are inside it; the week after the closure is open again.
      expect((await book(slot(tuesday, "16:00", "18:00"))).errors).toBeUndefined();
      expect((await book(slot(nextWednesday, "09:00", "10:00"))).errors).toBeUndefined();

      // Without windows (cleared by an update) the resource is bookable any time again.
      const cleared = await t.gql<{ updateResource: { windows: unknown[] } }>(
        "mutation($id: ID!) { updateResource(id: $id, input: { windows: [] }) { windows { rrule } } }",
        { id: room.id },
        admin,
      );
      expect(cleared.data?.updateResource.windows).toEqual([]);
      expect((await book(slot(monday, "10:00", "12:00"))).errors).toBeUndefined();
    });

    it("refuses availability rules outside the documented subset", async () => {
      const create = (input: Record<string, unknown>) =>
        t.gql(
          "mutation($input: CreateResourceInput!) { createResource(input: $input) { id } }",
          { input: { spaceId: t.fabrique.id, name: "x", category: "ROOM", ...input } },
          admin,
        );
      const field = async (input: Record<string, unknown>) => {
        const r = await create(input);
        return `${codes(r)?.[0]}/${r.errors?.[0]?.extensions?.field}`;
      };
      const window = { rrule: "FREQ=WEEKLY;BYDAY=TU", opens: "09:00", closes: "18:00" };
      expect(await field({ windows: [{ ...window, rrule: "FREQ=DAILY" }] })).toBe(
        "BAD_USER_INPUT/windows.0.rrule",
      );
      expect(await field({ windows: [window, { ...window, rrule: "FREQ=WEEKLY;BYDAY=XX" }] })).toBe(
        "BAD_USER_INPUT/windows.1.rrule",
      );
      expect(
        await field({ windows: [{ ...window, rrule: "FREQ=WEEKLY;BYDAY=MO;INTERVAL=2" }] }),
      ).toBe("BAD_USER_INPUT/windows.0.rrule");
      expect(await field({ windows: [{ ...window, rrule: "FREQ=WEEKLY" }] })).toBe(
        "BAD_USER_INPUT/windows.0.rrule",
      );
      expect(await field({ windows: [{ ...window, opens: "9h" }] })).toBe(
        "BAD_USER_INPUT/windows.0.opens",
      );
      expect(await field({ windows: [{ ...window, closes: "08:00" }] })).toBe(
        "BAD_USER_INPUT/windows.0.closes",
      );
      expect(await field({ closures: [{ from: "2026-02-30" }] })).toBe(
        "BAD_USER_INPUT/closures.0.from",
      );
      expect(await field({ closures: [{ from: "2026-03-02", to: "2026-03-01" }] })).toBe(
        "BAD_USER_INPUT/closures.0.to",
      );
      const ok = await create({
        windows: [{ ...window, rrule: "BYDAY=SU,MO;FREQ=WEEKLY", closes: "24:00" }],
      });
      expect(ok.errors).toBeUndefined();
    });

    it("lets a satellite book for its own space only", async () => {
      const own = await createSatellite("Le Bercail");
      const other = await createSatellite("La Grange");
      const sat = await t.token({ role: "SATELLITE", spaceId: own });
      const laser = await createResource();
      const slot = { resourceId: laser.id, startsAt: at(30), endsAt: at(31) };

      expect(codes(await book({ ...slot, forSpaceId: other }, sat))).toEqual(["FORBIDDEN"]);
      expect(codes(await book({ ...slot, forSpaceId: null, forMemberId: "M1" }, sat))).toEqual([
        "FORBIDDEN",
      ]);
      const member = await t.token({ role: "MEMBER", memberId: "M1" });
      expect(codes(await book({ ...slot, forSpaceId: own }, member))).toEqual(["FORBIDDEN"]);
      expect(await rows(laser.id)).toEqual([]);

      const mine = await book({ ...slot, forSpaceId: own }, sat);
      expect(mine.errors).toBeUndefined();
      const theirs = await book({ ...slot, startsAt: at(31), endsAt: at(32), forSpaceId: other });
      expect(theirs.errors).toBeUndefined();
      // It sees and cancels its own bookings, not the others'.
      const seen = await t.gql<{ bookings: { forSpaceId: string }[] }>(
        "query($id: ID!) { bookings(resourceId: $id) { forSpaceId } }",
        { id: laser.id },
        sat,
      );
      expect(seen.data?.bookings).toEqual([{ forSpaceId: own }]);
      expect(codes(await cancel(theirs.data?.book.id as string, sat))).toEqual(["NOT_FOUND"]);
      expect((await cancel(mine.data?.book.id as string, sat)).errors).toBeUndefined();
    });
  });
}
