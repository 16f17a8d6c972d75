import {
  appliedMigrations,
  embeddedDatabaseExists,
  type Migration,
  openSqlStore,
  type SqlSession,
  type SqlStore,
  type SqlStoreOptions,
} from "@maillage/storage";
import { hubMigrations } from "../migrate.ts";
import { presenceSql, recomputeSql } from "../modules/mobility/mobility-rollup.repository.ts";
import { contributionsSql as bookingContributionsSql } from "../modules/mutualisation/booking-rollup.repository.ts";
import { contributionsSql as resourceContributionsSql } from "../modules/mutualisation/resource-rollup.repository.ts";
import { REBUILD_SPACE_ROLLUPS } from "../modules/spaces/space-rollup.repository.ts";
import { contributionsSql as trainingContributionsSql } from "../modules/trainings/training-rollup.repository.ts";

/**
 * The rollups from the base tables, by GROUP BY: the statements the seed fills its empty
 * rollups with (generate.ts) and `maillage hub rebuild-rollups` refills them with
 * (`rebuildRollups`). Each one gives the rows applying the base rows one by one as deltas would
 * (the seed's tests replay them), from the one SQL definition of a contribution each rollup's
 * repository keeps: the migrations' backfills (0007, 0014, 0016) spell the same statements out.
 */

/**
 * activity_rollup: department × day from the raw reports, then region and nation from those;
 * fabrique territory × day from the raw reports; every month from its days; space × month
 * from the raw reports.
 */
export const ACTIVITY_ROLLUP_STEPS = [
  `INSERT INTO activity_rollup (scope, scope_id, period, period_start, visitors, events, participants, open_hours, reports)
   SELECT 'DEPARTMENT', s.department_code, 'DAY', a.day, sum(a.visitors), sum(a.events),
          sum(a.participants), sum(a.open_hours), count(*)
   FROM activity_report a JOIN space s ON s.id = a.space_id
   GROUP BY s.department_code, a.day`,
  `INSERT INTO activity_rollup (scope, scope_id, period, period_start, visitors, events, participants, open_hours, reports)
   SELECT 'REGION', d.region_code, 'DAY', r.period_start, sum(r.visitors), sum(r.events),
          sum(r.participants), sum(r.open_hours), sum(r.reports)
   FROM activity_rollup r
   JOIN (SELECT DISTINCT department_code, region_code FROM space) d ON d.department_code = r.scope_id
   WHERE r.scope = 'DEPARTMENT' AND r.period = 'DAY'
   GROUP BY d.region_code, r.period_start`,
  `INSERT INTO activity_rollup (scope, scope_id, period, period_start, visitors, events, participants, open_hours, reports)
   SELECT 'NATION', 'FR', 'DAY', period_start, sum(visitors), sum(events), sum(participants),
          sum(open_hours), sum(reports)
   FROM activity_rollup WHERE scope = 'REGION' AND period = 'DAY'
   GROUP BY period_start`,
  `INSERT INTO activity_rollup (scope, scope_id, period, period_start, visitors, events, participants, open_hours, reports)
   SELECT 'FABRIQUE', coalesce(s.fabrique_id, s.id), 'DAY', a.day, sum(a.visitors), sum(a.events),
          sum(a.participants), sum(a.open_hours), count(*)
   FROM activity_report a JOIN space s ON s.id = a.space_id
   GROUP BY coalesce(s.fabrique_id, s.id), a.day`,
  `INSERT INTO activity_rollup (scope, scope_id, period, period_start, visitors, events, participants, open_hours, reports)
   SELECT scope, scope_id, 'MONTH', date_trunc('month', period_start)::date, sum(visitors),
          sum(events), sum(participants), sum(open_hours), sum(reports)
   FROM activity_rollup WHERE period = 'DAY'
   GROUP BY scope, scope_id, date_trunc('month', period_start)`,
  `INSERT INTO activity_rollup (scope, scope_id, period, period_start, visitors, events, participants, open_hours, reports)
   SELECT 'SPACE', space_id, 'MONTH', date_trunc('month', day)::date, sum(visitors), sum(events),
          sum(participants), sum(open_hours), count(*)
   FROM activity_report
   GROUP BY space_id, date_trunc('month', day)`,
];

