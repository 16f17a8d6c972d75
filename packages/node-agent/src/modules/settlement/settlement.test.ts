import { ulid } from "ulid";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { outboxRepository } from "../../outbox/outbox.repository.ts";
import { startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { STATEMENT_CSV_HEADER } from "./settlement.service.ts";

/**
 * Tariffs and the settlement statement at one agent (a fake hub). The two ends agreeing over
 * real check-ins, offline visits and tariff versions: tests/mobility/settlement.test.ts.
 */
describe("settlement at an agent", () => {
  let t: TestAgent;
  let admin: string;
  const other = "fab-other";

  const pull = async () => expect((await t.agent.sync.pullNow()).kind).toBe("caught-up");
  const sql = <R>(text: string, params: unknown[] = []) => t.agent.store.query<R>(text, params);
  const tariffEvents = async () =>
    (await outboxRepository.list(t.agent.store)).filter((e) => e.entity === "TARIFF");
  const setTariff = (vars: Record<string, unknown>, token = admin) =>
    t.gql<{ setTariff: { validFrom: string; perVisitCents: number | null } }>(
      `mutation($s: ID!, $from: String!, $v: Int, $d: Int) {
         setTariff(spaceId: $s, validFrom: $from, perVisitCents: $v, perDayCents: $d) {
           validFrom perVisitCents perDayCents owned } }`,
      vars,
      token,
    );
  const space = (id: string, kind: "FABRIQUE" | "SATELLITE", fabriqueId: string | null) =>
    t.hub.appendLog({
      originNodeId: "node-other",
      targetNodeId: null,
      entity: "SPACE",
      entityId: id,
      op: "UPSERT",
      payload: {
        kind,
        fabriqueId,
        name: `Lieu ${id}`,
        communeCode: "07186",
        services: [],
        openingHours: [],
        status: "OPEN",
      },
    });

  beforeAll(async () => {
    t = await startTestAgent("pglite");
  }, 60_000);
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.reset();
    admin = await t.admin();
    space(other, "FABRIQUE", null);
    space("sat-other", "SATELLITE", other);
    await pull();
  });

  it("sets tariff versions of its own spaces and sends them; refuses a negative one, writing nothing", async () => {
    const set = await setTariff({ s: t.fabrique.id, from: "2026-03-01", v: 450 });
    expect(set.errors).toBeUndefined();
    expect(set.data?.setTariff).toMatchObject({ validFrom: "2026-03-01", perVisitCents: 450 });
    expect((await tariffEvents()).map((e) => [e.entityId, e.payload])).toEqual([
      [
        `${t.fabrique.id}:2026-03-01`,
        { spaceId: t.fabrique.id, validFrom: "2026-03-01", perVisitCents: 450, perDayCents: null },
      ],
    ]);

    for (const bad of [
      { s: t.fabrique.id, from: "2026-04-01", v: -1 },
      { s: t.fabrique.id, from: "2026-04-01", d: -100 },
      { s: t.fabrique.id, from: "2026-04-01", v: 100, d: 100 },
      { s: t.fabrique.id, from: "2026-02-30", v: 100 },
    ]) {
      const refused = await setTariff(bad);
      expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    // Another network's space is not this node's to price.
    const foreign = await setTariff({ s: "sat-other", from: "2026-04-01", v: 100 });
    expect(foreign.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    // A member may not.
    const member = await t.token({ role: "MEMBER", memberId: "m-1" });
    const byMember = await setTariff({ s: t.fabrique.id, from: "2026-04-01", v: 1 }, member);
    expect(byMember.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await tariffEvents()).toHaveLength(1);
    expect(await sql("SELECT * FROM tariff")).toHaveLength(1);
  });

  it("keeps other networks' tariff versions from the hub, never over its own", async () => {
    const event = (spaceId: string, validFrom: string, perDayCents: number) =>
      t.hub.appendLog({
        originNodeId: "node-other",
        targetNodeId: null,
        entity: "TARIFF",
        entityId: `${spaceId}:${validFrom}`,
        op: "UPSERT",
        payload: { spaceId, validFrom, perVisitCents: null, perDayCents },
      });
    await setTariff({ s: t.fabrique.id, from: "2026-03-01", v: 450 });
    event("sat-other", "2026-03-01", 700);
    event(t.fabrique.id, "2026-03-01", 1); // a copy claiming this node's space: ignored
    await pull();
    const tariffs = await t.gql<{ tariffs: unknown[] }>(
      `query($s: ID!) { tariffs(spaceId: $s) { validFrom perVisitCents perDayCents owned } }`,
      { s: "sat-other" },
      admin,
    );
    expect(tariffs.data?.tariffs).toEqual([
      { validFrom: "2026-03-01", perVisitCents: null, perDayCents: 700, owned: false },
    ]);
    expect(
      await sql("SELECT per_visit_cents, owned FROM tariff WHERE space_id = $1", [t.fabrique.id]),
    ).toEqual([{ per_visit_cents: 450, owned: true }]);
  });

  it("states a month in both directions from the visit records, with CSV and JSON", async () => {
    await setTariff({ s: t.fabrique.id, from: "2026-03-01", v: 450 });
    t.hub.appendLog({
      originNodeId: "node-other",
      targetNodeId: null,
      entity: "TARIFF",
      entityId: "sat-other:2026-03-10",
      op: "UPSERT",
      payload: {
        spaceId: "sat-other",
        validFrom: "2026-03-10",
        perVisitCents: null,
        perDayCents: 700,
      },
    });
    await pull();
    const visit = (member: string | null, home: string, at: string, day: string) =>
      sql(
        `INSERT INTO visit (id, member_id, home_space_id, space_id, day, arrived_at, method, owned)
         VALUES ($1, $2, $3, $4, $5::date, $6::timestamptz, 'SHORT_CODE', $7)`,
        [ulid(), member, home, at, day, `${day}T09:00:00Z`, at === t.fabrique.id],
      );
    // Theirs here: 3 visits at 4.50.
    await visit("theirs-1", "sat-other", t.fabrique.id, "2026-03-03");
    await visit("theirs-1", "sat-other", t.fabrique.id, "2026-03-03");
    await visit("theirs-2", other, t.fabrique.id, "2026-03-31");
    // Ours there: before the tariff (free), then two member-days at 7.00 (three visits).
    await visit("ours-1", t.fabrique.id, "sat-other", "2026-03-09");
    await visit("ours-1", t.fabrique.id, "sat-other", "2026-03-10");
    await visit("ours-1", t.fabrique.id, "sat-other", "2026-03-10");
    await visit(null, t.fabrique.id, "sat-other", "2026-03-11");
    // Outside the month, or between other networks: not in it.
    await visit("ours-1", t.fabrique.id, "sat-other", "2026-04-01");
    await visit("theirs-1", "sat-other", t.fabrique.id, "2026-02-28");
    await visit("x", "somewhere-else", t.fabrique.id, "2026-03-05");

    const answer = await t.gql<{
      settlementStatement: {
        owes: {
          spaceId: string;
          tariffValidFrom: string | null;
          visits: number;
          days: number;
          amountCents: number;
        }[];
        owed: {
          homeSpaceId: string;
          visits: number;
          days: number;
          amountCents: number;
          unit: string;
        }[];
        totals: Record<string, number>;
        csv: string;
        json: string;
      };
    }>(
      `query($p: String!, $c: ID!) { settlementStatement(period: $p, counterpartFabriqueId: $c) {
         owes { spaceId tariffValidFrom visits days amountCents }
         owed { homeSpaceId visits days amountCents unit }
         totals { owesCents owedCents netCents visits days } csv json } }`,
      { p: "2026-03", c: other },
      admin,
    );
    expect(answer.errors).toBeUndefined();
    const s = answer.data?.settlementStatement;
    expect(s?.owes).toEqual([
      { spaceId: "sat-other", tariffValidFrom: null, visits: 1, days: 1, amountCents: 0 },
      {
        spaceId: "sat-other",
        tariffValidFrom: "2026-03-10",
        visits: 3,
        days: 2,
        amountCents: 1400,
      },
    ]);
    expect(s?.owed).toEqual([
      { homeSpaceId: other, visits: 1, days: 1, amountCents: 450, unit: "VISIT" },
      { homeSpaceId: "sat-other", visits: 2, days: 1, amountCents: 900, unit: "VISIT" },
    ]);
    expect(s?.totals).toEqual({
      owesCents: 1400,
      owedCents: 1350,
      netCents: -50,
      visits: 7,
      days: 5,
    });
    const csv = s?.csv.split("\r\n") ?? [];
    expect(csv[0]).toBe(STATEMENT_CSV_HEADER.join(","));
    expect(csv).toHaveLength(1 + 4 + 3 + 1); // header, lines, totals, final CRLF
    expect(csv.at(-2)).toBe("2026-03,NET,,,,,,,,7,5,-50,-0.50");
    expect(JSON.parse(s?.json ?? "{}").totals.netCents).toBe(-50);

    // The same as a file to download, for the team only.
    const download = (query: string, token?: string) =>
      t.agent.fetch(`http://agent/settlement/statement?${query}`, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
    const file = await download(`period=2026-03&counterpart=${other}`, admin);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toContain("text/csv");
    expect(file.headers.get("content-disposition")).toBe(
      `attachment; filename="settlement-2026-03-${other}.csv"`,
    );
    expect(await file.text()).toBe(s?.csv);
    const asJson = await download(`period=2026-03&counterpart=${other}&format=json`, admin);
    expect(((await asJson.json()) as { totals: unknown }).totals).toEqual(s?.totals);
    const member = await t.token({ role: "MEMBER", memberId: "m-1" });
    expect((await download(`period=2026-03&counterpart=${other}`)).status).toBe(401);
    expect((await download(`period=2026-03&counterpart=${other}`, member)).status).toBe(403);
    expect((await download(`period=March&counterpart=${other}`, admin)).status).toBe(400);
    expect((await download("period=2026-03&counterpart=nowhere", admin)).status).toBe(404);

    // The team's only; a month as YYYY-MM; a fabrique known here.
    const satellite = await t.token({ role: "SATELLITE", spaceId: "sat-x" });
    const q = `query($p: String!, $c: ID!) { settlementStatement(period: $p, counterpartFabriqueId: $c) { period } }`;
    expect(
      (await t.gql(q, { p: "2026-03", c: other }, satellite)).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    expect((await t.gql(q, { p: "2026-3", c: other }, admin)).errors?.[0]?.extensions?.code).toBe(
      "BAD_USER_INPUT",
    );
    expect(
      (await t.gql(q, { p: "2026-03", c: "sat-other" }, admin)).errors?.[0]?.extensions?.code,
    ).toBe("NOT_FOUND");
  });
});
