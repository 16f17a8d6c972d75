import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { issueHubToken, loadHubConfig } from "@maillage/hub";
import { createThrowawayDatabase } from "@maillage/storage/testing";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { GraphQLResponse } from "../packages/hub/src/testing/fixture.ts";
import { enrolTestNode, type TestEvent } from "../packages/hub/src/testing/test-node.ts";

/**
 * The hub process killed (SIGKILL) in the middle of applying pushes, then restarted on the
 * same database: the node re-sends from its last acknowledged seq, and every event ends up
 * applied exactly once.
 */
const BIN = path.resolve(import.meta.dirname, "../bin/maillage.js");
let dataDir: string;
let db: { url: string; drop(): Promise<void> };
let child: ChildProcess | undefined;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-crash-"));
  db = await createThrowawayDatabase();
});
afterAll(async () => {
  child?.kill("SIGKILL");
  await db?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});
process.once("exit", () => child?.kill("SIGKILL"));

async function startHub(): Promise<string> {
  const proc = spawn(
    process.execPath,
    [BIN, "hub", "start", "--port", "0", "--data-dir", dataDir],
    {
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: "silent", REDIS_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child = proc;
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+?)[\s(]/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    proc.once("exit", (code) => reject(new Error(`hub exited (${code}): ${out}`)));
  });
}

function client(url: () => string) {
  return {
    async gql<T>(query: string, variables: Record<string, unknown> = {}, token?: string) {
      const response = await fetch(`${url()}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as GraphQLResponse<T>) };
    },
  };
}

it("loses nothing and duplicates nothing when the hub is killed mid-push", async () => {
  let url = await startHub();
  const hub = client(() => url);
  const national = await issueHubToken(loadHubConfig({}, { dataDir }), { role: "NATIONAL" }, "1h");
  const created = await hub.gql<{ createFabrique: { id: string } }>(
    `mutation { createFabrique(input: { name: "Fabrique", communeCode: "07186" }) { id } }`,
    {},
    national,
  );
  const node = await enrolTestNode(hub, created.data?.createFabrique.id as string, national);

  const events: TestEvent[] = [];
  for (let i = 0; i < 200; i++) events.push(node.satellite(`S${i}`, `Satellite ${i}`));
  while (events.length < 6000)
    events.push(
      node.event("MEMBER", `M${events.length}`, { homeSpaceId: `S${events.length % 200}` }),
    );

  // The node's view: what the hub acknowledged. Kill the hub while batches are in flight,
  // three times, at different moments.
  let acknowledged = 0;
  for (const killAfterMs of [40, 90, 150]) {
    const inFlight = (async () => {
      for (let from = acknowledged; from < events.length; from += 500) {
        const answer = await node.push(events.slice(from, from + 500)).catch(() => undefined);
        if (!answer?.data) return;
        acknowledged = answer.data.pushChanges.appliedThrough;
      }
    })();
    await new Promise((r) => setTimeout(r, killAfterMs));
    child?.kill("SIGKILL");
    await inFlight;
    url = await startHub();
  }

  // Resume as an agent does: re-send everything not acknowledged, from the last ack.
  let resent = 0;
  let duplicates = 0;
  while (acknowledged < events.length) {
    const answer = await node.push(events.slice(acknowledged, acknowledged + 1000));
    const result = answer.data?.pushChanges;
    if (!result) throw new Error(JSON.stringify(answer.errors));
    expect(result.rejected).toBeNull();
    duplicates += result.duplicates;
    resent += result.applied;
    acknowledged = result.appliedThrough;
  }
  expect(acknowledged).toBe(events.length);

  const check = new pg.Client({ connectionString: db.url });
  await check.connect();
  try {
    const log = await check.query(
      "SELECT count(*)::int AS n, count(DISTINCT seq)::int AS seqs, max(seq) AS top FROM change_log WHERE origin_node_id = $1",
      [node.nodeId],
    );
    expect(log.rows[0]).toEqual({ n: 6000, seqs: 6000, top: 6000 });
    const members = await check.query("SELECT count(*)::int AS n FROM member");
    expect(members.rows[0].n).toBe(5800);
    const pushed = await check.query("SELECT pushed_seq FROM node WHERE id = $1", [node.nodeId]);
    expect(pushed.rows[0].pushed_seq).toBe(6000);
  } finally {
    await check.end();
  }
  // Something was really interrupted and re-sent: the crashes were not all between batches.
  expect(resent + duplicates).toBeGreaterThan(0);
});
