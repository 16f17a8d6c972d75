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
 * Settlement end to end: a real hub and two real agents. Each network sets tariff versions
 * (per visit, then per day; per day), members of each visit the other's fabrique — some
 * check-ins made while the visited agent could not reach the hub — and the two agents'
 * statements for the month agree to the cent, line by line, owes and owed swapped.
 */
const WAIT = { timeout: 20_000, interval: 50 };
const MONTH = "2026-10";

type Line = {
  homeSpaceId: string;
  spaceId: string;
  tariffValidFrom: string | null;
  unit: string;
  unitCents: number;
  visits: number;
  days: number;
  amountCents: number;
};
type Statement = {
  owes: Line[];
  owed: Line[];
  totals: { owesCents: number; owedCents: number; netCents: number; visits: number; days: number };
  csv: string;
};
const LINE = "homeSpaceId spaceId tariffValidFrom unit unitCents visits days amountCents";

describe("settlement between two networks, end to end", () => {
  let hub: ClusterHub;
  let a: ClusterAgent;
  let b: ClusterAgent;
  const resources = new Resources();
  /** Both agents' clocks, moved to the month settled (passes issued then, visits after). */
  let shift = Date.parse(`${MONTH}-01T06:00:00Z`) - Date.now();
  const now = () => new Date(Date.now() + shift);

  beforeAll(async () => {
    hub = await startClusterHub("pglite");
    // The two agents enrol and start side by side.
    [a, b] = (
      await Promise.all([
        startClusterAgent(hub, { name: "A", backend: "pglite", now }),
        startClusterAgent(hub, { name: "B", backend: "pglite", communeCode: "23096", now }),
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
  ) {
    const r = await agent.gql<T>(query, variables);
    const error = r.errors?.[0];
    if (error || !r.data) {
      throw new Error(`${agent.name}: ${error?.extensions?.code} ${error?.message ?? "no data"}`);
    }
    return r.data;
  }

  /** A member of `home` with a pass; its short code, once the other agent has the replica. */
  async function memberWithPass(home: ClusterAgent, other: ClusterAgent, name: string) {
    const id = await agentApi(home).registerMember(home.fabriqueId, name);
    const { renewPass } = await ok<{ renewPass: { id: string; shortCode: string } }>(
      home,
      "mutation($m: ID!) { renewPass(memberId: $m) { id shortCode } }",
      { m: id },
    );
    await vi.waitFor(async () => {
      expect(await other.query("SELECT 1 FROM pass WHERE id = $1", [renewPass.id])).toHaveLength(1);
    }, WAIT);
    return { id, shortCode: renewPass.shortCode };
  }

  async function checkIn(at: ClusterAgent, shortCode: string, day: string, hour: number) {
    const arrivedAt = `${day}T${String(hour).padStart(2, "0")}:00:00Z`;
    // The clocks move on to two hours after the arrival.
    shift = Date.parse(arrivedAt) + 7_200_000 - Date.now();
    const { checkIn } = await ok<{ checkIn: { id: string } }>(
      at,
      "mutation($i: CheckInInput!) { checkIn(input: $i) { id } }",
      { i: { spaceId: at.fabriqueId, shortCode, arrivedAt, durationMinutes: 90 } },
    );
    return checkIn.id;
  }

  async function setTariff(at: ClusterAgent, validFrom: string, price: { v?: number; d?: number }) {
    await ok(
      at,
      "mutation($s: ID!, $f: String!, $v: Int, $d: Int) { setTariff(spaceId: $s, validFrom: $f, perVisitCents: $v, perDayCents: $d) { validFrom } }",
      { s: at.fabriqueId, f: validFrom, v: price.v ?? null, d: price.d ?? null },
    );
  }

  const statement = async (at: ClusterAgent, counterpart: ClusterAgent) =>
    (
      await ok<{ settlementStatement: Statement }>(
        at,
        `query($p: String!, $c: ID!) { settlementStatement(period: $p, counterpartFabriqueId: $c) {
           owes { ${LINE} } owed { ${LINE} } totals { owesCents owedCents netCents visits days } csv } }`,
        { p: MONTH, c: counterpart.fabriqueId },
      )
    ).settlementStatement;

  it("gives both agents the same statement to the cent, over visits made offline and tariff versions", async () => {
    // A: 4.50 a visit, then 8.00 a member-day from the 15th. B: 6.00 a member-day.
    await setTariff(a, "2026-10-01", { v: 450 });
    await setTariff(a, "2026-10-15", { d: 800 });
    await setTariff(b, "2026-09-01", { d: 600 });
    // A negative tariff is refused, nothing written.
    const refused = await a.gql(
      `mutation($s: ID!) { setTariff(spaceId: $s, validFrom: "2026-11-01", perVisitCents: -5) { validFrom } }`,
      { s: a.fabriqueId },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await a.query("SELECT valid_from FROM tariff WHERE owned")).toHaveLength(2);

    const [b1, b2] = [
      await memberWithPass(b, a, "Romane Vasseur"),
      await memberWithPass(b, a, "Sacha Leclerc"),
    ];
    const [a1] = [await memberWithPass(a, b, "Maël Garnier")];
    // Tariffs reach the other side.
    await vi.waitFor(async () => {
      expect(await b.query("SELECT 1 FROM tariff WHERE NOT owned")).toHaveLength(2);
      expect(await a.query("SELECT 1 FROM tariff WHERE NOT owned")).toHaveLength(1);
    }, WAIT);

    // B's members at A: per visit before the 15th (3 visits), per day after (b1 twice a day).
    await checkIn(a, b1.shortCode, "2026-10-02", 8);
    await checkIn(a, b1.shortCode, "2026-10-02", 14);
    await checkIn(a, b2.shortCode, "2026-10-14", 9);
    // A offline from the hub: its check-ins wait in its outbox.
    await hub.stop();
    await checkIn(a, b1.shortCode, "2026-10-20", 8);
    await checkIn(a, b1.shortCode, "2026-10-20", 15);
    await checkIn(a, b2.shortCode, "2026-10-20", 9);
    // A's member at B, also while the hub is down; one outside the month.
    await checkIn(b, a1.shortCode, "2026-10-05", 10);
    await checkIn(b, a1.shortCode, "2026-10-31", 20);
    await checkIn(b, a1.shortCode, "2026-11-01", 10);
    await hub.start();

    // Every visit of the pair reaches the other end (home), once.
    await vi.waitFor(async () => {
      expect(await b.query("SELECT 1 FROM visit WHERE NOT owned")).toHaveLength(6);
      expect(await a.query("SELECT 1 FROM visit WHERE NOT owned")).toHaveLength(3);
    }, WAIT);

    const atA = await statement(a, b);
    const atB = await statement(b, a);
    expect(atA.owed).toEqual([
      {
        homeSpaceId: b.fabriqueId,
        spaceId: a.fabriqueId,
        tariffValidFrom: "2026-10-01",
        unit: "VISIT",
        unitCents: 450,
        visits: 3,
        days: 2,
        amountCents: 1350,
      },
      {
        homeSpaceId: b.fabriqueId,
        spaceId: a.fabriqueId,
        tariffValidFrom: "2026-10-15",
        unit: "DAY",
        unitCents: 800,
        visits: 3,
        days: 2,
        amountCents: 1600,
      },
    ]);
    expect(atA.owes).toEqual([
      {
        homeSpaceId: a.fabriqueId,
        spaceId: b.fabriqueId,
        tariffValidFrom: "2026-09-01",
        unit: "DAY",
        unitCents: 600,
        visits: 2,
        days: 2,
        amountCents: 1200,
      },
    ]);
    expect(atA.totals).toEqual({
      owesCents: 1200,
      owedCents: 2950,
      netCents: 1750,
      visits: 8,
      days: 6,
    });
    // The other end: the same lines, swapped, to the cent.
    expect(atB.owes).toEqual(atA.owed);
    expect(atB.owed).toEqual(atA.owes);
    expect(atB.totals).toEqual({
      owesCents: 2950,
      owedCents: 1200,
      netCents: -1750,
      visits: 8,
      days: 6,
    });
    expect(atA.csv.split("\r\n").at(-2)).toBe(`${MONTH},NET,,,,,,,,8,6,1750,17.50`);
    expect(atB.csv.split("\r\n").at(-2)).toBe(`${MONTH},NET,,,,,,,,8,6,-1750,-17.50`);

    // b1 is erased at home: its visits become anonymous at both ends, and the month is the
    // same to the cent (its two visits on the 20th still make one member-day).
    await agentApi(b).eraseMember(b1.id);
    await vi.waitFor(async () => {
      expect(await a.query("SELECT 1 FROM visit WHERE member_id = $1", [b1.id])).toEqual([]);
      expect(await b.query("SELECT 1 FROM visit WHERE member_id = $1", [b1.id])).toEqual([]);
    }, WAIT);
    expect(await statement(a, b)).toEqual(atA);
    expect(await statement(b, a)).toEqual(atB);
  }, 60_000);
});