/** booking_rollup (booking-rollup.repository.ts). */
export const BOOKING_ROLLUP_STEP = `INSERT INTO booking_rollup (scope, scope_id, day, bookings, booked_minutes, cross_node, loans)
   SELECT scope::"RollupScope", scope_id, day, bookings, booked_minutes, cross_node, loans
   FROM (${bookingContributionsSql("true")}) c`;

/** resource_rollup (resource-rollup.repository.ts). */
export const RESOURCE_ROLLUP_STEP = `INSERT INTO resource_rollup (scope, scope_id, region_code, sharing_scope, category, status,
                                resources, weekly_open_minutes)
   SELECT scope::"RollupScope", scope_id, region_code, sharing_scope, category, status,
          resources, weekly_open_minutes
   FROM (${resourceContributionsSql("true")}) c`;

/** training_rollup (training-rollup.repository.ts). */
export const TRAINING_ROLLUP_STEP = `INSERT INTO training_rollup (scope, scope_id, day, topic, trainings, cancelled_trainings,
                                seats_offered, seats_filled, cross_node, waitlisted, attended,
                                no_show, attended_minutes, credentials, cancellations)
   SELECT scope::"RollupScope", scope_id, day, topic, trainings, cancelled_trainings,
          seats_offered, seats_filled, cross_node, waitlisted, attended, no_show,
          attended_minutes, credentials, cancellations
   FROM (${trainingContributionsSql("true")}) c`;

/** The previous distinct member counts of the mobility rollup, while it is rebuilt. */
const PREVIOUS_MOBILITY = "maillage_previous_mobility_rollup";
const FLOW_KEY = "month, origin_level, origin_id, dest_level, dest_id";

/**
 * mobility_presence and mobility_rollup (mobility-rollup.repository.ts), from the visits.
 * Erasure anonymises a member's visits (member_id null) and deletes their presence rows, but
 * leaves the distinct members they made in the rollup: the visits no longer say who they were,
 * so where anonymised visits count, a flow's members lie between the named members (r.members)
 * and those plus its anonymised visits (a.visits). There the rollup keeps what it held, within
 * those bounds: the figures the deltas gave when it was right, the nearest bound otherwise.
 */
const MOBILITY_ROLLUP_STEPS = [
  `INSERT INTO mobility_presence (month, member_id, origin_network_id, dest_network_id,
                                  origin_department, origin_region, dest_department, dest_region,
                                  visits)
   SELECT month, member_id, o, d, od, "or", dd, dr, visits FROM (${presenceSql("true")}) p`,
  `INSERT INTO mobility_rollup (${FLOW_KEY}, visits, members)
   SELECT r.month, r.origin_level, r.origin_id, r.dest_level, r.dest_id, r.visits,
          CASE WHEN a.visits IS NULL THEN r.members
               ELSE least(greatest(coalesce(p.members, 0), r.members), r.members + a.visits)
          END
   FROM (${recomputeSql("true")}) r
   LEFT JOIN (${recomputeSql("x.member_id IS NULL")}) a USING (${FLOW_KEY})
   LEFT JOIN ${PREVIOUS_MOBILITY} p USING (${FLOW_KEY})`,
];

/**
 * Every table kept by deltas in the writers' transactions, in the order they are locked and
 * listed. mobility_presence is no rollup people read, but the mobility deltas are computed
 * from it: it is rebuilt with the rollup.
 */
export const ROLLUP_TABLES = [
  "activity_rollup",
  "booking_rollup",
  "resource_rollup",
  "training_rollup",
  "mobility_presence",
  "mobility_rollup",
  "space_rollup",
  "space_activity_rollup",
  "space_commune_rollup",
] as const;

export type RollupTable = (typeof ROLLUP_TABLES)[number];

export type RebuildResult = {
  /** Rows of each rollup once rebuilt, in ROLLUP_TABLES order. */
  tables: { table: RollupTable; rows: number }[];
  /** From the first attempt to the commit. */
  seconds: number;
  /** The transaction's duration, locks held: how long writers waited at most. */
  lockedSeconds: number;
  /** Transactions started: more than one when writers kept a table busy past the budget. */
  attempts: number;
};

