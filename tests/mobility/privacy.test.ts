import { issueAgentToken } from "@maillage/node-agent";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { agentApi } from "../support/agent-api.ts";
import {
  type ClusterAgent,
  type ClusterHub,
  Resources,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

/**
 * Personal data stays home, end to end: a real hub and two real agents. Members homed at B,
 * with names, first names, emails, phones and organisations, get passes, visit A (with and
 * without disclosing), ask for a booking of A's laser, enrol in A's training and earn its
 * credential, and hold one B granted. Then every table of the hub, and every table of A, is
 * scanned for each of those values (plain, and base64url at the three alignments a JWT part
 * could hide them in): none, but for what a member disclosed at check-in, which only A's
 * disclosure table holds until its retention ends. Erasure at B reaches the hub and A within
 * one sync cycle: visits anonymous, disclosures gone, passes revoked, credentials revoked in
 * their issuer's status list and deleted everywhere.
 */
const WAIT = { timeout: 20_000, interval: 50 };

type Person = {
  displayName: string;
  firstName: string;
  email: string;
  phone: string;
  organisation: string;
};
const PEOPLE: Person[] = [
  {
    displayName: "Romane Vasseur-Quillet",
    firstName: "Romane",
    email: "romane.vasseur@exemple-creuse.fr",
    phone: "+33 5 55 61 42 17",
    organisation: "Atelier Tissage Quillet",
  },
  {
    displayName: "Sacha Peyrelongue",
    firstName: "Sacha",
    email: "sacha.peyrelongue@exemple-creuse.fr",
    phone: "+33 6 71 08 93 25",
    organisation: "Menuiserie Peyrelongue",
  },
  {
    displayName: "Maëlys Chabrerie",
    firstName: "Maëlys",
    email: "maelys.chabrerie@exemple-creuse.fr",
    phone: "+33 7 82 44 19 60",
    organisation: "Coopérative Chabrerie",
  },
];

/** Each value, and the base64url runs that encode it inside any base64url text (3 alignments). */
function needles(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const out = [value];
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), bytes]).toString("base64url");
    const first = Math.ceil((8 * k) / 6);
    const last = Math.floor((8 * (k + bytes.length)) / 6);
    out.push(encoded.slice(first, last));
  }
  return out;
}

const VALUES = PEOPLE.flatMap((p) => [
  p.displayName,
  p.firstName,
  p.email,
  p.phone,
  p.phone.replaceAll(" ", ""),
  p.organisation,
]);

