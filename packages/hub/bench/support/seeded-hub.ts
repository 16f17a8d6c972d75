// A hub in this process on the seeded database of a scale (national.ts), listening on a free
// port: the set-up bench/health.ts, trainings.ts and mobility.ts share. Prints the seed's
// figures; `ask` runs an operation over real HTTP and throws on GraphQL errors.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { createHub, type Hub } from "../../src/app.ts";
import { signHubToken } from "../../src/auth/tokens.ts";
import { loadHubConfig } from "../../src/env.ts";
import {
  BENCH_REGION,
  type NationalDatabase,
  type SeededScale,
  seededDatabase,
} from "./national.ts";
import { NO_RATE_LIMITS } from "./no-rate-limits.ts";

export type SeededHub = {
  hub: Hub;
  url: string;
  database: NationalDatabase;
  /** A fabrique of BENCH_REGION (its id and commune), for team tokens. */
  team: { id: string; communeCode: string };
  nationalToken: string;
  teamToken: string;
  ask<T = unknown>(token: string, query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
};

/** `--scale region` directly, or `region` alone (what npm passes on through a workspace). */
export function scaleFromArgs(values: { scale?: string }, positionals: string[]): SeededScale {
  const scale = values.scale ?? positionals[0] ?? "national";
  if (scale !== "national" && scale !== "region") {
    console.error("--scale: national or region");
    process.exit(2);
  }
  return scale;
}

export async function openSeededHub(scale: SeededScale): Promise<SeededHub> {
  const database = await seededDatabase(scale, (line) => console.log(line));
  const seed = database.seed;
  console.log(
    `${scale} seed on PostgreSQL (${database.fresh ? "seeded now" : `reused, seeded ${seed.seededAt}`}, ` +
      `${database.name}): ${seed.fabriques} fabriques, ${seed.satellites} satellites, ` +
      `${seed.reports.toLocaleString("en")} reports (${seed.from} → ${seed.to}) in ${seed.seconds} s`,
  );
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-bench-hub-"));
  const cleanup = () => fs.rm(dataDir, { recursive: true, force: true });
  const config = loadHubConfig(NO_RATE_LIMITS, {
    dataDir,
    databaseUrl: database.url,
    port: 0,
    logLevel: "silent",
  });
  const hub = await createHub(config, { logger: pino({ level: "silent" }) }).catch(
    async (error: unknown) => {
      await cleanup();
      throw error;
    },
  );
  try {
    const [team] = await hub.db.store.query<{ id: string; commune_code: string }>(
      `SELECT id, commune_code FROM space WHERE kind = 'FABRIQUE' AND region_code = $1
       ORDER BY id LIMIT 1`,
      [BENCH_REGION],
    );
    if (!team) throw new Error(`no fabrique in region ${BENCH_REGION}`);
    const { url } = await hub.start();
    const nationalToken = await signHubToken(hub.keys, config, { role: "NATIONAL" }, "2h");
    const teamToken = await signHubToken(
      hub.keys,
      config,
      { role: "FABRIQUE_ADMIN", fabriqueId: team.id },
      "2h",
    );
    return {
      hub,
      url,
      database,
      team: { id: team.id, communeCode: team.commune_code },
      nationalToken,
      teamToken,
      async ask<T>(token: string, query: string, variables: Record<string, unknown> = {}) {
        const response = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await response.json()) as { errors?: unknown; data?: T };
        if (body.errors) throw new Error(JSON.stringify(body.errors));
        return body.data as T;
      },
      async close() {
        await hub.stop();
        await cleanup();
      },
    };
  } catch (error) {
    await hub.stop();
    await cleanup();
    throw error;
  }
}

/** Calls `call` `warmup` times, then times `rounds` calls one after the other (ms each). */
export async function timeCalls(
  call: () => Promise<unknown>,
  rounds: number,
  warmup = 10,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return samples;
}

export function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** The last 365 days, to today (UTC). */
export function lastYear(): { from: string; to: string } {
  return { from: isoDay(Date.now() - 364 * 86_400_000), to: isoDay(Date.now()) };
}