/** The rollup tables stayed busy with writers through every attempt; nothing was changed. */
export class RollupsBusyError extends Error {
  constructor(attempts: number) {
    super(
      `the rollup tables stayed busy with writers through ${attempts} attempts; nothing was changed: run it again`,
    );
    this.name = "RollupsBusyError";
  }
}

/** Thrown inside the transaction when its locks were not all taken within the budget. */
class LockBudgetExceeded extends Error {}

const QUERY_CANCELED = "57014";

/**
 * Takes every rollup table's ACCESS EXCLUSIVE lock, at once, within a budget below PostgreSQL's
 * deadlock_timeout. Writers lock the rollups they touch in their own orders, so one may hold a
 * table this transaction waits for while waiting for one it already holds: this transaction
 * gives up first (its statement_timeout fires before the writer's deadlock check runs), so a
 * push or a mutation is never the victim of a rebuild; `rebuildRollups` tries again.
 */
async function lockRollups(sql: SqlSession, budgetMs: number): Promise<void> {
  await sql.exec(`SET LOCAL statement_timeout = ${budgetMs}`);
  try {
    await sql.exec(`LOCK TABLE ${ROLLUP_TABLES.join(", ")} IN ACCESS EXCLUSIVE MODE`);
  } catch (error) {
    if ((error as { code?: string }).code === QUERY_CANCELED) throw new LockBudgetExceeded();
    throw error;
  }
  await sql.exec("SET LOCAL statement_timeout TO DEFAULT");
}

/**
 * Recomputes every rollup from the base tables in one transaction: the rollup tables locked,
 * emptied (TRUNCATE), then filled by the statements above. For a rollup that drifted (a
 * migration that creates one, applied while older replicas kept writing without it:
 * docs/operations.md §5) or any rollup in doubt.
 *
 * Concurrency with live writers (a push or a hub mutation writes its base rows and its rollup
 * deltas in one transaction, READ COMMITTED): the transaction runs READ COMMITTED whatever the
 * server's default, so each statement reads the base tables as committed when it starts, all
 * of them after the locks are held (a REPEATABLE READ snapshot could predate them). Holding
 * ACCESS EXCLUSIVE on every rollup table splits the writers in two:
 * - one that read or wrote any rollup before the locks were taken holds a lock on it until its
 *   end, so LOCK TABLE waited for it to commit (or roll back): its base rows are committed
 *   and counted by the rebuild, and the deltas it had added are emptied with the rest;
 * - one that had not touched a rollup yet stops at its first read or write of one (deltas are
 *   computed from base rows, and mobility's from mobility_presence, read after the lock is
 *   released) until this transaction commits: its base rows were not committed, so the rebuild
 *   did not count them, and its deltas land on the rebuilt rows afterwards.
 * Each change thus counts once. What the locks do not cover is a writer that changes what a
 * rollup counts without keeping it: an older replica during a roll. Run it again once none
 * is left.
 *
 * Writers touching a rollup wait for the whole transaction (reads of rollups, networkHealth,
 * too): the time it takes is `lockedSeconds`. Readers in REPEATABLE READ whose snapshot
 * predates the commit see the emptied tables (TRUNCATE is not MVCC-safe); the hub reads in
 * READ COMMITTED.
 *
 * Left as they are: `space.last_activity_day` (a base column the space rollups read, kept by
 * GREATEST as reports arrive), and the territory history deltas give where a space moved:
 * activity and training rows keep counting under the territory a space had when a report or
 * session arrived, the rebuild counts them under its current one. Activity rows left at zero
 * by withdrawn reports are not recreated (they add nothing to any sum).
 */
