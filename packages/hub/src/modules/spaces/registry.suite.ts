import { ULID_PATTERN } from "@maillage/schema";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Backend, startTestHub, type TestHub } from "../../testing/fixture.ts";

/**
 * The network registry's behaviour, run against every storage backend:
 * registry.test.ts (embedded PGlite) and registry.integration.test.ts (PostgreSQL).
 */
export function registerRegistryTests(backend: Backend) {
  describe(`network registry (${backend})`, () => {
    let t: TestHub;
    let national: string;

    beforeAll(async () => {
      t = await startTestHub(backend);
      national = await t.nationalToken();
    });
    afterAll(() => t?.close());
    beforeEach(() => t.reset());

    const SPACE_FIELDS = `id kind name status rural services
      commune { code name population rural department { code name } region { code name } }
      openingHours { day opens closes } fabrique { id name }`;

    async function createFabrique(name: string, communeCode: string) {
      const r = await t.gql<{ createFabrique: { id: string } }>(
        `mutation($input: CreateSpaceInput!) { createFabrique(input: $input) { ${SPACE_FIELDS} } }`,
        { input: { name, communeCode, services: ["Coworking", "fablab", "coworking"] } },
        national,
      );
      expect(r.errors).toBeUndefined();
      const id = r.data?.createFabrique.id as string;
      // One id form everywhere: the raw ULID the agents and the sync contract use.
      expect(id).toMatch(ULID_PATTERN);
      return { id, admin: await t.adminToken(id), data: r.data?.createFabrique };
    }

    async function createSatellite(
      admin: string,
      fabriqueId: string,
      name: string,
      communeCode: string,
    ) {
      return t.gql<{ createSatellite: { id: string; name: string } }>(
        `mutation($f: ID!, $input: CreateSpaceInput!) { createSatellite(fabriqueId: $f, input: $input) { ${SPACE_FIELDS} } }`,
        {
          f: fabriqueId,
          input: { name, communeCode, openingHours: [{ day: 2, opens: "14:00", closes: "19:00" }] },
        },
        admin,
      );
    }

    async function spaceCount() {
      const r = await t.gql<{ spaces: { totalCount: number } }>(
        "{ spaces(first: 1) { totalCount } }",
        {},
        national,
      );
      return r.data?.spaces.totalCount;
    }

    it("registers a fabrique placed in its commune, with derived geography", async () => {
      const { data } = await createFabrique("La Fabrique du Vivarais", "07186");
      expect(data).toMatchObject({
        kind: "FABRIQUE",
        status: "OPEN",
        rural: false,
        services: ["coworking", "fablab"],
        commune: {
          code: "07186",
          name: "Privas",
          rural: false,
          department: { code: "07", name: "Ardèche" },
          region: { code: "84", name: "Auvergne-Rhône-Alpes" },
        },
        fabrique: null,
      });
    });

    it("lets a fabrique's team register satellites, rural derived from the commune", async () => {
      const f = await createFabrique("La Quincaillerie", "23096");
      const r = await createSatellite(f.admin, f.id, "La Maison du Lac", "23165");
      expect(r.errors).toBeUndefined();
      expect(r.data?.createSatellite).toMatchObject({
        kind: "SATELLITE",
        rural: true,
        commune: { name: "Royère-de-Vassivière", rural: true, department: { code: "23" } },
        openingHours: [{ day: 2, opens: "14:00", closes: "19:00" }],
        fabrique: { id: f.id, name: "La Quincaillerie" },
      });
    });

    it("filters spaces by kind, region, department, rural and fabrique, with cursor pagination", async () => {
      const a = await createFabrique("Fabrique A", "07186");
      const b = await createFabrique("Fabrique B", "23096");
      await createSatellite(a.admin, a.id, "A1", "07019");
      await createSatellite(a.admin, a.id, "A2", "07107"); // Jaujac, rural
      await createSatellite(b.admin, b.id, "B1", "23165"); // rural
      const q = `query($filter: SpaceFilter, $first: Int, $after: String) {
        spaces(filter: $filter, first: $first, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }`;
      const names = async (filter: Record<string, unknown>) => {
        const r = await t.gql<{ spaces: { edges: { node: { name: string } }[] } }>(
          q,
          { filter },
          national,
        );
        expect(r.errors).toBeUndefined();
        return r.data?.spaces.edges.map((e) => e.node.name).sort();
      };
      expect(await names({ kind: "FABRIQUE" })).toEqual(["Fabrique A", "Fabrique B"]);
      expect(await names({ region: "75" })).toEqual(["B1", "Fabrique B"]);
      expect(await names({ department: "07" })).toEqual(["A1", "A2", "Fabrique A"]);
      expect(await names({ rural: true })).toEqual(["A2", "B1"]);
      expect(await names({ fabriqueId: a.id, kind: "SATELLITE" })).toEqual(["A1", "A2"]);

      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const r: {
          data?: {
            spaces: {
              totalCount: number;
              pageInfo: { hasNextPage: boolean; endCursor: string };
              edges: { node: { name: string } }[];
            };
          } | null;
        } = await t.gql(q, { first: 2, after }, national);
        const spaces = r.data?.spaces;
        expect(spaces?.totalCount).toBe(5);
        seen.push(...(spaces?.edges.map((e) => e.node.name) ?? []));
        if (!spaces?.pageInfo.hasNextPage) break;
        after = spaces.pageInfo.endCursor;
      }
      expect(seen.sort()).toEqual(["A1", "A2", "B1", "Fabrique A", "Fabrique B"]);
    });

    it("counts open spaces by region and department", async () => {
      const a = await createFabrique("Fabrique A", "07186");
      await createSatellite(a.admin, a.id, "A1", "07019");
      await createSatellite(a.admin, a.id, "A2", "07107");
      const b = await createFabrique("Fabrique B", "23096");
      const closed = await createSatellite(b.admin, b.id, "B1", "23165");
      await t.gql(
        `mutation($id: ID!) { closeSpace(id: $id) { status } }`,
        { id: closed.data?.createSatellite.id },
        b.admin,
      );
      const r = await t.gql<{ regions: unknown[] }>(
        "{ regions { code name fabriques satellites ruralSpaces departments { code fabriques satellites ruralSpaces } } }",
        {},
        national,
      );
      expect(r.data?.regions).toEqual([
        {
          code: "75",
          name: "Nouvelle-Aquitaine",
          fabriques: 1,
          satellites: 0,
          ruralSpaces: 0,
          departments: [{ code: "23", fabriques: 1, satellites: 0, ruralSpaces: 0 }],
        },
        {
          code: "84",
          name: "Auvergne-Rhône-Alpes",
          fabriques: 1,
          satellites: 2,
          ruralSpaces: 1,
          departments: [{ code: "07", fabriques: 1, satellites: 2, ruralSpaces: 1 }],
        },
      ]);
    });

    it("updates and closes a satellite; a closed space cannot change", async () => {
      const f = await createFabrique("Fabrique A", "07186");
      const s = await createSatellite(f.admin, f.id, "A1", "07019");
      const id = s.data?.createSatellite.id;
      const updated = await t.gql<{
        updateSpace: { name: string; commune: { name: string }; services: string[] };
      }>(
        `mutation($id: ID!, $input: UpdateSpaceInput!) { updateSpace(id: $id, input: $input) { name services commune { name } } }`,
        { id, input: { name: "L'Atelier", communeCode: "07064", services: ["repair café"] } },
        f.admin,
      );
      expect(updated.data?.updateSpace).toEqual({
        name: "L'Atelier",
        services: ["repair café"],
        commune: { name: "Le Cheylard" },
      });
      const closed = await t.gql<{ closeSpace: { status: string; closedAt: string } }>(
        `mutation($id: ID!) { closeSpace(id: $id) { status closedAt } }`,
        { id },
        f.admin,
      );
      expect(closed.data?.closeSpace.status).toBe("CLOSED");
      const again = await t.gql(
        `mutation($id: ID!) { updateSpace(id: $id, input: { name: "Nope" }) { name } }`,
        { id },
        f.admin,
      );
      expect(again.errors?.[0]?.extensions?.code).toBe("SPACE_CLOSED");
    });

    it("refuses to close a fabrique whose satellites are open", async () => {
      const f = await createFabrique("Fabrique A", "07186");
      await createSatellite(f.admin, f.id, "A1", "07019");
      const r = await t.gql(
        `mutation($id: ID!) { closeSpace(id: $id) { status } }`,
        { id: f.id },
        national,
      );
      expect(r.errors?.[0]?.extensions?.code).toBe("HAS_OPEN_SATELLITES");
    });

    describe("authorization", () => {
      it("shows a fabrique's team its own network only", async () => {
        const a = await createFabrique("Fabrique A", "07186");
        const b = await createFabrique("Fabrique B", "23096");
        const a1 = await createSatellite(a.admin, a.id, "A1", "07019");
        const b1 = await createSatellite(b.admin, b.id, "B1", "23165");
        const list = await t.gql<{
          spaces: { totalCount: number; edges: { node: { name: string } }[] };
        }>("{ spaces(first: 50) { totalCount edges { node { name } } } }", {}, a.admin);
        expect(list.data?.spaces.edges.map((e) => e.node.name).sort()).toEqual([
          "A1",
          "Fabrique A",
        ]);
        expect(list.data?.spaces.totalCount).toBe(2);
        const fabriques = await t.gql<{ fabriques: { name: string }[] }>(
          "{ fabriques { name } }",
          {},
          a.admin,
        );
        expect(fabriques.data?.fabriques).toEqual([{ name: "Fabrique A" }]);

        const other = await t.gql<{ space: unknown }>(
          `query($id: ID!) { space(id: $id) { name } }`,
          { id: b1.data?.createSatellite.id },
          a.admin,
        );
        expect(other.data?.space).toBeNull();
        // node(id) answers null, without an error, for another network's real id, an unknown
        // id and a malformed one alike: the answer never tells which ids exist elsewhere.
        for (const id of [
          b1.data?.createSatellite.id,
          Buffer.from(`Space:${b1.data?.createSatellite.id}`).toString("base64"),
          "01JD8Z6Q2V3W4X5Y6Z7A8B9C0D",
          "not an id",
        ]) {
          const viaNode = await t.gql(
            `query($id: ID!) { node(id: $id) { id ... on Space { name } } }`,
            { id },
            a.admin,
          );
          expect(viaNode).toEqual({ status: 200, data: { node: null } });
        }
        const ownViaNode = await t.gql<{ node: { id: string; name: string } }>(
          `query($id: ID!) { node(id: $id) { id ... on Space { name } } }`,
          { id: a1.data?.createSatellite.id },
          a.admin,
        );
        expect(ownViaNode.data?.node).toEqual({ id: a1.data?.createSatellite.id, name: "A1" });
        const own = await t.gql<{ space: { name: string } }>(
          `query($id: ID!) { space(id: $id) { name } }`,
          { id: a1.data?.createSatellite.id },
          a.admin,
        );
        expect(own.data?.space.name).toBe("A1");
        // A satellite's fabrique reached through a relation is checked too.
        const national = await t.gql<{ spaces: { totalCount: number } }>(
          "{ spaces(first: 1) { totalCount } }",
          {},
          await t.nationalToken(),
        );
        expect(national.data?.spaces.totalCount).toBe(4);
      });

      it("lets a team change only its own network, and only the national body create fabriques", async () => {
        const a = await createFabrique("Fabrique A", "07186");
        const b = await createFabrique("Fabrique B", "23096");
        const b1 = await createSatellite(b.admin, b.id, "B1", "23165");
        const before = await spaceCount();

        const intoOther = await createSatellite(a.admin, b.id, "Intrus", "23008");
        expect(intoOther.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        const editOther = await t.gql(
          `mutation($id: ID!) { updateSpace(id: $id, input: { name: "Pris" }) { name } }`,
          { id: b1.data?.createSatellite.id },
          a.admin,
        );
        expect(editOther.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
        const closeOther = await t.gql(
          `mutation($id: ID!) { closeSpace(id: $id) { status } }`,
          { id: b1.data?.createSatellite.id },
          a.admin,
        );
        expect(closeOther.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
        const fabriqueByAdmin = await t.gql(
          `mutation { createFabrique(input: { name: "Rogue", communeCode: "07019" }) { id } }`,
          {},
          a.admin,
        );
        expect(fabriqueByAdmin.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        const satelliteByNational = await createSatellite(national, a.id, "From Paris", "07019");
        expect(satelliteByNational.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        const codeForOther = await t.gql(
          `mutation($f: ID!) { createEnrolmentCode(fabriqueId: $f) { code } }`,
          { f: b.id },
          a.admin,
        );
        expect(codeForOther.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        expect(await spaceCount()).toBe(before);
      });

      it("requires a token", async () => {
        const r = await t.gql("{ fabriques { name } }");
        expect(r.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      });
    });

    describe("bad input, nothing written", () => {
      it("refuses an unknown INSEE code", async () => {
        const r = await t.gql(
          `mutation { createFabrique(input: { name: "Nulle part", communeCode: "99999" }) { id } }`,
          {},
          national,
        );
        expect(r.errors?.[0]?.extensions?.code).toBe("UNKNOWN_COMMUNE");
        expect(await spaceCount()).toBe(0);
      });

      it("refuses a malformed INSEE code, a short name and bad opening hours", async () => {
        for (const input of [
          { name: "Ici", communeCode: "7186" },
          { name: "x", communeCode: "07186" },
          {
            name: "Ici",
            communeCode: "07186",
            openingHours: [{ day: 8, opens: "09:00", closes: "18:00" }],
          },
          {
            name: "Ici",
            communeCode: "07186",
            openingHours: [{ day: 1, opens: "18:00", closes: "09:00" }],
          },
        ]) {
          const r = await t.gql(
            `mutation($input: CreateSpaceInput!) { createFabrique(input: $input) { id } }`,
            { input },
            national,
          );
          expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        }
        expect(await spaceCount()).toBe(0);
      });

      it("refuses duplicate names in one network, case-insensitively, but not across networks", async () => {
        const a = await createFabrique("Fabrique A", "07186");
        const b = await createFabrique("Fabrique B", "23096");
        expect((await createSatellite(a.admin, a.id, "Le Lieu", "07019")).errors).toBeUndefined();
        const dup = await createSatellite(a.admin, a.id, "le lieu", "07064");
        expect(dup.errors?.[0]?.extensions?.code).toBe("DUPLICATE_NAME");
        const sameAsFabrique = await createSatellite(a.admin, a.id, "FABRIQUE A", "07064");
        expect(sameAsFabrique.errors?.[0]?.extensions?.code).toBe("DUPLICATE_NAME");
        expect((await createSatellite(b.admin, b.id, "Le Lieu", "23008")).errors).toBeUndefined();
        expect(await spaceCount()).toBe(4);
      });

      it("lets the database settle a race for one name", async () => {
        const a = await createFabrique("Fabrique A", "07186");
        const results = await Promise.all(
          Array.from({ length: 5 }, () => createSatellite(a.admin, a.id, "Même nom", "07019")),
        );
        const ok = results.filter((r) => !r.errors);
        expect(ok).toHaveLength(1);
        for (const r of results.filter((r) => r.errors)) {
          expect(r.errors?.[0]?.extensions?.code).toBe("DUPLICATE_NAME");
        }
      });

      it("reports unknown ids and ids of the wrong type", async () => {
        const f = await createFabrique("Fabrique A", "07186");
        const ghost = Buffer.from("Space:01NOPE").toString("base64");
        const r = await t.gql(
          `mutation($id: ID!) { closeSpace(id: $id) { status } }`,
          { id: ghost },
          national,
        );
        expect(r.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
        const code = await t.gql(
          `mutation($f: ID!) { createEnrolmentCode(fabriqueId: $f) { code } }`,
          { f: ghost },
          national,
        );
        expect(code.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
        const notAnId = await createSatellite(f.admin, "not an id", "A1", "07019");
        expect(notAnId.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        const s = await createSatellite(f.admin, f.id, "A1", "07019");
        const satelliteAsFabrique = await t.gql(
          `mutation($f: ID!) { createEnrolmentCode(fabriqueId: $f) { code } }`,
          { f: s.data?.createSatellite.id },
          national,
        );
        expect(satelliteAsFabrique.errors?.[0]?.extensions?.code).toBe("NOT_A_FABRIQUE");
        expect(await spaceCount()).toBe(2);
      });

      it("answers malformed GraphQL and wrong types with their codes", async () => {
        const parse = await t.gql("{ spaces(first: 1) { totalCount }", {}, national);
        expect(parse.errors?.[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
        const unknownField = await t.gql("{ spacez }", {}, national);
        expect(unknownField.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
        const wrongType = await t.gql(
          "query($n: Int) { spaces(first: $n) { totalCount } }",
          { n: "ten" },
          national,
        );
        expect(wrongType.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        const badEnum = await t.gql(
          `{ spaces(first: 1, filter: { kind: CASTLE }) { totalCount } }`,
          {},
          national,
        );
        expect(badEnum.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      });
    });

    describe("enrolment codes", () => {
      const KEY = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
      const enrol = (code: string) =>
        t.gql<{ enrolNode: { nodeId: string; fabriqueId: string; fabriqueName: string } }>(
          `mutation($code: String!, $key: Ed25519PublicKeyInput!) { enrolNode(code: $code, publicKey: $key) { nodeId fabriqueId fabriqueName } }`,
          { code, key: KEY },
        );

      it("issues a one-time code that enrols the fabrique's node once", async () => {
        const f = await createFabrique("Fabrique A", "07186");
        const issued = await t.gql<{ createEnrolmentCode: { code: string; expiresAt: string } }>(
          `mutation($f: ID!) { createEnrolmentCode(fabriqueId: $f) { code expiresAt fabrique { name } } }`,
          { f: f.id },
          f.admin,
        );
        const code = issued.data?.createEnrolmentCode.code as string;
        expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
        const hours =
          (Date.parse(issued.data?.createEnrolmentCode.expiresAt as string) - Date.now()) /
          3600_000;
        expect(hours).toBeGreaterThan(23.9);
        const enrolled = await enrol(code.toLowerCase());
        expect(enrolled.errors).toBeUndefined();
        expect(enrolled.data?.enrolNode).toMatchObject({
          fabriqueId: f.id,
          fabriqueName: "Fabrique A",
        });
        const node = await t.gql<{
          space: { node: { id: string; status: string; publicKey: unknown } };
        }>(
          `query($id: ID!) { space(id: $id) { node { id status publicKey } } }`,
          { id: f.id },
          f.admin,
        );
        expect(node.data?.space.node).toMatchObject({ status: "ACTIVE", publicKey: KEY });

        const reused = await enrol(code);
        expect(reused.errors?.[0]?.extensions).toMatchObject({
          code: "ENROLMENT_CODE_INVALID",
          reason: "already used",
        });
      });

      it("refuses an expired or unknown code, and a malformed key", async () => {
        const f = await createFabrique("Fabrique A", "07186");
        const issued = await t.gql<{ createEnrolmentCode: { code: string } }>(
          `mutation($f: ID!) { createEnrolmentCode(fabriqueId: $f, ttlHours: 1) { code } }`,
          { f: f.id },
          national,
        );
        await t.hub.db.prisma.enrolmentCode.updateMany({
          data: { expiresAt: new Date(Date.now() - 1000) },
        });
        const expired = await enrol(issued.data?.createEnrolmentCode.code as string);
        expect(expired.errors?.[0]?.extensions).toMatchObject({
          code: "ENROLMENT_CODE_INVALID",
          reason: "expired",
        });
        const unknown = await enrol("AAAA-BBBB-CCCC-DDDD");
        expect(unknown.errors?.[0]?.extensions?.code).toBe("ENROLMENT_CODE_INVALID");
        const badKey = await t.gql(
          `mutation { enrolNode(code: "AAAA-BBBB-CCCC-DDDD", publicKey: { kty: "RSA", crv: "Ed25519", x: "abc" }) { nodeId } }`,
        );
        expect(badKey.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        const badTtl = await t.gql(
          `mutation($f: ID!) { createEnrolmentCode(fabriqueId: $f, ttlHours: 0) { code } }`,
          { f: f.id },
          national,
        );
        expect(badTtl.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        expect(await t.hub.db.prisma.node.count()).toBe(0);
      });
    });
  });
}
