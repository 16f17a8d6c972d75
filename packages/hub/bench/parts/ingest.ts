// Part 4: backlog ingest. The hub: bench:sync's backlog (benchBacklog: 10,000 events pushed by
// one node in batches of 1,000 through pushChanges, the hub in this process, a fresh
// PostgreSQL database). The floor: the same number of rows written into the hub's log table
// (change_log) with plain multi-row INSERT … VALUES, 1,000 rows a statement and a
// transaction, on the same database, over one `pg` connection. The floor writes the log only;
// the hub also applies each event to its entity tables (spaces, members), checks order and
// idempotency and announces the append: the ratio is what all of that costs over the write.
import pg from "pg";
import { ulid } from "ulid";
import { startTestHub } from "../../src/testing/fixture.ts";
import type { BenchPart } from "../support/context.ts";
import type { PartResult } from "../support/report.ts";
import { fixed, formatSpread, pairedRatios, spread } from "../support/stats.ts";
import { BACKLOG, BATCH, benchBacklog } from "../sync.ts";

const COLUMNS = 10;

/** Rows per second of raw multi-row INSERTs of BACKLOG log rows into `url`'s change_log. */
export async function rawLogInsert(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const nodeId = ulid();
    const rows = Array.from({ length: BACKLOG }, (_, i) => [
      ulid(),
      nodeId,
      i + 1,
      i < 1_000 ? "SPACE" : "MEMBER",
      i < 1_000 ? `RS${i}` : `RM${i}`,
      "UPSERT",
      JSON.stringify(
        i < 1_000
          ? {
              kind: "SATELLITE",
              name: `Satellite ${i}`,
              communeCode: "07019",
              services: [],
              openingHours: [],
              status: "OPEN",
            }
          : { homeSpaceId: `RS${i % 1_000}` },
      ),
      new Date().toISOString(),
      1,
      null,
    ]);
    const started = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      const values = batch
        .map(
          (_, r) =>
            `(${Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`).join(", ")})`,
        )
        .join(", ");
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO change_log (event_id, origin_node_id, seq, entity, entity_id, op, payload,
                                 occurred_at, schema_version, target_node_id) VALUES ${values}`,
        batch.flat(),
      );
      await client.query("COMMIT");
    }
    return rows.length / ((performance.now() - started) / 1000);
  } finally {
    await client.end();
  }
}

export const ingestPart: BenchPart = {
  name: "ingest",
  title: "4. backlog ingest ÷ raw multi-row INSERT",
  async run(ctx): Promise<PartResult> {
    const hubRates: number[] = [];
    const floorRates: number[] = [];
    for (let pair = 0; pair < ctx.pairs; pair++) {
      const t = await startTestHub("postgres");
      try {
        const url = t.hub.config.databaseUrl as string;
        const hubFirst = pair % 2 === 0;
        if (!hubFirst) floorRates.push(await rawLogInsert(url));
        hubRates.push((await benchBacklog(t)).eventsPerSecond);
        if (hubFirst) floorRates.push(await rawLogInsert(url));
      } finally {
        await t.close();
      }
      ctx.log(
        `  ingest pair ${pair + 1}/${ctx.pairs}: hub ${fixed(hubRates[pair] ?? 0, 0)} events/s, ` +
          `raw INSERT ${fixed(floorRates[pair] ?? 0, 0)} rows/s`,
      );
    }
    return {
      part: "ingest",
      title: "4. backlog ingest ÷ raw multi-row INSERT",
      rows: [
        {
          measure: `${BACKLOG} events in batches of ${BATCH} (events/s), PostgreSQL`,
          subject: formatSpread(spread(hubRates), 0),
          floor: formatSpread(spread(floorRates), 0),
          ratio: formatSpread(spread(pairedRatios(hubRates, floorRates)), 2),
        },
      ],
      data: { hubEventsPerSecond: hubRates, rawRowsPerSecond: floorRates },
      notes: [
        "the hub runs in the bench's process here (bench:sync's set-up); a fresh database per pair",
      ],
    };
  },
};
