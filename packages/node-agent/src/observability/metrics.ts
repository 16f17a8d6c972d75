import { createGraphQLMetrics, metricsDisabledResponse, sharedPerScrape } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import type { Plugin } from "graphql-yoga";
import { Gauge, type Registry } from "prom-client";
import { type AgentSyncGauges, agentSyncGauges } from "../modules/sync/sync-metrics.repository.ts";

/**
 * The node agent's Prometheus metrics (docs/metrics.md): the GraphQL ones shared with the hub
 * (server-sent event streams included), plus its outbox and its sync with the hub, read from
 * the store at scrape time. Disabled (404, no plugin, no registry) while METRICS_TOKEN is unset.
 */
export type AgentMetrics = {
  /** One entry of yoga's plugins list (an empty plugin when disabled). */
  plugin: Plugin;
  /** The answer to `GET /metrics`. */
  respond(request: Request): Promise<Response>;
  /** Stops the process monitors of the default metrics (the agent's stop()). */
  stop(): void;
  /** The registry (undefined when disabled), for tests. */
  registry: Registry | undefined;
};

export async function createAgentMetrics(deps: {
  token: string | undefined;
  store: SqlStore;
}): Promise<AgentMetrics> {
  if (!deps.token) {
    return {
      plugin: {},
      respond: async () => metricsDisabledResponse(),
      stop: () => {},
      registry: undefined,
    };
  }
  const graphql = await createGraphQLMetrics({ token: deps.token });
  const registers = [graphql.registry];
  // The gauges share one read of the outbox and sync state per scrape.
  const read = sharedPerScrape(() => agentSyncGauges(deps.store));
  const gauge = (name: string, help: string, value: (g: AgentSyncGauges) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        // The store unreadable: NaN (unknown), and the rest of the scrape still answers.
        const gauges = await read().catch(() => undefined);
        this.set(gauges ? value(gauges) : Number.NaN);
      },
    });
  gauge(
    "maillage_agent_outbox_pending_events",
    "Events of the outbox the hub has not applied yet",
    (g) => g.pending,
  );
  gauge(
    "maillage_agent_outbox_oldest_pending_seconds",
    "Age of the oldest event waiting in the outbox (0: none): the node's lag to the hub",
    (g) => g.oldestPendingSeconds,
  );
  gauge(
    "maillage_agent_outbox_refused_events",
    "Events of the outbox the hub refused; the first blocks the outbox until its record changes",
    (g) => g.refused,
  );
  gauge(
    "maillage_agent_last_push_timestamp_seconds",
    "Unix time of the last push the hub answered (0: none yet)",
    (g) => g.lastPush ?? 0,
  );
  gauge(
    "maillage_agent_last_pull_timestamp_seconds",
    "Unix time of the last pull applied from the hub (0: none yet)",
    (g) => g.lastPull ?? 0,
  );
  gauge(
    "maillage_agent_hub_reachable",
    "1 when the last exchange with the hub succeeded, 0 when it failed or none happened yet",
    (g) => (g.hubReachable ? 1 : 0),
  );
  return {
    plugin: graphql.plugin,
    registry: graphql.registry,
    respond: (request) => graphql.respond(request.headers.get("authorization")),
    stop: graphql.stop,
  };
}
