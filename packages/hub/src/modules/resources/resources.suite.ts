import type { SqlStore } from "@maillage/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, startTestHub, type TestHub } from "../../testing/fixture.ts";

/** Discovery and availability of shared resources at the hub, on every backend. */

type Seeded = {
  id: string;
  space: string;
  name: string;
  category: string;
  scope: string;
  credential?: string | null;
  status?: string;
  min?: number;
  max?: number;
  windows?: { rrule: string; opens: string; closes: string }[];
  closures?: { from: string; to: string }[];
};

const TUE_SAT = [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA", opens: "09:00", closes: "18:00" }];
const MON_FRI = [{ rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", opens: "09:00", closes: "18:00" }];
const EVERY_DAY = [
  { rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", opens: "09:00", closes: "18:00" },
];

export async function insertSpaces(
  store: SqlStore,
  spaces: { id: string; name: string; commune: string; fabrique?: string; closed?: boolean }[],
  geography: TestHub["hub"]["services"]["geography"],
) {
  for (const s of spaces) {
    const c = geography.requireCommune(s.commune);
    await store.query(
      `INSERT INTO space (id, kind, name, commune_code, commune_name, department_code, region_code,
                          population, rural, services, status, fabrique_id, updated_at)
       VALUES ($1, $2::"SpaceKind", $3, $4, $5, $6, $7, $8, $9, '{}', $10::"SpaceStatus", $11, now())`,
      [
        s.id,
        s.fabrique ? "SATELLITE" : "FABRIQUE",
        s.name,
        c.code,
        c.name,
        c.departmentCode,
        c.regionCode,
        c.population,
        c.rural,
        s.closed ? "CLOSED" : "OPEN",
        s.fabrique ?? null,
      ],
    );
  }
}

export async function insertResources(store: SqlStore, resources: Seeded[]) {
  const rows = resources.map((r) => ({
    id: r.id,
    owner_node_id: `node-${r.space}`,
    space_id: r.space,
    name: r.name,
    category: r.category,
    sharing_scope: r.scope,
    required_credential: r.credential ?? null,
    min_minutes: r.min ?? 30,
    max_minutes: r.max ?? 480,
    status: r.status ?? "AVAILABLE",
    windows: r.windows ?? TUE_SAT,
    closures: r.closures ?? [],
  }));
  await store.query(
    `INSERT INTO resource (id, owner_node_id, space_id, name, category, description, sharing_scope,
       required_credential, min_minutes, max_minutes, lead_minutes, cancel_deadline_minutes, status,
       movable, approval_required, windows, closures, weekly_open_minutes, updated_at)
     SELECT r.id, r.owner_node_id, r.space_id, r.name, r.category, NULL, r.sharing_scope,
            r.required_credential, r.min_minutes, r.max_minutes, 60, 1440, r.status, false, false,
            r.windows, r.closures, 10080, now()
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, owner_node_id text, space_id text, name text,
          category text, sharing_scope text, required_credential text, min_minutes int,
          max_minutes int, status text, windows jsonb, closures jsonb)`,
    [JSON.stringify(rows)],
  );
}

export async function insertBookings(
  store: SqlStore,
  bookings: { id: string; resource: string; from: string; to: string; status?: string }[],
) {
  await store.query(
    `INSERT INTO booking (id, resource_id, owner_node_id, kind, starts_at, ends_at, status, updated_at)
     SELECT b.id, b.resource, 'node', 'BOOKING', b.starts_at, b.ends_at, b.status, now()
     FROM jsonb_to_recordset($1::jsonb) AS b(id text, resource text, starts_at timestamptz,
          ends_at timestamptz, status text)`,
    [
      JSON.stringify(
        bookings.map((b) => ({
          id: b.id,
          resource: b.resource,
          starts_at: b.from,
          ends_at: b.to,
          status: b.status ?? "CONFIRMED",
        })),
      ),
    ],
  );
}

const globalId = (id: string) => id;

// The week of the autumn clock change: Paris is UTC+2 until Sunday 26 October 2025, 03:00.
const WEEK = { from: "2025-10-20T00:00:00+02:00", to: "2025-10-27T00:00:00+01:00" };

type Edge = { node: { name: string; proximity?: string | null } };
type Page = {
  resources: {
    totalCount: number | null;
    edges: Edge[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

export function registerResourceTests(backend: Backend) {
  describe(`resource discovery and availability (${backend})`, () => {
    let t: TestHub;
    let adminA: string;
    let adminB: string;
    let national: string;

    const names = (r: { data?: Page | null }) =>
      r.data?.resources.edges.map((e) => e.node.name) ?? [];
    const search = (filter: Record<string, unknown>, token: string, first = 50, after?: string) =>
      t.gql<Page>(
        `query($filter: ResourceFilter, $first: Int, $after: String) {
          resources(filter: $filter, first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { name proximity } } } }`,
        { filter, first, after },
        token,
      );

    beforeAll(async () => {
      t = await startTestHub(backend);
      const store = t.hub.db.store;
      // The shared fixture's reset predates these tables.
      await store.exec("TRUNCATE booking, resource");
      await insertSpaces(
        store,
        [
          { id: "FA", name: "Fabrique de Privas", commune: "07186" },
          { id: "FB", name: "Fabrique d'Aubenas", commune: "07019" },
          { id: "FC", name: "Fabrique de Guéret", commune: "23096" },
          { id: "SA1", name: "Le Local", commune: "07066", fabrique: "FA" },
          { id: "SB1", name: "L'Atelier", commune: "69123", fabrique: "FB" },
          { id: "SB2", name: "La Grange", commune: "07019", fabrique: "FB", closed: true },
        ],
        t.hub.services.geography,
      );
      await insertResources(store, [
        {
          id: "laser",
          space: "FA",
          name: "Découpeuse laser",
          category: "MACHINE",
          scope: "NATIONAL",
          credential: "laser-safety",
          closures: [{ from: "2025-10-22", to: "2025-10-22" }],
        },
        { id: "desk", space: "FA", name: "Bureau partagé", category: "DESK", scope: "NATIONAL" },
        {
          id: "room",
          space: "SA1",
          name: "Salle de réunion",
          category: "ROOM",
          scope: "NETWORK",
          windows: EVERY_DAY,
        },
        { id: "van", space: "FB", name: "Camion", category: "VEHICLE", scope: "NETWORK" },
        { id: "kit", space: "FB", name: "Kit ordinateurs", category: "KIT", scope: "LOCAL" },
        {
          id: "mill",
          space: "SB1",
          name: "Fraiseuse",
          category: "MACHINE",
          scope: "NETWORK",
          status: "MAINTENANCE",
        },
        {
          id: "printer",
          space: "FC",
          name: "Imprimante 3D",
          category: "MACHINE",
          scope: "NATIONAL",
          windows: [],
          max: 1440,
        },
        {
          id: "old",
          space: "FA",
          name: "Vieux tour",
          category: "MACHINE",
          scope: "NATIONAL",
          status: "RETIRED",
        },
        { id: "closed", space: "SB2", name: "Scie", category: "MACHINE", scope: "NETWORK" },
      ]);
      await insertBookings(store, [
        // The desk is lent out the whole week.
        { id: "b1", resource: "desk", from: WEEK.from, to: WEEK.to },
        // The room, on the Sunday the clocks go back: 10:00–12:00 Paris (UTC+1 by then).
        {
          id: "b2",
          resource: "room",
          from: "2025-10-26T10:00:00+01:00",
          to: "2025-10-26T12:00:00+01:00",
        },
        // A cancelled booking frees its slot.
        {
          id: "b3",
          resource: "room",
          from: "2025-10-25T09:00:00+02:00",
          to: "2025-10-25T18:00:00+02:00",
          status: "CANCELLED",
        },
      ]);
      adminA = await t.adminToken("FA");
      adminB = await t.adminToken("FB");
      national = await t.nationalToken();
    });
    afterAll(() => t?.close());

    it("lists what a fabrique's team may see, by name, RETIRED ones and closed spaces left out", async () => {
      const r = await search({}, adminA);
      expect(r.errors).toBeUndefined();
      expect(names(r)).toEqual([
        "Bureau partagé",
        "Camion",
        "Découpeuse laser",
        "Fraiseuse",
        "Imprimante 3D",
        "Salle de réunion",
      ]);
      expect(r.data?.resources.totalCount).toBe(6);
      // The LOCAL kit is for its own network only.
      expect(names(await search({}, adminB))).toContain("Kit ordinateurs");
    });

    it("filters by category, region, department, scope and credential", async () => {
      expect(names(await search({ category: "MACHINE" }, adminA))).toEqual([
        "Découpeuse laser",
        "Fraiseuse",
        "Imprimante 3D",
      ]);
      expect(names(await search({ region: "75" }, adminA))).toEqual(["Imprimante 3D"]);
      expect(names(await search({ department: "07" }, adminB))).toEqual([
        "Bureau partagé",
        "Camion",
        "Découpeuse laser",
        "Kit ordinateurs",
        "Salle de réunion",
      ]);
      expect(names(await search({ region: "84", category: "MACHINE" }, adminA))).toEqual([
        "Découpeuse laser",
        "Fraiseuse",
      ]);
      expect(names(await search({ sharingScope: "NETWORK" }, adminA))).toEqual([
        "Camion",
        "Fraiseuse",
        "Salle de réunion",
      ]);
      expect(names(await search({ credential: "laser-safety" }, adminA))).toEqual([
        "Découpeuse laser",
      ]);
      const withoutLaser = names(await search({ bookableWith: [] }, adminA));
      expect(withoutLaser).not.toContain("Découpeuse laser");
      expect(withoutLaser).toHaveLength(5);
      const bad = await search({ region: "99" }, adminA);
      expect(bad.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "filter.region",
      });
    });

    it("orders by proximity near a commune: the commune, its EPCI, its department, its region", async () => {
      const r = await search({ near: { communeCode: "07186", within: "REGION" } }, adminB);
      expect(r.errors).toBeUndefined();
      expect(r.data?.resources.edges.map((e) => [e.node.name, e.node.proximity])).toEqual([
        ["Bureau partagé", "COMMUNE"],
        ["Découpeuse laser", "COMMUNE"],
        ["Salle de réunion", "EPCI"], // Chomérac, in CA Privas Centre Ardèche
        ["Camion", "DEPARTMENT"], // Aubenas
        ["Kit ordinateurs", "DEPARTMENT"],
        ["Fraiseuse", "REGION"], // Lyon
      ]);
      // The department by default; the commune or the EPCI only.
      expect(names(await search({ near: { communeCode: "07186" } }, adminB))).toHaveLength(5);
      expect(
        names(await search({ near: { communeCode: "07186", within: "EPCI" } }, adminB)),
      ).toEqual(["Bureau partagé", "Découpeuse laser", "Salle de réunion"]);
      expect(
        names(await search({ near: { communeCode: "07066", within: "COMMUNE" } }, adminB)),
      ).toEqual(["Salle de réunion"]);
      // Pages follow the same order.
      const first = await search({ near: { communeCode: "07186", within: "REGION" } }, adminB, 3);
      expect(names(first)).toEqual(["Bureau partagé", "Découpeuse laser", "Salle de réunion"]);
      expect(first.data?.resources.pageInfo.hasNextPage).toBe(true);
      const next = await search(
        { near: { communeCode: "07186", within: "REGION" } },
        adminB,
        3,
        first.data?.resources.pageInfo.endCursor ?? undefined,
      );
      expect(names(next)).toEqual(["Camion", "Kit ordinateurs", "Fraiseuse"]);
      expect(next.data?.resources.pageInfo.hasNextPage).toBe(false);
    });

    it("refuses an unknown commune with UNKNOWN_COMMUNE", async () => {
      const r = await search({ near: { communeCode: "99999" } }, adminA);
      expect(r.errors?.[0]?.extensions?.code).toBe("UNKNOWN_COMMUNE");
    });

    it("keeps, with an availability range, the AVAILABLE resources that have a free slot", async () => {
      const r = await search({ availableFrom: WEEK.from, availableTo: WEEK.to }, adminA);
      expect(r.errors).toBeUndefined();
      // Not the desk (lent out all week), not the mill (in maintenance).
      expect(names(r)).toEqual(["Camion", "Découpeuse laser", "Imprimante 3D", "Salle de réunion"]);
      expect(r.data?.resources.totalCount).toBeNull();
      // A 10-hour slot: only the printer, open round the clock and bookable that long.
      expect(
        names(
          await search({ availableFrom: WEEK.from, availableTo: WEEK.to, minMinutes: 600 }, adminA),
        ),
      ).toEqual(["Imprimante 3D"]);
      // Pages through the matches.
      const page = await search({ availableFrom: WEEK.from, availableTo: WEEK.to }, adminA, 2);
      expect(names(page)).toEqual(["Camion", "Découpeuse laser"]);
      const rest = await search(
        { availableFrom: WEEK.from, availableTo: WEEK.to },
        adminA,
        2,
        page.data?.resources.pageInfo.endCursor ?? undefined,
      );
      expect(names(rest)).toEqual(["Imprimante 3D", "Salle de réunion"]);
      expect(rest.data?.resources.pageInfo.hasNextPage).toBe(false);
    });

    it("computes free slots as windows minus bookings across the clock change", async () => {
      const r = await t.gql<{ resourceAvailability: { startsAt: string; endsAt: string }[] }>(
        `query($id: ID!, $from: DateTime!, $to: DateTime!) {
          resourceAvailability(resourceId: $id, from: $from, to: $to) { startsAt endsAt } }`,
        {
          id: globalId("room"),
          from: "2025-10-25T00:00:00+02:00",
          to: "2025-10-28T00:00:00+01:00",
        },
        adminA,
      );
      expect(r.errors).toBeUndefined();
      expect(r.data?.resourceAvailability).toEqual([
        // Saturday 09:00–18:00, UTC+2 (the cancelled booking does not count).
        { startsAt: "2025-10-25T07:00:00.000Z", endsAt: "2025-10-25T16:00:00.000Z" },
        // Sunday, UTC+1: 09:00–10:00 and 12:00–18:00 around the booking.
        { startsAt: "2025-10-26T08:00:00.000Z", endsAt: "2025-10-26T09:00:00.000Z" },
        { startsAt: "2025-10-26T11:00:00.000Z", endsAt: "2025-10-26T17:00:00.000Z" },
        // Monday 09:00–18:00, UTC+1.
        { startsAt: "2025-10-27T08:00:00.000Z", endsAt: "2025-10-27T17:00:00.000Z" },
      ]);
    });

    it("has no slot on a closure day", async () => {
      const r = await t.gql<{ resource: { freeSlots: { startsAt: string; endsAt: string }[] } }>(
        `query($id: ID!) { resource(id: $id) {
          freeSlots(from: "2025-10-21T00:00:00+02:00", to: "2025-10-24T00:00:00+02:00") { startsAt endsAt } } }`,
        { id: globalId("laser") },
        adminA,
      );
      expect(r.errors).toBeUndefined();
      // Tuesday and Thursday; Wednesday 22 is a closure.
      expect(r.data?.resource.freeSlots).toEqual([
        { startsAt: "2025-10-21T07:00:00.000Z", endsAt: "2025-10-21T16:00:00.000Z" },
        { startsAt: "2025-10-23T07:00:00.000Z", endsAt: "2025-10-23T16:00:00.000Z" },
      ]);
    });

    it("shows each caller what its role may see", async () => {
      // The national body sees the national offer only.
      expect(names(await search({}, national))).toEqual([
        "Bureau partagé",
        "Découpeuse laser",
        "Imprimante 3D",
      ]);
      const lookup = (id: string, token: string) =>
        t.gql<{ resource: { name: string; space: { name: string } | null } }>(
          `query($id: ID!) { resource(id: $id) { name space { name } location { spaceName communeName fabriqueName epciCode } } }`,
          { id: globalId(id) },
          token,
        );
      expect((await lookup("room", national)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      expect((await lookup("kit", adminA)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      expect((await lookup("kit", adminB)).data?.resource.name).toBe("Kit ordinateurs");
      // Another network's space stays hidden; its place is still told.
      const van = await lookup("van", adminA);
      expect(van.errors).toBeUndefined();
      expect(van.data?.resource).toMatchObject({
        space: null,
        location: {
          spaceName: "Fabrique d'Aubenas",
          communeName: "Aubenas",
          fabriqueName: "Fabrique d'Aubenas",
        },
      });
      const room = await lookup("room", adminA);
      expect(room.data?.resource).toMatchObject({
        space: { name: "Le Local" },
        location: { fabriqueName: "Fabrique de Privas", epciCode: "200071413" },
      });
      const anonymous = await search({}, "");
      expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      const hidden = await t.gql(
        `query($id: ID!, $from: DateTime!, $to: DateTime!) { resourceAvailability(resourceId: $id, from: $from, to: $to) { startsAt } }`,
        { id: globalId("kit"), ...WEEK },
        adminA,
      );
      expect(hidden.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    });

    it("refuses bad ranges with BAD_USER_INPUT naming the field", async () => {
      const availability = (from: string, to: string) =>
        t.gql(
          `query($id: ID!, $from: DateTime!, $to: DateTime!) { resourceAvailability(resourceId: $id, from: $from, to: $to) { startsAt } }`,
          { id: globalId("room"), from, to },
          adminA,
        );
      const long = await availability("2025-10-01T00:00:00Z", "2025-11-02T00:00:00Z");
      expect(long.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "to" });
      const backwards = await availability("2025-10-02T00:00:00Z", "2025-10-01T00:00:00Z");
      expect(backwards.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "to",
      });
      const ok = await availability("2025-10-01T00:00:00Z", "2025-11-01T00:00:00Z");
      expect(ok.errors).toBeUndefined();
      const longSearch = await search(
        { availableFrom: "2025-10-01T00:00:00Z", availableTo: "2025-12-01T00:00:00Z" },
        adminA,
      );
      expect(longSearch.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "filter.availableTo",
      });
      const half = await search({ availableFrom: "2025-10-01T00:00:00Z" }, adminA);
      expect(half.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "filter.availableTo",
      });
    });
  });

  describe(`resource batching (${backend})`, () => {
    let t: TestHub;
    const statements: string[] = [];

    beforeAll(async () => {
      t = await startTestHub(backend, { onQuery: (sql) => statements.push(sql) });
      const store = t.hub.db.store;
      await store.exec("TRUNCATE booking, resource");
      await insertSpaces(
        store,
        [
          { id: "F1", name: "Fabrique de Privas", commune: "07186" },
          { id: "S1", name: "Le Local", commune: "07066", fabrique: "F1" },
        ],
        t.hub.services.geography,
      );
      await insertResources(
        store,
        Array.from({ length: 40 }, (_, i) => ({
          id: `R${String(i).padStart(2, "0")}`,
          space: i % 2 ? "S1" : "F1",
          name: `Ressource ${String(i).padStart(2, "0")}`,
          category: "MACHINE",
          scope: "NETWORK",
          windows: i % 3 ? TUE_SAT : MON_FRI,
          closures: i % 5 ? [] : [{ from: "2025-10-22", to: "2025-10-22" }],
        })),
      );
      await insertBookings(
        store,
        Array.from({ length: 40 }, (_, i) => ({
          id: `B${i}`,
          resource: `R${String(i).padStart(2, "0")}`,
          from: "2025-10-23T10:00:00+02:00",
          to: "2025-10-23T12:00:00+02:00",
        })),
      );
    });
    afterAll(() => t?.close());

    async function statementsFor(first: number, withRange: boolean) {
      const token = await t.adminToken("F1");
      statements.length = 0;
      const r = await t.gql<Page & { resources: { edges: { node: { freeSlots: unknown[] } }[] } }>(
        `query($first: Int, $filter: ResourceFilter) { resources(first: $first, filter: $filter) {
          edges { node { name location { communeName } space { name }
            freeSlots(from: "2025-10-20T00:00:00+02:00", to: "2025-10-27T00:00:00+01:00") { startsAt endsAt } } } } }`,
        { first, filter: withRange ? { availableFrom: WEEK.from, availableTo: WEEK.to } : {} },
        token,
      );
      expect(r.errors).toBeUndefined();
      expect(r.data?.resources.edges).toHaveLength(first);
      // Every resource has its Thursday booking carved out of its slots.
      for (const edge of r.data?.resources.edges ?? []) {
        expect(edge.node.freeSlots.length).toBeGreaterThanOrEqual(4);
      }
      return statements.length;
    }

    it("loads the free slots of 30 resources in as many statements as of 3", async () => {
      const small = await statementsFor(3, false);
      const large = await statementsFor(30, false);
      expect(large).toBe(small);
      // The page, its bookings, the hosting spaces.
      expect(large).toBeLessThanOrEqual(3);
    });

    it("reuses the search's bookings when freeSlots asks the searched range", async () => {
      const small = await statementsFor(3, true);
      const large = await statementsFor(30, true);
      expect(large).toBe(small);
      expect(large).toBeLessThanOrEqual(3);
    });
  });
}
