import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createGraphQLMetrics,
  type GraphQLMetrics,
  metricsDisabledResponse,
  sharedPerScrape,
} from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import { mapAsyncIterator, type Plugin } from "graphql-yoga";
import { Counter, Gauge, type Registry } from "prom-client";
import type { AppServices } from "../context.ts";
import { type NodeSyncGauge, nodeSyncGauges } from "../modules/nodes/node-metrics.repository.ts";
import type { PullService } from "../modules/sync/pull.service.ts";
import type { PushService } from "../modules/sync/push.service.ts";

/**
 * The hub's Prometheus metrics (docs/metrics.md): the GraphQL ones shared with the agent, plus
 * sync push and pull rates, each active node's lag (read from the node table at scrape time),
 * open graphql-ws connections and the PostgreSQL pool. Disabled (404, no plugin, no registry)
 * while METRICS_TOKEN is unset.
 */
type HubMetrics = {
  /** One entry of yoga's plugins list (an empty plugin when disabled). */
  plugin: Plugin;
  /** Answers `GET /metrics` on the hub's HTTP server. */
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /**
   * The services with their push service counting batches and events, and their pull service
   * counting pages and events (pulls and live follows); the same services when disabled.
   */
  countSync(services: AppServices): AppServices;
  /**
   * For graphql-ws's `onError`: counts the errors the socket sends in an error message (an
   * operation refused at parse, validation or rate limiting, a stream failing midway) by
   * documented code, as the same refusals over HTTP are; returns them.
   */
  countErrors: GraphQLMetrics["countErrors"];
  /**
   * For graphql-ws's `onOperation`: counts each socket subscription as a live subscription
   * until it ends or its subscriber leaves, shared execution or not (and the errors of the
   * events it receives); the result unchanged when disabled.
   */
  socketResult: GraphQLMetrics["socketResult"];
  /** Stops the process monitors of the default metrics (hub.stop()). */
  stop(): void;
  /** The registry (undefined when disabled), for tests. */
  registry: Registry | undefined;
};

