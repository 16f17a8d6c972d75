// Part 4: backlog ingest. The hub: bench:sync's backlog (benchBacklog: 10,000 events pushed by
// one node in batches of 1,000 through pushChanges, the hub in this process, a fresh
// PostgreSQL database). Two floors, on the same database over one `pg` connection, 1,000 rows a
// statement and a transaction: the same number of rows written into the hub's log table
// (change_log) with plain multi-row INSERT … VALUES; and the log rows plus the entity rows the
// events describe (1,000 satellites into space, then members into member). The hub also checks
// order and idempotency, validates payloads, derives the place's geography and announces the
// append: the second ratio is what that costs over the least write it must do.
import pg from "pg";
import { ulid } from "ulid";
import { startTestHub } from "../../src/testing/fixture.ts";
import type { BenchPart } from "../support/context.ts";
import type { PartResult } from "../support/report.ts";
import { fixed, formatSpread, pairedRatios, spread } from "../support/stats.ts";
import { BACKLOG, BATCH, benchBacklog } from "../sync.ts";

const COLUMNS = 10;

function valuesList(rows: number, columns: number): string {
  return Array.from(
    { length: rows },
    (_, r) =>
      `(${Array.from({ length: columns }, (_, c) => `$${r * columns + c + 1}`).join(", ")})`,
  ).join(", ");
}

/**
 * Rows per second of raw multi-row INSERTs of BACKLOG log rows into `url`'s change_log, one
 * statement and transaction per BATCH. With `entities`, each transaction also inserts the
 * batch's entity rows as plain rows (1,000 satellites into space under one fabrique, then
 * members into member): the write the hub's push must do at the least.
 */
export async function rawLogInsert(url: string, entities = false): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const nodeId = ulid();
    const prefix = ulid();
    const fabriqueId = `${prefix}F`;
    if (entities) {
      await client.query(
        `INSERT INTO space (id, kind, name, commune_code, commune_name, department_code,
                            region_code, population, rural, services, updated_at)
         VALUES ($1, 'FABRIQUE', 'Fabrique du banc', '07186', 'Privas', '07', '84', 8000, false,
                 '{}', now())`,
        [fabriqueId],
      );
    }
    const rows = Array.from({ length: BACKLOG }, (_, i) => [
      ulid(),
      nodeId,
      i + 1,
      i < 1_000 ? "SPACE" : "MEMBER",
      i < 1_000 ? `${prefix}S${i}` : `${prefix}M${i}`,
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
          : { homeSpaceId: `${prefix}S${i % 1_000}` },
      ),
      new Date().toISOString(),
      1,
      null,
    ]);
    const started = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO change_log (event_id, origin_node_id, seq, entity, entity_id, op, payload,
                                 occurred_at, schema_version, target_node_id)
         VALUES ${valuesList(batch.length, COLUMNS)}`,
        batch.flat(),
      );
      if (entities && batch[0]?.[3] === "SPACE") {
        await client.query(
          `INSERT INTO space (id, kind, name, commune_code, commune_name, department_code,
                              region_code, population, rural, services, fabrique_id, updated_at)
           VALUES ${valuesList(batch.length, 12)}`,
          batch.flatMap((row, r) => [
            row[4],
            "SATELLITE",
            `Satellite ${i + r}`,
            "07019",
            "Aubenas",
            "07",
            "84",
            12000,
            false,
            [],
            fabriqueId,
            new Date().toISOString(),
          ]),
        );
      } else if (entities) {
        await client.query(
          `INSERT INTO member (id, home_space_id) VALUES ${valuesList(batch.length, 2)}`,
          batch.flatMap((row, r) => [row[4], `${prefix}S${(i + r) % 1_000}`]),
        );
      }
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
    const entityRates: number[] = [];
    for (let pair = 0; pair < ctx.pairs; pair++) {
      const t = await startTestHub("postgres");
      try {
        const url = t.hub.config.databaseUrl as string;
        const hubFirst = pair % 2 === 0;
        if (!hubFirst) {
          floorRates.push(await rawLogInsert(url));
          entityRates.push(await rawLogInsert(url, true));
        }
        hubRates.push((await benchBacklog(t)).eventsPerSecond);
        if (hubFirst) {
          floorRates.push(await rawLogInsert(url));
          entityRates.push(await rawLogInsert(url, true));
        }
      } finally {
        await t.close();
      }
      ctx.log(
        `  ingest pair ${pair + 1}/${ctx.pairs}: hub ${fixed(hubRates[pair] ?? 0, 0)} events/s, ` +
          `raw INSERT ${fixed(floorRates[pair] ?? 0, 0)} rows/s, ` +
          `with entity rows ${fixed(entityRates[pair] ?? 0, 0)} events/s`,
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
        {
          measure: "the same ÷ raw INSERTs of the log rows and the entity rows (space, member)",
          subject: formatSpread(spread(hubRates), 0),
          floor: formatSpread(spread(entityRates), 0),
          ratio: formatSpread(spread(pairedRatios(hubRates, entityRates)), 2),
        },
      ],
      data: {
        hubEventsPerSecond: hubRates,
        rawRowsPerSecond: floorRates,
        rawWithEntitiesPerSecond: entityRates,
      },
      notes: [
        "the hub runs in the bench's process here (bench:sync's set-up); a fresh database per pair",
      ],
    };
  },
};
