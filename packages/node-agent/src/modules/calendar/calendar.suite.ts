// Registers the calendar's GraphQL fields before the fixture's app builds the schema (also
// imported by graphql/schema.ts once wired; a second import changes nothing).
import "./calendar.graphql.ts";
import { ulid } from "ulid";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Viewer } from "../../context.ts";
import { type Backend, startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { handleCalendarRequest } from "./calendar.http.ts";
import { type CalendarService, createCalendarService } from "./calendar.service.ts";

/**
 * Calendar feeds on every storage backend (calendar.test.ts: PGlite,
 * calendar.integration.test.ts: PostgreSQL): a feed fetched over HTTP shows the confirmed
 * bookings of its resource or space and nothing else, the same 404 for an unknown feed, a
 * wrong token and a revoked feed, the rights of the fabrique's team and of a satellite, and no
 * member's personal data in any feed.
 */
export function registerCalendarTests(backend: Backend) {
  describe(`calendar feeds (${backend})`, () => {
    let t: TestAgent;
    let admin: string;
    let calendar: CalendarService;
    const DAY = 86_400_000;
    const NOW = new Date();

    beforeAll(async () => {
      t = await startTestAgent(backend);
      admin = await t.admin();
      calendar = createCalendarService({
        store: t.agent.store,
        fabriqueId: t.fabrique.id,
        fabriqueName: t.fabrique.name,
        now: () => NOW,
      });
    });
    afterAll(() => t?.close());
    beforeEach(async () => {
      await t.reset();
      // The fixture's reset does not know this module's table yet.
      await t.agent.store.exec("DELETE FROM calendar_feed");
    });

    type Errors = { errors?: { extensions?: { code?: string } }[] };
    const codes = (r: Errors) => r.errors?.map((e) => e.extensions?.code);

    const viewer = (v: Partial<Viewer> & Pick<Viewer, "role">): Viewer =>
      ({ sub: `${v.role.toLowerCase()}:x`, fabriqueId: t.fabrique.id, exp: 0, ...v }) as Viewer;
    const adminViewer = () => viewer({ role: "FABRIQUE_ADMIN" });
    const satelliteViewer = (spaceId: string) => viewer({ role: "SATELLITE", spaceId });

    async function createSatellite(name: string) {
      const r = await t.gql<{ createSatellite: { id: string } }>(
        "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
        { input: { name, communeCode: "07186" } },
        admin,
      );
      expect(r.errors).toBeUndefined();
      return r.data?.createSatellite.id as string;
    }

    /** Straight in SQL (the columns of migration 0003 only). */
    async function createResource(spaceId: string, name: string) {
      const id = ulid();
      await t.agent.store.query(
        `INSERT INTO resource (id, space_id, name, category, sharing_scope, min_minutes,
           max_minutes, lead_minutes, cancel_deadline_minutes, status, movable)
         VALUES ($1, $2, $3, 'MACHINE', 'LOCAL', 15, 480, 0, 0, 'AVAILABLE', FALSE)`,
        [id, spaceId, name],
      );
      return id;
    }

    async function insertBooking(
      resourceId: string,
      from: Date,
      hours: number,
      forWhom: { member: string } | { space: string },
      status: "CONFIRMED" | "CANCELLED" = "CONFIRMED",
    ) {
      const id = ulid();
      const to = new Date(from.getTime() + hours * 3_600_000);
      await t.agent.store.query(
        `INSERT INTO booking (id, resource_id, during, booked_for_member, booked_for_space,
           status, cancelled_at)
         VALUES ($1, $2, tstzrange($3, $4, '[)'), $5, $6, $7,
           CASE WHEN $7 = 'CANCELLED' THEN now() END)`,
        [
          id,
          resourceId,
          from,
          to,
          "member" in forWhom ? forWhom.member : null,
          "space" in forWhom ? forWhom.space : null,
          status,
        ],
      );
      return id;
    }

    /** Whole hours `days` days from now (negative: in the past). */
    const inDays = (days: number, hour = 9) => {
      const d = new Date(NOW.getTime() + days * DAY);
      d.setUTCHours(hour, 0, 0, 0);
      return d;
    };

    function fetchFeed(path: string, method = "GET") {
      return handleCalendarRequest(new Request(`http://agent.test${path}`, { method }), {
        calendar,
      });
    }

    async function fetchText(path: string) {
      const response = await fetchFeed(path);
      expect(response).toBeDefined();
      return { status: response?.status, body: await response?.text(), response };
    }

    function gqlCreate(args: Record<string, unknown>, token = admin) {
      return t.gql<{
        createCalendarFeed: {
          feed: { id: string; target: string; targetId: string; revokedAt: string | null };
          url: string;
        };
      }>(
        `mutation($resourceId: ID, $spaceId: ID, $label: String) {
           createCalendarFeed(resourceId: $resourceId, spaceId: $spaceId, label: $label) {
             feed { id target targetId label createdAt revokedAt } url } }`,
        args,
        token,
      );
    }

    const uids = (ics: string | undefined) =>
      [...(ics ?? "").matchAll(/^UID:(.+)@maillage\r$/gm)].map((m) => m[1]);

    it("serves a resource's confirmed bookings as iCalendar, through GraphQL and HTTP", async () => {
      const laser = await createResource(t.fabrique.id, "Découpeuse laser");
      const other = await createResource(t.fabrique.id, "Fourgon");
      const sat = await createSatellite("Le Bercail");
      const tomorrow = inDays(1);
      const booked = await insertBooking(laser, tomorrow, 2, { space: sat });
      const cancelled = await insertBooking(laser, inDays(2), 1, { space: sat }, "CANCELLED");
      const recent = await insertBooking(laser, inDays(-29), 1, { space: t.fabrique.id });
      const old = await insertBooking(laser, inDays(-31), 1, { space: t.fabrique.id });
      const elsewhere = await insertBooking(other, tomorrow, 1, { space: sat });

      const created = await gqlCreate({ resourceId: laser, label: "Laser, atelier" });
      expect(created.errors).toBeUndefined();
      const { feed, url } = created.data?.createCalendarFeed ?? { feed: null, url: "" };
      expect(feed).toMatchObject({ target: "RESOURCE", targetId: laser, revokedAt: null });
      expect(url).toMatch(new RegExp(`^/calendar/${feed?.id}\\.ics\\?token=[A-Za-z0-9_-]{43}$`));

      const { status, body, response } = await fetchText(url);
      expect(status).toBe(200);
      expect(response?.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
      expect(response?.headers.get("cache-control")).toBe("private, max-age=300");
      expect(body).toMatch(/^BEGIN:VCALENDAR\r\n/);
      expect(body).toContain("X-WR-CALNAME:Laser\\, atelier\r\n");
      expect(uids(body)).toEqual([recent, booked]);
      expect(uids(body)).not.toContain(cancelled);
      expect(uids(body)).not.toContain(old);
      expect(uids(body)).not.toContain(elsewhere);
      const stamp = (d: Date) =>
        d
          .toISOString()
          .replace(/[-:]/g, "")
          .replace(/\.\d{3}/, "");
      expect(body).toContain(`DTSTART:${stamp(tomorrow)}\r\n`);
      expect(body).toContain(`DTEND:${stamp(new Date(tomorrow.getTime() + 2 * 3_600_000))}\r\n`);
      expect(body).toContain("SUMMARY:Découpeuse laser — Le Bercail\r\n");
      expect(body).toContain(`SUMMARY:Découpeuse laser — ${t.fabrique.name}\r\n`);

      // HEAD answers the same headers, no body.
      const head = await fetchFeed(url, "HEAD");
      expect(head?.status).toBe(200);
      expect(await head?.text()).toBe("");

      // The secret is not stored, and never listed.
      const token = new URL(url, "http://x").searchParams.get("token") as string;
      const stored = await t.agent.store.query<{ row: string }>(
        "SELECT row_to_json(f)::text AS row FROM calendar_feed f",
      );
      expect(stored).toHaveLength(1);
      expect(stored[0]?.row).not.toContain(token);
      const listed = await t.gql<{ calendarFeeds: Record<string, unknown>[] }>(
        "{ calendarFeeds { id target targetId label revokedAt } }",
        {},
        admin,
      );
      expect(listed.data?.calendarFeeds).toEqual([
        {
          id: feed?.id,
          target: "RESOURCE",
          targetId: laser,
          label: "Laser, atelier",
          revokedAt: null,
        },
      ]);
      expect(JSON.stringify(listed)).not.toContain(token);
    });

    it("serves a space's feed: bookings of the resources it hosts and bookings made for it", async () => {
      const sat = await createSatellite("Le Bercail");
      const other = await createSatellite("La Grange");
      const hostedHere = await createResource(sat, "Kit de portables");
      const atFabrique = await createResource(t.fabrique.id, "Découpeuse laser");
      const atOther = await createResource(other, "Salle");
      const a = await insertBooking(hostedHere, inDays(1), 2, { space: other });
      const b = await insertBooking(atFabrique, inDays(2), 2, { space: sat });
      const notOurs = await insertBooking(atOther, inDays(1), 1, { space: other });
      const notOurs2 = await insertBooking(atFabrique, inDays(3), 1, { space: other });
      const cancelled = await insertBooking(atFabrique, inDays(4), 1, { space: sat }, "CANCELLED");
      // Obtained from another node: a confirmed request for the space, and a pending one.
      const remote = await createResource("SPACE-ELSEWHERE", "Fourgon");
      const requested = [ulid(), ulid()];
      for (const [i, id] of requested.entries()) {
        await t.agent.store.query(
          `INSERT INTO booking_request (id, direction, resource_id, kind, during, for_space,
             requester_node_id, status)
           VALUES ($1, 'OUTGOING', $2, 'BOOKING', tstzrange($3, $4, '[)'), $5, 'NODE-HERE', $6)`,
          [id, remote, inDays(5 + i), inDays(5 + i, 11), sat, i === 0 ? "CONFIRMED" : "PENDING"],
        );
      }

      const { url } = await calendar.createFeed(satelliteViewer(sat), { spaceId: sat });
      const { status, body } = await fetchText(url);
      expect(status).toBe(200);
      expect(uids(body)).toEqual([a, b, requested[0]]);
      expect(body).toContain("SUMMARY:Fourgon — Le Bercail\r\n");
      for (const absent of [notOurs, notOurs2, cancelled]) expect(uids(body)).not.toContain(absent);
      expect(body).toContain("X-WR-CALNAME:Le Bercail\r\n");
      expect(body).toContain("SUMMARY:Kit de portables — La Grange\r\n");
      expect(body).toContain("SUMMARY:Découpeuse laser — Le Bercail\r\n");
      expect(body).toContain(`LOCATION:${t.fabrique.name}\r\n`);

      // The fabrique's own space, which has no row at this agent: its resources' bookings.
      const fabriqueFeed = await calendar.createFeed(adminViewer(), { spaceId: t.fabrique.id });
      const fabrique = await fetchText(fabriqueFeed.url);
      expect(fabrique.status).toBe(200);
      expect(uids(fabrique.body)).toEqual([b, notOurs2]);
      expect(fabrique.body).toContain(`X-WR-CALNAME:${t.fabrique.name}\r\n`);
    });

    it("answers one and the same 404 for an unknown feed, a wrong or missing token, a revoked feed", async () => {
      const laser = await createResource(t.fabrique.id, "Découpeuse laser");
      await insertBooking(laser, inDays(1), 1, { space: t.fabrique.id });
      const { feed, url } = await calendar.createFeed(adminViewer(), { resourceId: laser });
      const good = await fetchText(url);
      expect(good.status).toBe(200);

      const token = new URL(url, "http://x").searchParams.get("token") as string;
      const otherFeed = await calendar.createFeed(adminViewer(), { resourceId: laser });
      const otherToken = new URL(otherFeed.url, "http://x").searchParams.get("token") as string;
      const tries = [
        `/calendar/${feed.id}.ics?token=${otherToken}`, // another feed's secret
        `/calendar/${feed.id}.ics?token=${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`,
        `/calendar/${feed.id}.ics?token=${token.slice(1)}`,
        `/calendar/${feed.id}.ics`,
        `/calendar/${feed.id}.ics?token=`,
        `/calendar/${ulid()}.ics?token=${token}`,
      ];
      const answers = await Promise.all(tries.map(fetchText));
      expect(answers.map((a) => a.status)).toEqual(tries.map(() => 404));
      for (const answer of answers) {
        expect(answer.body).toBe("Not found\n");
        expect(answer.response?.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      }

      // Revoked: 404 at once, with the right token; revoking again is refused.
      const revoked = await t.gql<{ revokeCalendarFeed: { id: string; revokedAt: string } }>(
        "mutation($id: ID!) { revokeCalendarFeed(id: $id) { id revokedAt } }",
        { id: feed.id },
        admin,
      );
      expect(revoked.errors).toBeUndefined();
      expect(revoked.data?.revokeCalendarFeed.revokedAt).toBeTruthy();
      const after = await fetchText(url);
      expect(after.status).toBe(404);
      expect(after.body).toBe("Not found\n");
      await expect(calendar.revokeFeed(adminViewer(), feed.id)).rejects.toMatchObject({
        code: "INVALID_TRANSITION",
      });
      await expect(calendar.revokeFeed(adminViewer(), ulid())).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      // The other feed still works.
      expect((await fetchText(otherFeed.url)).status).toBe(200);
    });

    it("leaves other paths alone and refuses other methods", async () => {
      expect(await fetchFeed("/graphql")).toBeUndefined();
      expect(await fetchFeed("/calendar")).toBeUndefined();
      expect(await fetchFeed("/calendar/x/y.ics?token=a")).toBeUndefined();
      const post = await fetchFeed(`/calendar/${ulid()}.ics?token=a`, "POST");
      expect(post?.status).toBe(405);
      expect(post?.headers.get("allow")).toBe("GET, HEAD");
    });

    it("makes no feed for another node's resource replicated here", async () => {
      const replica = await createResource(t.fabrique.id, "Fraiseuse d'ailleurs");
      await t.agent.store.query(
        "UPDATE resource SET owned = FALSE, owner_node_id = 'OTHERNODE' WHERE id = $1",
        [replica],
      );
      expect(codes(await gqlCreate({ resourceId: replica }))).toEqual(["NOT_FOUND"]);
    });

    it("lets a satellite manage its own space's feeds only; the fabrique's team all of them", async () => {
      const sat = await createSatellite("Le Bercail");
      const other = await createSatellite("La Grange");
      const kit = await createResource(sat, "Kit de portables");
      const laser = await createResource(t.fabrique.id, "Découpeuse laser");
      const satToken = await t.token({ role: "SATELLITE", spaceId: sat });
      const memberToken = await t.token({ role: "MEMBER", memberId: "M1" });

      const own = await gqlCreate({ spaceId: sat }, satToken);
      expect(own.errors).toBeUndefined();
      const ownResource = await gqlCreate({ resourceId: kit }, satToken);
      expect(ownResource.errors).toBeUndefined();

      expect(codes(await gqlCreate({ spaceId: other }, satToken))).toEqual(["FORBIDDEN"]);
      expect(codes(await gqlCreate({ spaceId: t.fabrique.id }, satToken))).toEqual(["FORBIDDEN"]);
      expect(codes(await gqlCreate({ resourceId: laser }, satToken))).toEqual(["FORBIDDEN"]);
      expect(codes(await gqlCreate({ resourceId: ulid() }, satToken))).toEqual(["NOT_FOUND"]);
      expect(codes(await gqlCreate({ spaceId: sat }, memberToken))).toEqual(["FORBIDDEN"]);
      expect(codes(await gqlCreate({ resourceId: kit }, memberToken))).toEqual(["FORBIDDEN"]);
      expect(codes(await gqlCreate({ spaceId: sat }, ""))).toEqual(["UNAUTHENTICATED"]);
      expect(codes(await gqlCreate({}))).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await gqlCreate({ spaceId: sat, resourceId: kit }))).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await gqlCreate({ spaceId: ulid() }))).toEqual(["NOT_FOUND"]);
      expect(codes(await gqlCreate({ resourceId: ulid() }))).toEqual(["NOT_FOUND"]);
      // The service refuses on its own too, whatever the GraphQL scopes.
      await expect(
        calendar.createFeed(satelliteViewer(sat), { spaceId: other }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      await expect(
        calendar.createFeed(viewer({ role: "MEMBER", memberId: "M1" }), { spaceId: sat }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });

      // Only the two feeds were written, by the satellite.
      const adminFeed = await gqlCreate({ resourceId: laser });
      expect(adminFeed.errors).toBeUndefined();
      const satList = await t.gql<{ calendarFeeds: { id: string }[] }>(
        "{ calendarFeeds { id } }",
        {},
        satToken,
      );
      expect(satList.data?.calendarFeeds.map((f) => f.id).sort()).toEqual(
        [own.data?.createCalendarFeed.feed.id, ownResource.data?.createCalendarFeed.feed.id].sort(),
      );
      const adminList = await t.gql<{ calendarFeeds: { id: string }[] }>(
        "{ calendarFeeds { id } }",
        {},
        admin,
      );
      expect(adminList.data?.calendarFeeds).toHaveLength(3);
      // A member lists its own enrolment feeds only: none of these.
      const memberList = await t.gql<{ calendarFeeds: { id: string }[] }>(
        "{ calendarFeeds { id } }",
        {},
        memberToken,
      );
      expect(memberList.data?.calendarFeeds).toEqual([]);

      // A satellite cannot revoke the fabrique's feed (not even learn of it); it can its own.
      const revokeAs = (id: string | undefined, token: string) =>
        t.gql("mutation($id: ID!) { revokeCalendarFeed(id: $id) { id } }", { id }, token);
      expect(codes(await revokeAs(adminFeed.data?.createCalendarFeed.feed.id, satToken))).toEqual([
        "NOT_FOUND",
      ]);
      expect(
        (await revokeAs(own.data?.createCalendarFeed.feed.id, satToken)).errors,
      ).toBeUndefined();
      expect(codes(await revokeAs(own.data?.createCalendarFeed.feed.id, satToken))).toEqual([
        "INVALID_TRANSITION",
      ]);
      // A member manages its own enrolment feeds only: another feed is unknown to it.
      expect(
        codes(await revokeAs(ownResource.data?.createCalendarFeed.feed.id, memberToken)),
      ).toEqual(["NOT_FOUND"]);
    });

    it("never shows a member's personal data", async () => {
      const sat = await createSatellite("Le Bercail");
      const registered = await t.gql<{ registerMember: { id: string } }>(
        `mutation($home: ID!) { registerMember(homeSpaceId: $home, displayName: "Jeanne Testard",
           email: "jeanne.testard@example.org", phone: "+33612345678") { id } }`,
        { home: sat },
        admin,
      );
      expect(registered.errors).toBeUndefined();
      const memberId = registered.data?.registerMember.id as string;
      const laser = await createResource(sat, "Découpeuse laser");
      const booking = await insertBooking(laser, inDays(1), 2, { member: memberId });

      for (const target of [{ resourceId: laser }, { spaceId: sat }]) {
        const { url } = await calendar.createFeed(adminViewer(), target);
        const { status, body } = await fetchText(url);
        expect(status).toBe(200);
        expect(uids(body)).toEqual([booking]);
        expect(body).toContain("SUMMARY:Découpeuse laser — Réservé (adhérent)\r\n");
        for (const personal of ["Jeanne", "Testard", "jeanne.testard", "+33612345678", memberId]) {
          expect(body).not.toContain(personal);
        }
      }
    });
  });
}