export async function createHubMetrics(deps: {
  token: string | undefined;
  store: SqlStore;
  /** graphql-ws connections open now (read at scrape time). */
  openSockets: () => number;
  /** The registry cache's counts (modules/spaces/registry-cache.ts); undefined when off. */
  registryCache: () => { hits: number; misses: number; entries: number; bytes: number } | undefined;
}): Promise<HubMetrics> {
  if (!deps.token) {
    return {
      plugin: {},
      serve: (_req, res) => send(res, metricsDisabledResponse()),
      countSync: (services) => services,
      countErrors: (errors) => errors,
      socketResult: (result) => result,
      stop: () => {},
      registry: undefined,
    };
  }
  const graphql = await createGraphQLMetrics({ token: deps.token });
  const registers = [graphql.registry];

  const pushBatches = new Counter({
    name: "maillage_sync_push_batches_total",
    help: "Pushes received from node agents, by outcome: applied (all of it), refused (an event refused), gap (a seq missing), failed (the whole push refused: batch too large, unknown node, error)",
    labelNames: ["outcome"],
    registers,
  });
  const pushEvents = new Counter({
    name: "maillage_sync_push_events_total",
    help: "Events in pushes, by result: applied, duplicate (re-sent, already applied), refused",
    labelNames: ["result"],
    registers,
  });
  const pullPages = new Counter({
    name: "maillage_sync_pull_pages_total",
    help: "Pages of the log answered to nodes, by mode: pull (pullChanges) or follow (changes subscription)",
    labelNames: ["mode"],
    registers,
  });
  const pulledEvents = new Counter({
    name: "maillage_sync_pulled_events_total",
    help: "Log events sent to nodes, by mode: pull or follow",
    labelNames: ["mode"],
    registers,
  });
  for (const outcome of ["applied", "refused", "gap", "failed"]) pushBatches.inc({ outcome }, 0);
  for (const result of ["applied", "duplicate", "refused"]) pushEvents.inc({ result }, 0);
  for (const mode of ["pull", "follow"]) {
    pullPages.inc({ mode }, 0);
    pulledEvents.inc({ mode }, 0);
  }

  // The three per-node gauges share one read of the node table per scrape.
  const readNodes = sharedPerScrape(() => nodeSyncGauges(deps.store));
  const perNode = (name: string, help: string, value: (n: NodeSyncGauge) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ["node"],
      registers,
      async collect() {
        // The database unreachable: no per-node samples, the rest of the scrape still answers.
        const nodes = await readNodes().catch(() => []);
        this.reset();
        for (const n of nodes) {
          const v = value(n);
          if (v !== null) this.set({ node: n.nodeId }, v);
        }
      },
    });
  perNode(
    "maillage_node_lag_seconds",
    "Age of the oldest change still waiting at the node, as it reported at its last push (0: none); label node: the node id",
    (n) => n.lagSeconds,
  );
  perNode(
    "maillage_node_pending_events",
    "Events waiting in the node's outbox, as it reported at its last push",
    (n) => n.pending,
  );
  perNode(
    "maillage_node_last_seen_timestamp_seconds",
    "Unix time of the node's last push or pull (absent: never heard from)",
    (n) => n.lastSeen,
  );
  new Gauge({
    name: "maillage_graphql_ws_connections",
    help: "graphql-ws connections open now",
    registers,
    collect() {
      this.set(deps.openSockets());
    },
  });
  new Counter({
    name: "maillage_registry_cache_lookups_total",
    help: "Cacheable registry reads (spaces, space, fabriques, regions), by result: hit (answered from this replica's cache) or miss (executed)",
    labelNames: ["result"],
    registers,
    collect() {
      const stats = deps.registryCache();
      this.reset();
      this.inc({ result: "hit" }, stats?.hits ?? 0);
      this.inc({ result: "miss" }, stats?.misses ?? 0);
    },
  });
  new Gauge({
    name: "maillage_registry_cache_bytes",
    help: "JSON size of the registry answers this replica keeps (bounded; docs/operations.md)",
    registers,
    collect() {
      this.set(deps.registryCache()?.bytes ?? 0);
    },
  });
  const { driver } = deps.store;
  if (driver.kind === "postgres") {
    const pool = driver.pool;
    new Gauge({
      name: "maillage_db_pool_connections",
      help: "PostgreSQL pool connections, by state: total (open), idle, max (the pool's limit)",
      labelNames: ["state"],
      registers,
      collect() {
        this.set({ state: "total" }, pool.totalCount);
        this.set({ state: "idle" }, pool.idleCount);
        this.set({ state: "max" }, pool.options.max ?? 10);
      },
    });
    new Gauge({
      name: "maillage_db_pool_waiting_requests",
      help: "Queries waiting for a free PostgreSQL pool connection",
      registers,
      collect() {
        this.set(pool.waitingCount);
      },
    });
  }
  // Embedded PGlite: one in-process connection, no pool, no pool metrics.

  return {
    plugin: graphql.plugin,
    registry: graphql.registry,
    serve: async (req, res) => send(res, await graphql.respond(req.headers.authorization)),
    countErrors: graphql.countErrors,
    socketResult: graphql.socketResult,
    stop: graphql.stop,
    countSync: (services) => ({
      ...services,
      pushService: countPushes(services.pushService),
      pullService: countPulls(services.pullService),
    }),
  };

  function countPushes(service: PushService): PushService {
    return {
      ...service,
      async push(...args: Parameters<PushService["push"]>) {
        let result: Awaited<ReturnType<PushService["push"]>>;
        try {
          result = await service.push(...args);
        } catch (error) {
          pushBatches.inc({ outcome: "failed" });
          throw error;
        }
        const outcome = result.rejected
          ? "refused"
          : result.expectedSeq !== null
            ? "gap"
            : "applied";
        pushBatches.inc({ outcome });
        pushEvents.inc({ result: "applied" }, result.applied);
        pushEvents.inc({ result: "duplicate" }, result.duplicates);
        if (result.rejected) pushEvents.inc({ result: "refused" });
        return result;
      },
    };
  }

  function countPulls(service: PullService): PullService {
    return {
      ...service,
      async pull(...args: Parameters<PullService["pull"]>) {
        const page = await service.pull(...args);
        pullPages.inc({ mode: "pull" });
        pulledEvents.inc({ mode: "pull" }, page.events.length);
        return page;
      },
      // mapAsyncIterator hands return() straight to the follow (an unsubscribe does not wait
      // for the next page), and a bad cursor still throws at once.
      follow: (...args: Parameters<PullService["follow"]>) =>
        mapAsyncIterator(service.follow(...args), (page) => {
          pullPages.inc({ mode: "follow" });
          pulledEvents.inc({ mode: "follow" }, page.events.length);
          return page;
        }) as unknown as ReturnType<PullService["follow"]>, // an async iterator, as callers use it
    };
  }
}

async function send(res: ServerResponse, response: Response) {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(await response.text());
}