export async function rebuildRollups(
  store: SqlStore,
  options: { attempts?: number; retryDelayMs?: number } = {},
): Promise<RebuildResult> {
  const started = performance.now();
  const attempts = options.attempts ?? 10;
  const retryDelayMs = options.retryDelayMs ?? 100;
  // The locks' budget: half of deadlock_timeout (20–500 ms), read once for every attempt.
  const [deadlock] = await store.query<{ ms: number }>(
    "SELECT setting::int AS ms FROM pg_settings WHERE name = 'deadlock_timeout'",
  );
  const lockBudgetMs = Math.max(20, Math.min(500, Math.floor((deadlock?.ms ?? 1000) / 2)));
  let lockedSeconds = 0;
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      await store.transaction(async (sql) => {
        await sql.exec("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
        await lockRollups(sql, lockBudgetMs);
        const locked = performance.now();
        // The distinct members erasure left in the mobility rollup (see MOBILITY_ROLLUP_STEPS).
        await sql.exec(
          `CREATE TEMPORARY TABLE ${PREVIOUS_MOBILITY} ON COMMIT DROP AS
           SELECT ${FLOW_KEY}, members FROM mobility_rollup`,
        );
        await sql.exec(`TRUNCATE ${ROLLUP_TABLES.join(", ")}`);
        for (const step of [
          ...ACTIVITY_ROLLUP_STEPS,
          BOOKING_ROLLUP_STEP,
          RESOURCE_ROLLUP_STEP,
          TRAINING_ROLLUP_STEP,
          ...MOBILITY_ROLLUP_STEPS,
          ...REBUILD_SPACE_ROLLUPS,
        ]) {
          await sql.exec(step);
        }
        lockedSeconds = (performance.now() - locked) / 1000;
      });
      break;
    } catch (error) {
      if (!(error instanceof LockBudgetExceeded)) throw error;
      if (attempt >= attempts) throw new RollupsBusyError(attempt);
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  // Fresh statistics for the planner (ANALYZE does not block writers), then the counts.
  await store.exec(`ANALYZE ${ROLLUP_TABLES.join(", ")}`);
  const [counts] = await store.query<Record<RollupTable, number>>(
    `SELECT ${ROLLUP_TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(", ")}`,
  );
  return {
    tables: ROLLUP_TABLES.map((table) => ({ table, rows: counts?.[table] ?? 0 })),
    seconds,
    lockedSeconds,
    attempts: attempt,
  };
}

/** The hub's data dir holds no embedded database, or the database holds no hub. */
export class NoHubDatabaseError extends Error {
  constructor(where: string) {
    super(
      `no hub database in ${where}: point to the hub's directory with --data-dir DIR, or set DATA_DIR (the hub lives in DATA_DIR/hub), or DATABASE_URL`,
    );
    this.name = "NoHubDatabaseError";
  }
}

/** The database's migrations are not this version's: its rollups are not this code's. */
export class HubSchemaMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HubSchemaMismatchError";
  }
}

async function checkMigrations(store: SqlStore, where: string, known: Migration[]) {
  const names = await appliedMigrations(store);
  if (names === null) throw new NoHubDatabaseError(where);
  const pending = known.filter((m) => !names.has(m.name)).map((m) => m.name);
  if (pending.length > 0) {
    throw new HubSchemaMismatchError(
      `the hub's database lacks migrations ${pending.join(", ")}: start the hub of this version once (it applies them), then rebuild`,
    );
  }
  const newer = [...names].filter((name) => !known.some((m) => m.name === name));
  if (newer.length > 0) {
    throw new HubSchemaMismatchError(
      `the hub's database has migrations this version does not know (${newer.sort().join(", ")}): rebuild with the hub's version`,
    );
  }
}

/**
 * `maillage hub rebuild-rollups`: opens the hub's storage (PostgreSQL at `databaseUrl`, the
 * running hub's database is fine; else the embedded one in `dataDir`, the hub stopped: it is
 * refused while one runs there), checks that its migrations are exactly this version's, and
 * rebuilds. Creates nothing: no data dir, no key, no migration applied.
 */
export async function rebuildHubRollups(config: SqlStoreOptions): Promise<RebuildResult> {
  const where = config.databaseUrl ? "DATABASE_URL" : config.dataDir;
  if (!config.databaseUrl && !embeddedDatabaseExists(config.dataDir)) {
    throw new NoHubDatabaseError(where);
  }
  const store = await openSqlStore(config);
  try {
    await checkMigrations(store, where, (await hubMigrations()).migrations);
    return await rebuildRollups(store);
  } finally {
    await store.close();
  }
}
