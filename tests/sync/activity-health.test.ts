import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { agentApi } from "../support/agent-api.ts";
import {
  type ClusterHub,
  Resources,
  settle,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

/**
 * Activity from a satellite's report at its agent to the national body's networkHealth: a
 * revision counts once, an idempotent re-send changes nothing, a CSV import arrives whole,
 * and the note stays at the agent.
 */
let hub: ClusterHub;
const resources = new Resources();
beforeAll(async () => {
  hub = await startClusterHub("pglite");
});
afterAll(async () => {
  await resources.closeAll();
  await hub?.close();
});

const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

it("carries reports from the agent to the hub's rollups, revisions and re-sends counted once", async () => {
  // The satellite joins the network a week ago (its ULID says so): it reports the days since.
  let joining = true;
  const agent = resources.add(
    await startClusterAgent(hub, {
      name: "Vivarais",
      backend: "pglite",
      now: () => (joining ? new Date(Date.now() - 7 * 86_400_000) : new Date()),
    }),
  );
  const satellite = await agentApi(agent).createSatellite({
    name: "La Grange",
    communeCode: "07107",
  });
  joining = false;
  const report = (visitors: number, key: string) =>
    agent.gql(`mutation($i: ReportActivityInput!) { reportActivity(input: $i) { date } }`, {
      i: {
        spaceId: satellite,
        date: day(1),
        visitors,
        events: 1,
        participants: 3,
        openHours: 4,
        note: "Atelier avec Camille Durand",
        idempotencyKey: key,
      },
    });
  expect((await report(10, "first-report-key")).errors).toBeUndefined();
  expect((await report(10, "first-report-key")).errors).toBeUndefined(); // a re-send after a timeout
  expect((await report(14, "revision-key-001")).errors).toBeUndefined(); // the revision
  const csv = [
    "space_id,date,visitors,events,participants,open_hours",
    `${satellite},${day(2)},6,0,0,3`,
    `${satellite},${day(3)},4,1,2,2.5`,
  ].join("\n");
  const imported = await agent.gql(
    `mutation($csv: String!) { importActivity(csv: $csv) { imported } }`,
    { csv },
  );
  expect(imported.errors).toBeUndefined();

  await settle(hub, [agent]);
  await vi.waitFor(async () => {
    const r = await hub.gql<{
      networkHealth: { activity: { visitors: number; reports: number; openHours: number } };
    }>("{ networkHealth { activity { visitors reports openHours } } }", {}, await hub.national());
    expect(r.data?.networkHealth.activity).toEqual({ visitors: 24, reports: 3, openHours: 9.5 });
  });
  const logged = await hub.query<{ payload: unknown }>(
    "SELECT payload FROM change_log WHERE entity = 'ACTIVITY'",
  );
  expect(JSON.stringify(logged)).not.toContain("Camille");
  expect(logged).toHaveLength(4); // the report, its revision and the two imported days
});
