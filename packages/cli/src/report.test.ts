import { describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { fakeContext, fakeHubApi } from "./test-support.ts";

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
  regions: [
    {
      code: "84",
      name: "Auvergne-Rhône-Alpes",
      visitors: 100,
      events: 7,
      participants: 30,
      openHours: 40,
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

async function run(argv: string[], answer: unknown = { data: { networkHealth: HEALTH } }) {
  const { api } = fakeHubApi({});
  const io = fakeContext(api, { MAILLAGE_TOKEN: "t0ken", PORT: "4999" });
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
      "region_code,region,from,to,fabriques,satellites,spaces,active_spaces,silent_spaces,communes_covered,rural_spaces,rural_share,visitors,events,participants,open_hours",
      "84,Auvergne-Rhône-Alpes,2026-10-23,2026-11-21,1,4,5,4,1,5,2,0.4,100,7,30,40",
      ",Total,2026-10-23,2026-11-21,2,6,8,5,3,8,3,0.375,120,9,40,55.5",
      "",
    ]);
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