describe("personal data stays home, end to end", () => {
  let hub: ClusterHub;
  let a: ClusterAgent;
  let b: ClusterAgent;
  /** A's clock runs this many ms ahead (attendance during the training, the retention sweep). */
  let shift = 0;
  const resources = new Resources();

  beforeAll(async () => {
    hub = await startClusterHub("pglite");
    // The two agents enrol and start side by side.
    [a, b] = (
      await Promise.all([
        startClusterAgent(hub, {
          name: "A",
          backend: "pglite",
          now: () => new Date(Date.now() + shift),
        }),
        startClusterAgent(hub, { name: "B", backend: "pglite", communeCode: "23096" }),
      ])
    ).map((agent) => resources.add(agent)) as [ClusterAgent, ClusterAgent];
  }, 120_000);
  afterAll(async () => {
    await resources.closeAll();
    await hub?.close();
  });

  async function ok<T>(
    agent: ClusterAgent,
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ) {
    let r: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
    if (token === undefined) r = await agent.gql<T>(query, variables);
    else {
      const response = await agent.agent.fetch("http://agent.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      r = (await response.json()) as typeof r;
    }
    const error = r.errors?.[0];
    if (error || !r.data) {
      throw new Error(`${agent.name}: ${error?.extensions?.code} ${error?.message ?? "no data"}`);
    }
    return r.data;
  }

  const memberToken = (memberId: string) =>
    issueAgentToken({ dataDir: b.agent.config.dataDir, role: "MEMBER", memberId });

  /** Rows, per table, whose whole text holds one of the values (or its base64url runs). */
  async function scan(
    query: <R>(sql: string, params?: unknown[]) => Promise<R[]>,
    except: string[] = [],
  ): Promise<Record<string, number>> {
    const tables = await query<{ name: string }>(
      `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name
         FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    expect(tables.length).toBeGreaterThan(10);
    const patterns = VALUES.flatMap(needles).map((n) => n.toLowerCase());
    const hits: Record<string, number> = {};
    for (const { name } of tables) {
      if (except.includes(name.split(".").at(-1) ?? "")) continue;
      const [row] = await query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${name} t WHERE lower(t::text) LIKE ANY ($1::text[])`,
        [
          patterns.map(
            (p) => `%${p.replaceAll("\\", "\\\\").replaceAll("%", "\\%").replaceAll("_", "\\_")}%`,
          ),
        ],
      );
      if ((row?.n ?? 0) > 0) hits[name] = row?.n ?? 0;
    }
    return hits;
  }

  it("leaves no seeded name, email or phone at the hub nor at the other agent; erasure at home reaches both", async () => {
    // The members, at home (B), with every personal field.
    const ids: string[] = [];
    for (const p of PEOPLE) {
      const data = await ok<{ registerMember: { id: string } }>(
        b,
        `mutation($h: ID!, $n: String!, $f: String, $e: String, $p: String, $o: String) {
           registerMember(homeSpaceId: $h, displayName: $n, firstName: $f, email: $e, phone: $p,
             organisation: $o) { id } }`,
        {
          h: b.fabriqueId,
          n: p.displayName,
          f: p.firstName,
          e: p.email,
          p: p.phone,
          o: p.organisation,
        },
      );
      ids.push(data.registerMember.id);
    }
    const [erased, plain, other] = ids as [string, string, string];

    // Consent, by the members themselves: everything for two, nothing for one. Passes follow.
    const passes: Record<string, { id: string; shortCode: string }> = {};
    for (const id of ids) {
      const fields = id === plain ? [] : ["FIRST_NAME", "EMAIL", "PHONE", "ORGANISATION"];
      const token = await memberToken(id);
      await ok(b, "mutation($m: ID!) { renewPass(memberId: $m) { id } }", { m: id }, token);
      const data = await ok<{ setPassConsent: { id: string; shortCode: string } | null }>(
        b,
        "mutation($m: ID!, $f: [ConsentField!]!) { setPassConsent(memberId: $m, fields: $f) { id shortCode } }",
        { m: id, f: fields },
        token,
      );
      const pass =
        data.setPassConsent ??
        (
          await ok<{ memberPass: { id: string; shortCode: string } }>(
            b,
            "query($m: ID!) { memberPass(memberId: $m) { id shortCode } }",
            { m: id },
            token,
          )
        ).memberPass;
      passes[id] = pass;
    }
    await vi.waitFor(async () => {
      const rows = await a.query(
        "SELECT 1 FROM pass WHERE id = ANY($1::text[]) AND status = 'ACTIVE'",
        [Object.values(passes).map((p) => p.id)],
      );
      expect(rows).toHaveLength(3);
    }, WAIT);

    // Check-ins at A: two members show their pass disclosing email and first name (phone and
    // organisation consented, not chosen), one types its short code.
    const present = async (id: string) => {
      const data = await ok<{ memberPass: { presentation: { sdJwt: string } } }>(
        b,
        "query($m: ID!) { memberPass(memberId: $m) { presentation(disclose: [EMAIL, FIRST_NAME]) { sdJwt } } }",
        { m: id },
        await memberToken(id),
      );
      return data.memberPass.presentation.sdJwt;
    };
    const visitIds: Record<string, string> = {};
    for (const id of [erased, other]) {
      const data = await ok<{ checkIn: { id: string } }>(
        a,
        "mutation($i: CheckInInput!) { checkIn(input: $i) { id } }",
        { i: { spaceId: a.fabriqueId, pass: await present(id) } },
      );
      visitIds[id] = data.checkIn.id;
    }
    const typed = await ok<{ checkIn: { id: string } }>(
      a,
      "mutation($i: CheckInInput!) { checkIn(input: $i) { id } }",
      { i: { spaceId: a.fabriqueId, shortCode: passes[plain]?.shortCode } },
    );
    visitIds[plain] = typed.checkIn.id;
    const disclosed = await a.query<{
      member_id: string;
      first_name: string | null;
      email: string | null;
      phone: string | null;
      organisation: string | null;
    }>(
      "SELECT member_id, first_name, email, phone, organisation FROM visit_disclosure ORDER BY member_id",
    );
    expect(disclosed).toEqual(
      [erased, other].sort().map((id) => {
        const p = PEOPLE[ids.indexOf(id)] as Person;
        return {
          member_id: id,
          first_name: p.firstName,
          email: p.email,
          phone: null,
          organisation: null,
        };
      }),
    );

    // A's laser, shared with the network: B asks for it for a member.
    const laser = await ok<{ createResource: { id: string } }>(
      a,
      `mutation($s: ID!) { createResource(input: { spaceId: $s, name: "Laser", category: MACHINE,
         sharingScope: NETWORK, rules: { minMinutes: 30, maxMinutes: 240 } }) { id } }`,
      { s: a.fabriqueId },
    );
    await vi.waitFor(async () => {
      expect(
        await b.query("SELECT 1 FROM resource WHERE id = $1", [laser.createResource.id]),
      ).toHaveLength(1);
    }, WAIT);
    const startsAt = new Date(Math.ceil((Date.now() + 100 * 3_600_000) / 3_600_000) * 3_600_000);
    await ok(
      b,
      `mutation($r: ID!, $m: ID!, $s: DateTime!, $e: DateTime!) {
         requestBooking(resourceId: $r, startsAt: $s, endsAt: $e, forMemberId: $m) { id } }`,
      {
        r: laser.createResource.id,
        m: erased,
        s: startsAt.toISOString(),
        e: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      },
    );

    // A's training, with a credential; the member enrols from home; A records the attendance.
    const hourAhead = (hours: number) =>
      new Date(Math.ceil((Date.now() + hours * 3_600_000) / 60_000) * 60_000).toISOString();
    const training = await ok<{ createTraining: { id: string }[] }>(
      a,
      "mutation($i: CreateTrainingInput!) { createTraining(input: $i) { id } }",
      {
        i: {
          spaceId: a.fabriqueId,
          title: "Sécurité découpeuse laser",
          topic: "MACHINE_SAFETY",
          venueSpaceId: a.fabriqueId,
          startsAt: hourAhead(48),
          endsAt: hourAhead(50),
          capacity: 4,
          scope: "NETWORK",
          grants: { type: "laser-safety", validityDays: 365 },
        },
      },
    );
    const trainingId = training.createTraining[0]?.id as string;
    await vi.waitFor(async () => {
      expect(await b.query("SELECT 1 FROM training WHERE id = $1", [trainingId])).toHaveLength(1);
    }, WAIT);
    const enrolment = await ok<{ enrol: { id: string } }>(
      b,
      "mutation($t: ID!, $m: ID!) { enrol(trainingId: $t, memberId: $m) { id } }",
      { t: trainingId, m: erased },
    );
    await vi.waitFor(async () => {
      const rows = await a.query<{ status: string }>("SELECT status FROM enrolment WHERE id = $1", [
        enrolment.enrol.id,
      ]);
      expect(rows[0]?.status).toBe("ENROLLED");
    }, WAIT);
    shift = 49 * 3_600_000;
    const attended = await ok<{ markAttendance: { credentialId: string } }>(
      a,
      "mutation($id: ID!) { markAttendance(id: $id, status: ATTENDED) { credentialId } }",
      { id: enrolment.enrol.id },
    );
    const organiserCredential = attended.markAttendance.credentialId;
    // And one the home team grants.
    const granted = await ok<{ grantCredential: { id: string } }>(
      b,
      `mutation($m: ID!) { grantCredential(memberId: $m, type: "cnc-safety") { id } }`,
      { m: erased },
    );
    const homeCredential = granted.grantCredential.id;
    await vi.waitFor(async () => {
      expect(
        await b.query("SELECT 1 FROM credential WHERE id = $1", [organiserCredential]),
      ).toHaveLength(1);
      expect(
        await hub.query("SELECT 1 FROM credential WHERE id = ANY($1::text[])", [
          [organiserCredential, homeCredential],
        ]),
      ).toHaveLength(2);
    }, WAIT);
    await vi.waitFor(async () => {
      expect(await b.query("SELECT 1 FROM visit WHERE NOT owned")).toHaveLength(3);
    }, WAIT);

    // Right of access at home: everything about the member, to the member; not to another.
    const exported = JSON.parse(
      (
        await ok<{ memberDataExport: string }>(
          b,
          "query($m: ID!) { memberDataExport(memberId: $m) }",
          { m: erased },
          await memberToken(erased),
        )
      ).memberDataExport,
    );
    expect(exported.member).toMatchObject({
      id: erased,
      email: PEOPLE[0]?.email,
      phone: PEOPLE[0]?.phone,
    });
    expect(exported.consent).toEqual(expect.arrayContaining(["email", "firstName"]));
    expect(exported.passes.length).toBeGreaterThanOrEqual(2);
    expect(exported.visits.map((v: { id: string }) => v.id)).toEqual([visitIds[erased]]);
    expect(exported.bookingRequests).toHaveLength(1);
    expect(exported.enrolments.map((e: { id: string }) => e.id)).toEqual([enrolment.enrol.id]);
    expect(exported.credentials.map((c: { id: string }) => c.id).sort()).toEqual(
      [organiserCredential, homeCredential].sort(),
    );
    const stranger = await b.agent.fetch("http://agent.test/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await memberToken(plain)}`,
      },
      body: JSON.stringify({ query: `{ memberDataExport(memberId: "${erased}") }` }),
    });
    expect(
      ((await stranger.json()) as { errors: { extensions: { code: string } }[] }).errors[0]
        ?.extensions.code,
    ).toBe("FORBIDDEN");

    // The scans: the hub holds nothing personal; A only what was disclosed, in its disclosure table.
    expect(await scan((sql, params) => hub.query(sql, params))).toEqual({});
    expect(await scan((sql, params) => a.query(sql, params), ["visit_disclosure"])).toEqual({});
    // Counted apart: the two disclosures A keeps until their retention ends.
    expect(await scan((sql, params) => a.query(sql, params))).toEqual({
      "public.visit_disclosure": 2,
    });
    // B, the home, does hold them (the scan finds what it looks for).
    expect(Object.keys(await scan((sql, params) => b.query(sql, params)))).toContain(
      "public.member",
    );

    // Erasure at home; one sync cycle later, the hub and A hold no trace of the person.
    await agentApi(b).eraseMember(erased);
    await vi.waitFor(async () => {
      expect(
        await hub.query("SELECT member_id FROM visit WHERE id = $1", [visitIds[erased]]),
      ).toEqual([{ member_id: null }]);
      expect(
        await a.query("SELECT member_id, pass_id FROM visit WHERE id = $1", [visitIds[erased]]),
      ).toEqual([{ member_id: null, pass_id: null }]);
      expect(
        await a.query("SELECT 1 FROM visit_disclosure WHERE member_id = $1", [erased]),
      ).toEqual([]);
      expect(
        await a.query("SELECT status, revocation_reason FROM pass WHERE member_id = $1", [erased]),
      ).toContainEqual({
        status: "REVOKED",
        revocation_reason: "ERASED",
      });
      expect(
        await a.query("SELECT status FROM pass WHERE member_id = $1 AND status = 'ACTIVE'", [
          erased,
        ]),
      ).toEqual([]);
      // The organiser's credential: revoked in A's status list, and gone everywhere.
      expect(
        await a.query(
          "SELECT 1 FROM credential_status WHERE credential_id = $1 AND revoked_at IS NOT NULL",
          [organiserCredential],
        ),
      ).toHaveLength(1);
      for (const id of [organiserCredential, homeCredential]) {
        expect(await a.query("SELECT 1 FROM credential WHERE id = $1", [id])).toEqual([]);
        expect(await b.query("SELECT 1 FROM credential WHERE id = $1", [id])).toEqual([]);
        expect(await hub.query("SELECT 1 FROM credential WHERE id = $1", [id])).toEqual([]);
      }
      expect(
        await b.query(
          "SELECT 1 FROM credential_status WHERE credential_id = $1 AND revoked_at IS NOT NULL",
          [homeCredential],
        ),
      ).toHaveLength(1);
      expect(await a.query("SELECT 1 FROM member_erasure")).toEqual([]);
      // The hub's record of the pass: revoked too.
      expect(
        await hub.query("SELECT status, revocation_reason FROM pass WHERE id = $1", [
          passes[erased]?.id,
        ]),
      ).toEqual([{ status: "REVOKED", revocation_reason: "ERASED" }]);
    }, WAIT);
    // The visit still counts, anonymously, at both ends.
    expect(await b.query("SELECT member_id FROM visit WHERE id = $1", [visitIds[erased]])).toEqual([
      { member_id: null },
    ]);
    expect(await b.query("SELECT 1 FROM member WHERE id = $1", [erased])).toEqual([]);
    // Its pass no longer gets in, by short code, at A.
    const refused = await a.gql("mutation($i: CheckInInput!) { checkIn(input: $i) { id } }", {
      i: { spaceId: a.fabriqueId, shortCode: passes[erased]?.shortCode },
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe("PASS_REVOKED");

    // After the retention, A's sweeper deletes the others' disclosures: nothing left anywhere.
    shift += 31 * 86_400_000;
    await a.agent.services.checkIns.sweepDisclosures();
    expect(await a.query("SELECT 1 FROM visit_disclosure")).toEqual([]);
    expect(await scan((sql, params) => a.query(sql, params))).toEqual({});
    expect(await scan((sql, params) => hub.query(sql, params))).toEqual({});
  }, 60_000);
});
