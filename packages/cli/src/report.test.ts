import fs from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it, onTestFinished } from "vitest";
import { main } from "./main.ts";
import {
  HUB_REPORT,
  MOBILITY_REPORT_QUERY,
  NETWORK_HEALTH_QUERY,
  TRAINING_REPORT_QUERY,
} from "./report.ts";
import { FABRIQUE_CHECK_QUERY } from "./running-hub.ts";
import { capturedIo, fakeContext, fakeHubApi, writeHubKeyFile } from "./test-support.ts";

const HEALTH = {
  scope: "NATION",
  scopeId: "FR",
  from: "2026-10-23",
  to: "2026-11-21",
  coverage: {
    fabriques: 2,
    satellites: 6,
    spaces: 8,
    activeSpaces: 5,
    silentSpaces: 3,
    communesCovered: 8,
    ruralSpaces: 3,
    ruralShare: 0.375,
  },
  liveness: { online: 1, stale: 0, silent: 1, worstLags: [] },
  activity: { visitors: 120, events: 9, participants: 40, openHours: 55.5, reports: 20 },
  mutualisation: {
    sharedResources: 3,
    bookings: 12,
    bookedHours: 30.5,
    crossNodeBookings: 2,
    loans: 1,
    utilisation: 0.25,
  },
  regions: [
    {
      code: "84",
      name: "Auvergne-Rhône-Alpes",
      visitors: 100,
      events: 7,
      participants: 30,
      openHours: 40,
      sharedResources: 2,
      bookings: 10,
      bookedHours: 25,
      crossNodeBookings: 2,
      loans: 0,
      utilisation: null,
      coverage: {
        fabriques: 1,
        satellites: 4,
        spaces: 5,
        activeSpaces: 4,
        silentSpaces: 1,
        communesCovered: 5,
        ruralSpaces: 2,
        ruralShare: 0.4,
      },
    },
  ],
};

async function run(
  argv: string[],
  answer: unknown = { data: { networkHealth: HEALTH } },
  options: { env?: Record<string, string>; running?: Record<string, string> } = {},
) {
  const { api } = fakeHubApi({ running: options.running ?? {} });
  const io = fakeContext(api, options.env ?? { MAILLAGE_TOKEN: "t0ken", PORT: "4999" });
  const requests: {
    url: string;
    body: { variables: { filter: Record<string, string> } };
    auth: string | null;
  }[] = [];
  io.ctx.fetch = (async (url: string, init: RequestInit) => {
    requests.push({
      url,
      body: JSON.parse(String(init.body)),
      auth: new Headers(init.headers).get("authorization"),
    });
    return new Response(JSON.stringify(answer), {
      headers: { "content-type": "application/json" },
    });
  }) as typeof fetch;
  const code = await main(["hub", "report", ...argv], io.ctx);
  return { code, stdout: io.stdout(), stderr: io.stderr(), requests };
}

