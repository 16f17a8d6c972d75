// Parts 1 and 2: requests per second of the hub against a bare graphql-yoga `{ hello }` in the
// same run. Both servers run in child processes; this process only generates the load
// (closed loop, `connections` keep-alive sockets). Paired runs, alternating which server goes
// first; per run the server's CPU time (process.cpuUsage in the child) per answered request.

import fs from "node:fs/promises";
import path from "node:path";
import type { BenchContext, BenchPart } from "../support/context.ts";
import { type LoadResult, postLoad, postOnce } from "../support/load.ts";
import { BENCH_REGION } from "../support/national.ts";
import { summarizeProfile } from "../support/profile.ts";
import type { PartResult } from "../support/report.ts";
import { type BenchServer, startFloorServer, startHubServer } from "../support/servers.ts";
import { fixed, formatSpread, median, pairedRatios, spread } from "../support/stats.ts";

export const NESTED_QUERY = `{ spaces(first: 20, filter: { region: "${BENCH_REGION}" }) {
  edges { node { id name kind commune { name } fabrique { name } } } } }`;
const HELLO = "{ hello }";
const WARMUP_SECONDS = 2;

type Run = LoadResult & { cpuMsPerRequest: number };

async function measure(
  ctx: BenchContext,
  server: BenchServer,
  body: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<Run> {
  const before = await server.usage();
  const result = await postLoad({
    url: `${server.url}/graphql`,
    body,
    headers,
    connections: ctx.connections,
    seconds,
  });
  const after = await server.usage();
  if (result.errors > 0) throw new Error(`${result.errors} failed requests: ${result.firstError}`);
  return { ...result, cpuMsPerRequest: (after.cpuMs - before.cpuMs) / result.requests };
}

async function pairedRps(
  ctx: BenchContext,
  part: {
    name: string;
    title: string;
    query: string;
    withToken: boolean;
    profile: boolean;
    registryCache?: boolean;
  },
): Promise<PartResult> {
  const national = await ctx.national();
  const dataDir = await ctx.scratch(part.name);
  const hub = await startHubServer({
    databaseUrl: national.url,
    dataDir,
    registryCache: part.registryCache ?? true,
  });
  const floor = await startFloorServer();
  try {
    const token = await hub.token({ role: "NATIONAL" });
    const hubHeaders: Record<string, string> = part.withToken
      ? { authorization: `Bearer ${token}` }
      : {};
    const hubBody = JSON.stringify({ query: part.query });
    const floorBody = JSON.stringify({ query: HELLO });
    const check = await postOnce(`${hub.url}/graphql`, { query: part.query }, hubHeaders);
    if (check.status !== 200 || check.json.errors) {
      throw new Error(
        `the hub answered ${check.status}: ${JSON.stringify(check.json).slice(0, 300)}`,
      );
    }
    const answer = JSON.stringify(check.json);
    const floorCheck = await postOnce(`${floor.url}/graphql`, { query: HELLO });
    if (floorCheck.status !== 200 || floorCheck.json.errors) throw new Error("the floor failed");

    await measure(ctx, hub, hubBody, hubHeaders, WARMUP_SECONDS);
    await measure(ctx, floor, floorBody, {}, WARMUP_SECONDS);
    const hubRuns: Run[] = [];
    const floorRuns: Run[] = [];
    const profileFile =
      part.profile && ctx.cpuProfileDir
        ? path.join(
            ctx.cpuProfileDir,
            `hub-${part.name}-${new Date().toISOString().replaceAll(":", "-")}.cpuprofile`,
          )
        : undefined;
    if (profileFile) {
      await fs.mkdir(path.dirname(profileFile), { recursive: true });
      await hub.startProfile();
    }
    for (let pair = 0; pair < ctx.pairs; pair++) {
      const hubFirst = pair % 2 === 0;
      for (const side of hubFirst ? ["hub", "floor"] : ["floor", "hub"]) {
        if (side === "hub") hubRuns.push(await measure(ctx, hub, hubBody, hubHeaders, ctx.seconds));
        else floorRuns.push(await measure(ctx, floor, floorBody, {}, ctx.seconds));
      }
      ctx.log(
        `  ${part.name} pair ${pair + 1}/${ctx.pairs}: hub ${fixed(hubRuns[pair]?.rps ?? 0, 0)} RPS, ` +
          `floor ${fixed(floorRuns[pair]?.rps ?? 0, 0)} RPS`,
      );
    }
    const notes: string[] = [];
    let profile: Awaited<ReturnType<typeof summarizeProfile>> | undefined;
    if (profileFile) {
      await hub.stopProfile(profileFile);
      profile = await summarizeProfile(profileFile, 12);
      notes.push(
        `hub CPU profile of the measured runs (${profileFile}; idle excluded): ${profile.groups
          .slice(0, 10)
          .map((g) => `${g.name} ${(g.share * 100).toFixed(0)}%`)
          .join(", ")}`,
      );
    }
    const hubRps = hubRuns.map((r) => r.rps);
    const floorRps = floorRuns.map((r) => r.rps);
    const hubCpu = hubRuns.map((r) => r.cpuMsPerRequest);
    const floorCpu = floorRuns.map((r) => r.cpuMsPerRequest);
    const hubP95 = hubRuns.map((r) => r.latencyMs.p95);
    const floorP95 = floorRuns.map((r) => r.latencyMs.p95);
    return {
      part: part.name,
      title: part.title,
      rows: [
        {
          measure: `RPS, ${ctx.connections} connections, ${ctx.seconds} s a run`,
          subject: formatSpread(spread(hubRps), 0),
          floor: formatSpread(spread(floorRps), 0),
          ratio: formatSpread(spread(pairedRatios(hubRps, floorRps)), 3),
        },
        {
          measure: "server CPU per request (ms)",
          subject: formatSpread(spread(hubCpu), 3),
          floor: formatSpread(spread(floorCpu), 3),
          ratio: formatSpread(spread(pairedRatios(hubCpu, floorCpu)), 1),
        },
        {
          measure: "latency p95 under load (ms)",
          subject: formatSpread(spread(hubP95), 1),
          floor: formatSpread(spread(floorP95), 1),
          ratio: fixed(median(pairedRatios(hubP95, floorP95)), 1),
        },
      ],
      data: {
        query: part.query,
        answerBytes: answer.length,
        hubRuns,
        floorRuns,
        profile,
      },
      notes,
    };
  } finally {
    await hub.stop();
    await floor.stop();
  }
}

export const nestedPart: BenchPart = {
  name: "nested",
  title: "1. nested query ÷ bare yoga { hello }",
  run: (ctx) =>
    pairedRps(ctx, {
      name: "nested",
      title: "1. nested query ÷ bare yoga { hello }",
      query: NESTED_QUERY,
      withToken: true,
      profile: true,
    }),
};

/**
 * Part 1 without the registry cache: every request executes (one SQL statement, the Pothos
 * resolvers, serialisation), as any read the cache does not cover does.
 */
export const nestedUncachedPart: BenchPart = {
  name: "nested-uncached",
  title: "1b. the same query, registry cache off ÷ bare yoga { hello }",
  run: (ctx) =>
    pairedRps(ctx, {
      name: "nested-uncached",
      title: "1b. the same query, registry cache off ÷ bare yoga { hello }",
      query: NESTED_QUERY,
      withToken: true,
      profile: true,
      registryCache: false,
    }),
};

export const typenamePart: BenchPart = {
  name: "typename",
  title: "2. { __typename } with a token ÷ bare yoga { hello }",
  run: (ctx) =>
    pairedRps(ctx, {
      name: "typename",
      title: "2. { __typename } with a token ÷ bare yoga { hello }",
      query: "{ __typename }",
      withToken: true,
      profile: false,
    }),
};