describe("hub report", () => {
  it("prints one CSV row per region and the total, asking the running hub", async () => {
    const r = await run(["--from", "2026-10-23", "--to", "2026-11-21"]);
    expect(r.code).toBe(0);
    expect(r.requests[0]).toMatchObject({
      url: "http://127.0.0.1:4999/graphql",
      auth: "Bearer t0ken",
      body: { variables: { filter: { from: "2026-10-23", to: "2026-11-21" } } },
    });
    expect(r.stdout.split("\n")).toEqual([
      "region_code,region,from,to,fabriques,satellites,spaces,active_spaces,silent_spaces,communes_covered,rural_spaces,rural_share,nodes_online,nodes_stale,nodes_silent,visitors,events,participants,open_hours,shared_resources,bookings,booked_hours,cross_node_bookings,loans,utilisation",
      "84,Auvergne-Rhône-Alpes,2026-10-23,2026-11-21,1,4,5,4,1,5,2,0.4,,,,100,7,30,40,2,10,25,2,0,",
      ",Total,2026-10-23,2026-11-21,2,6,8,5,3,8,3,0.375,1,0,1,120,9,40,55.5,3,12,30.5,2,1,0.25",
      "",
    ]);
  });

  it("has the columns its help promises: coverage, liveness, activity, mutualisation", async () => {
    const help = (await run(["--help"])).stdout.replaceAll(/\s+/g, " ");
    expect(help).toContain("(coverage, liveness, activity, mutualisation)");
    const header = (await run([])).stdout.split("\n")[0]?.split(",") ?? [];
    for (const column of header) expect(help).toContain(column);
    for (const promised of [
      "nodes_online",
      "nodes_stale",
      "nodes_silent",
      "bookings",
      "utilisation",
    ]) {
      expect(header).toContain(promised);
    }
    expect(HUB_REPORT.summary).toContain("liveness");
  });

  it("finds the running hub by the run file of its data dir, without --hub", async () => {
    const r = await run(["--data-dir", "/srv/hub"], undefined, {
      env: { MAILLAGE_TOKEN: "t0ken" },
      running: { "/srv/hub": "http://127.0.0.1:4321" },
    });
    expect(r.code).toBe(0);
    expect(r.requests[0]?.url).toBe("http://127.0.0.1:4321/graphql");
  });

  it("falls back to PORT, and names where it looked when nothing answers", async () => {
    const { api } = fakeHubApi();
    const io = fakeContext(api, { MAILLAGE_TOKEN: "t0ken", PORT: "4888" });
    io.ctx.fetch = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    expect(await main(["hub", "report"], io.ctx)).toBe(1);
    expect(io.stderr()).toBe(
      "maillage: cannot reach the hub at http://127.0.0.1:4888 (PORT): fetch failed; give its URL with --hub\n",
    );
  });

  it("prints JSON for scripts", async () => {
    const r = await run([
      "--format",
      "json",
      "--region",
      "84",
      "--hub",
      "http://hub.example:4000/",
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(HEALTH);
    expect(r.requests[0]?.url).toBe("http://hub.example:4000/graphql");
  });

  it("refuses bad flags with exit 2 and reports the hub's refusal with its code", async () => {
    expect((await run(["--format", "xlsx"])).code).toBe(2);
    expect((await run(["--from", "21/11/2026"])).code).toBe(2);
    const refused = await run([], {
      errors: [
        {
          message: "a fabrique's team sees its own territory only",
          extensions: { code: "FORBIDDEN" },
        },
      ],
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^maillage: FORBIDDEN: /);
  });
});

describe("hub report --section training", () => {
  const figures = (
    trainings: number,
    seatsFilled: number,
    extra: Record<string, unknown> = {},
  ) => ({
    trainings,
    cancelledTrainings: 0,
    seatsOffered: 9 * trainings,
    seatsFilled,
    fillRate: trainings === 0 ? null : 1,
    waitlisted: 0,
    waitlistPressure: trainings === 0 ? null : 0,
    attended: 0,
    noShow: 0,
    attendanceRate: null,
    noShowRate: null,
    hoursDelivered: 0,
    credentialsIssued: 0,
    crossNodeEnrolments: 0,
    crossNodeShare: 0,
    cancellations: 0,
    ...extra,
  });
  const TRAINING = {
    scope: "NATION",
    scopeId: "FR",
    from: "2026-09-01",
    to: "2026-09-30",
    training: {
      ...figures(1, 9, {
        attended: 8,
        noShow: 1,
        attendanceRate: 0.889,
        hoursDelivered: 24,
        cancellations: 2,
      }),
      byTopic: [
        { topic: "MACHINE_SAFETY", ...figures(1, 9, { attended: 8, hoursDelivered: 24 }) },
        { topic: "FOOD", ...figures(0, 0) },
      ],
    },
    regions: [{ code: "84", name: "Auvergne-Rhône-Alpes", training: figures(1, 9) }],
  };

  it("prints the sessions' figures by topic, region and in total, asking by session date", async () => {
    const r = await run(["--section", "training", "--from", "2026-09-01", "--to", "2026-09-30"], {
      data: { networkHealth: TRAINING },
    });
    expect(r.code).toBe(0);
    expect(r.requests[0]?.body).toMatchObject({
      query: TRAINING_REPORT_QUERY,
      variables: { filter: { from: "2026-09-01", to: "2026-09-30" } },
    });
    expect(r.stdout.split("\n")).toEqual([
      "group,code,name,from,to,trainings,cancelled_trainings,seats_offered,seats_filled,fill_rate,waitlisted,waitlist_pressure,attended,no_show,attendance_rate,no_show_rate,hours_delivered,credentials_issued,cross_node_enrolments,cross_node_share,cancellations",
      "topic,MACHINE_SAFETY,MACHINE_SAFETY,2026-09-01,2026-09-30,1,0,9,9,1,0,0,8,0,,,24,0,0,0,0",
      "topic,FOOD,FOOD,2026-09-01,2026-09-30,0,0,0,0,,0,,0,0,,,0,0,0,0,0",
      "region,84,Auvergne-Rhône-Alpes,2026-09-01,2026-09-30,1,0,9,9,1,0,0,0,0,,,0,0,0,0,0",
      "total,,Total,2026-09-01,2026-09-30,1,0,9,9,1,0,0,8,1,0.889,,24,0,0,0,2",
      "",
    ]);
    const help = (await run(["--help"])).stdout.replaceAll(/\s+/g, " ");
    for (const column of r.stdout.split("\n")[0]?.split(",") ?? []) expect(help).toContain(column);
    expect((await run(["--section", "bookings"])).code).toBe(2);
  });
});

describe("hub report --section mobility", () => {
  const shown = (visits: number, members: number) => ({ visits, members, suppressed: false });
  const hidden = { visits: null, members: null, suppressed: true };
  const MOBILITY = {
    scope: "NATION",
    scopeId: "FR",
    from: "2026-09-01",
    to: "2026-09-30",
    mobility: {
      month: "2026-09",
      outgoing: shown(40, 12),
      incoming: shown(40, 12),
      months: [{ month: "2026-09", outgoing: shown(40, 12), incoming: shown(40, 12) }],
      regions: [
        { code: "84", name: "Auvergne-Rhône-Alpes", outgoing: shown(40, 12), incoming: hidden },
      ],
      regionFlows: [
        {
          origin: { code: "84", name: "Auvergne-Rhône-Alpes" },
          destination: { code: "75", name: "Nouvelle-Aquitaine" },
          ...hidden,
        },
      ],
      origins: [{ territory: { id: "F1", name: "Fabrique A" }, ...shown(40, 12) }],
      destinations: [],
      flows: [],
    },
  };

  it('prints the month\'s figures, never a suppressed number: "< 5"', async () => {
    const r = await run(["--section", "mobility", "--to", "2026-09-30"], {
      data: { networkHealth: MOBILITY },
    });
    expect(r.code).toBe(0);
    expect(r.requests[0]?.body).toMatchObject({ query: MOBILITY_REPORT_QUERY });
    expect(r.stdout.split("\n")).toEqual([
      "group,direction,code,name,to_code,to_name,month,visits,members",
      "total,outgoing,,Total,,,2026-09,40,12",
      "total,incoming,,Total,,,2026-09,40,12",
      "month,outgoing,,,,,2026-09,40,12",
      "month,incoming,,,,,2026-09,40,12",
      "region,outgoing,84,Auvergne-Rhône-Alpes,,,2026-09,40,12",
      "region,incoming,84,Auvergne-Rhône-Alpes,,,2026-09,< 5,< 5",
      "region_flow,,84,Auvergne-Rhône-Alpes,75,Nouvelle-Aquitaine,2026-09,< 5,< 5",
      "origin,outgoing,F1,Fabrique A,,,2026-09,40,12",
      "",
    ]);
    const help = (await run(["--help"])).stdout.replaceAll(/\s+/g, " ");
    for (const column of r.stdout.split("\n")[0]?.split(",") ?? []) expect(help).toContain(column);
  });
});

describe("hub report, on a real data dir", () => {
  it("asks the hub that hub start recorded in the data dir, with a token signed by its key", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-report-"));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const hubClient = await import("@maillage/hub/client");
    await writeHubKeyFile(dir);
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization?.slice(0, 14)}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: { networkHealth: HEALTH } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    await hubClient.writeHubRunFile(dir, `http://127.0.0.1:${port}`);

    const io = capturedIo({ PORT: "1" });
    expect(await main(["hub", "report", "--data-dir", dir], io.io)).toBe(0);
    expect(io.stderr()).toBe("");
    expect(io.stdout()).toMatch(/^region_code,region,/);
    expect(seen).toEqual(["POST /graphql Bearer eyJhbGc"]);
  });
});

describe("the CLI's operations", () => {
  it("are valid against the hub's schema", async () => {
    const sdl = await fs.readFile(new URL("../../schema/hub.graphql", import.meta.url), "utf8");
    const schema = buildSchema(sdl);
    for (const query of [
      NETWORK_HEALTH_QUERY,
      TRAINING_REPORT_QUERY,
      MOBILITY_REPORT_QUERY,
      FABRIQUE_CHECK_QUERY,
    ]) {
      expect(validate(schema, parse(query)).map((e) => e.message)).toEqual([]);
    }
  });
});
