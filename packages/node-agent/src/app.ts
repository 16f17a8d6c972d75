import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import {
  cookiePolicyOf,
  createErrorMasker,
  DEFAULT_GRAPHQL_LIMITS,
  graphqlLimitPlugins,
  jsonErrorResponse,
  loadGeography,
  MaillageError,
  pageHeaders,
  passesCsrfCheck,
  renderErrorCodesPage,
  renderLandingPage,
  useHtmlHeaders,
  useInputFieldNames,
  viewerOfSession,
  withTokenFromFragment,
} from "@maillage/schema";
import { pendingMigrations, type SqlStore } from "@maillage/storage";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import { WebSocket } from "ws";
import agentPackage from "../package.json" with { type: "json" };
import type { AppServices, Context, Viewer } from "./context.ts";
import { type AgentConfig, DEFAULT_MOBILITY_SETTINGS } from "./env.ts";
import { schema } from "./graphql/schema.ts";
import { loadNodeCredentials, type NodeIdentity } from "./identity/identity.ts";
import { verifyAgentToken } from "./identity/tokens.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createActivityService } from "./modules/activity/activity.service.ts";
import { createBookingRequestService } from "./modules/bookings/booking-request.service.ts";
import { handleCalendarRequest } from "./modules/calendar/calendar.http.ts";
import { createCalendarService } from "./modules/calendar/calendar.service.ts";
import { handleCredentialsRequest } from "./modules/credentials/credentials.http.ts";
import { createCredentialIssuer } from "./modules/credentials/issuer.ts";
import { createPortableCredentialService } from "./modules/credentials/portable-credentials.service.ts";
import { createMemberService } from "./modules/members/member.service.ts";
import { createCheckInService } from "./modules/mobility/check-in.service.ts";
import { createPassService } from "./modules/mobility/pass.service.ts";
import { createCredentialService } from "./modules/resources/credential.service.ts";
import type { Publication } from "./modules/resources/live.ts";
import { bringsDecisions, createResourcePubSub, publishAll } from "./modules/resources/live.ts";
import { createResourceService } from "./modules/resources/resource.service.ts";
import {
  agentSessionEnds,
  agentSessionReader,
  createAgentWebRoutes,
} from "./modules/sessions/web-routes.ts";
import { handleSettlementRequest } from "./modules/settlement/settlement.http.ts";
import { createSettlementService } from "./modules/settlement/settlement.service.ts";
import { createSatelliteService } from "./modules/spaces/satellite.service.ts";
import { createSyncService } from "./modules/sync/sync.service.ts";
import { createEnrolmentService } from "./modules/trainings/enrolment.service.ts";
import { bringsEnrolmentWork } from "./modules/trainings/live.ts";
import { createTrainingService } from "./modules/trainings/training.service.ts";
import { createAgentMetrics } from "./observability/metrics.ts";
import { createLocalWriter } from "./outbox/local-writer.ts";
import { agentMigrations } from "./store/migrations.ts";
import { openAgentStore } from "./store/store.ts";
import { createSyncEngine, type SyncEngine } from "./sync/engine.ts";
import { createHubClient, type FetchLike } from "./sync/hub-client.ts";
import { removeRunFile, writeRunFile } from "./sync/remote-status.ts";

export type Agent = {
  config: AgentConfig;
  identity: NodeIdentity;
  store: SqlStore;
  /** The HTTP handler, callable in process: `agent.fetch("http://agent/graphql", init)`. */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** The sync engine; `start()` starts it, tests drive it directly (flush, pullNow). */
  sync: SyncEngine;
  /** The services the API uses (tests call them directly, e.g. bookingRequests.decidePending). */
  services: AppServices;
  /**
   * What runs after each pull answer committed: publishes its live updates and, when it brought
   * incoming booking requests or withdrawals, runs the automatic decider. The engine calls it; a second engine on the same store
   * (tests) passes it too.
   */
  onPulled: (publications: Publication[]) => Promise<void>;
  /** Listens on config.host:config.port (0 picks a free port) and starts the sync engine. */
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
};

export type AgentDeps = {
  logger?: Logger;
  /** How to reach the hub over HTTP (default: the global fetch). */
  fetch?: FetchLike;
  /** WebSocket constructor for the `changes` subscription (default: the `ws` package). */
  webSocketImpl?: unknown;
  /** Jitter source of the retry backoff (tests pin it). */
  random?: () => number;
  /** The clock of booking rules (lead time, deadlines, overdue loans); tests move it. */
  now?: (() => Date) | undefined;
  /** How often the automatic decider runs besides after pulls (default: every minute). */
  decideIntervalMs?: number | undefined;
};

/** The automatic decider's safety net: it runs this often while the agent runs. */
export const DECIDE_INTERVAL_MS = 60_000;
/** The sweeper of disclosed fields past their retention (docs/mobility.md) runs this often. */
export const DISCLOSURE_SWEEP_INTERVAL_MS = 60_000;

/**
 * Builds a node agent: reads its identity and key (NOT_ENROLLED before `initAgent`), opens its
 * store, applies pending migrations, assembles the local GraphQL API and the sync engine.
 * Nothing listens and nothing syncs until `start()`.
 */
export async function createAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<Agent> {
  const logger = deps.logger ?? createLogger(config);
  const { identity, key } = await loadNodeCredentials(config.dataDir);
  const store = await openAgentStore(config, logger);
  // Prometheus /metrics (docs/metrics.md): off, and free, while METRICS_TOKEN is unset.
  const metrics = await createAgentMetrics({ token: config.metricsToken, store });
  const migrations = await agentMigrations();

  const hub = createHubClient({
    hubUrl: config.hubUrl ?? identity.hubUrl,
    fetch: deps.fetch,
    webSocketImpl: deps.webSocketImpl ?? WebSocket,
  });
  const pubsub = createResourcePubSub();
  const onPulled = async (publications: Publication[]) => {
    publishAll(pubsub, publications);
    // Deciding takes the local write lock per request: only when the pull brought some.
    if (bringsDecisions(publications)) await services.bookingRequests.decidePending();
    // Enrolment requests, withdrawals and acceptances addressed to this organiser.
    if (bringsEnrolmentWork(publications)) await services.enrolments.decidePending();
    // Erasures of members this node issued credentials to: revoked now (one sync cycle).
    await services.members
      .settleErasures()
      .catch((err: unknown) => logger.error({ err }, "settling erasures failed"));
  };
  const sync = createSyncEngine({
    store,
    identity,
    key,
    hub,
    logger,
    settings: config.sync,
    audience: config.hubAudience,
    random: deps.random,
    onPulled,
  });
  const writer = createLocalWriter({
    store,
    nodeId: identity.nodeId,
    onCommitted: () => sync.wake(),
  });
  const geography = loadGeography();
  const mobility = config.mobility ?? DEFAULT_MOBILITY_SETTINGS;
  const credentialIssuer = createCredentialIssuer({
    nodeId: identity.nodeId,
    issuerName: identity.fabriqueName,
    key,
    hubUrl: config.hubUrl ?? identity.hubUrl,
    now: deps.now,
  });
  const services: AppServices = {
    identity,
    store,
    geography,
    satellites: createSatelliteService({
      store,
      writer,
      geography,
      fabriqueId: identity.fabriqueId,
      now: deps.now,
    }),
    members: createMemberService({
      store,
      writer,
      fabriqueId: identity.fabriqueId,
      issuer: credentialIssuer,
      // The mobility module's, read when an erasure runs (services is built by then).
      revokePasses: (tx, changes, memberId) =>
        services.passes.revokeActiveIn(tx, changes, memberId, "ERASED"),
      refreshPass: (tx, changes, memberId) => services.passes.refreshIn(tx, changes, memberId),
      now: deps.now,
    }),
    activity: createActivityService({
      store,
      writer,
      fabriqueId: identity.fabriqueId,
      now: deps.now,
    }),
    resources: createResourceService({
      store,
      writer,
      pubsub,
      fabriqueId: identity.fabriqueId,
      logger,
      now: deps.now,
    }),
    bookingRequests: createBookingRequestService({
      store,
      writer,
      pubsub,
      fabriqueId: identity.fabriqueId,
      nodeId: identity.nodeId,
      logger,
      now: deps.now,
    }),
    credentials: createCredentialService({
      store,
      writer,
      issuer: credentialIssuer,
      now: deps.now,
    }),
    credentialIssuer,
    trainings: createTrainingService({
      store,
      writer,
      pubsub,
      geography,
      fabriqueId: identity.fabriqueId,
      now: deps.now,
      // A new decision deadline: the sweeper's timer follows.
      onScheduled: () => services.enrolments.rearm(),
    }),
    enrolments: createEnrolmentService({
      store,
      writer,
      pubsub,
      issuer: credentialIssuer,
      logger,
      now: deps.now,
    }),
    portableCredentials: createPortableCredentialService({ store }),
    settlement: createSettlementService({ store, writer, fabriqueId: identity.fabriqueId }),
    pubsub,
    sync: createSyncService({ store, identity, wake: () => sync.wake() }),
    passes: createPassService({
      store,
      writer,
      nodeId: identity.nodeId,
      key,
      fabriqueId: identity.fabriqueId,
      validityDays: mobility.passValidityDays,
      now: deps.now,
    }),
    checkIns: createCheckInService({
      store,
      writer,
      pubsub,
      nodeId: identity.nodeId,
      fabriqueId: identity.fabriqueId,
      key,
      retentionDays: mobility.disclosureRetentionDays,
      now: deps.now,
    }),
  };

  const calendar = createCalendarService({
    store,
    fabriqueId: identity.fabriqueId,
    fabriqueName: identity.fabriqueName,
  });

  const policy = cookiePolicyOf(config);
  const sessionEnds = agentSessionEnds(store);
  const readSession = agentSessionReader({ identity, key, policy, ends: sessionEnds });
  const webRoutes = createAgentWebRoutes({
    identity,
    key,
    sql: store,
    webDir: config.webDir,
    policy,
    ends: sessionEnds,
    readSession,
  });

  /**
   * The viewer of a request to the API: its bearer token, else its session cookie (the web
   * app), the same claims either way. A cookie-authenticated request passes the CSRF check.
   */
  async function viewerOfRequest(request: Request): Promise<Viewer | null> {
    const header = request.headers.get("authorization");
    if (header !== null) return viewerFrom(header);
    const session = await readSession((name) => request.headers.get(name), request.url);
    if (!session) return null;
    if (!passesCsrfCheck(request, session, policy)) {
      throw new MaillageError(
        "CSRF_CHECK_FAILED",
        "a cookie-authenticated request needs a same-origin x-maillage-csrf header",
      );
    }
    return viewerOfSession(session);
  }

  async function viewerFrom(header: string | null): Promise<Viewer | null> {
    if (header === null) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      throw new MaillageError("UNAUTHENTICATED", "expected `Authorization: Bearer <token>`");
    }
    return verifyAgentToken(identity, key, match[1]);
  }

  async function ready(): Promise<{ ok: boolean; detail: Record<string, unknown> }> {
    try {
      const pending = await pendingMigrations(store, migrations.migrations);
      return {
        ok: pending.length === 0,
        detail: { database: "reachable", pendingMigrations: pending },
      };
    } catch (error) {
      logger.warn({ err: error }, "readiness check failed");
      return { ok: false, detail: { database: "unreachable" } };
    }
  }

  const landingPage = renderLandingPage({
    title: "Maillage node agent",
    summary: `The node agent of ${identity.fabriqueName}: the local API of its fabrique's network (satellites, members, activity, shared resources), which syncs with the national hub.`,
    version: agentPackage.version,
    facts: [
      ["fabrique", `${identity.fabriqueName} (${identity.fabriqueId})`],
      ["node", identity.nodeId],
      ["hub", config.hubUrl ?? identity.hubUrl],
      ["web app", "/app/ (the fabrique's console; sign in with maillage agent login-link)"],
      ["GraphQL", "POST /graphql; subscriptions as server-sent events on /graphql"],
      ["node keys (Open Badges)", "/.well-known/nodes.jwks.json, replicated from the hub"],
      ["status lists", "/credentials/status/<nodeId>, replicated from the hub"],
    ],
  });
  const errorCodesPage = renderErrorCodesPage("Maillage node agent");

  /** /, /errors, /health, /ready and /sync/status, answered before GraphQL (in process and on the socket). */
  const endpoints: Plugin = {
    async onRequest({ request, url, endResponse }) {
      const feed = await handleCalendarRequest(request, { calendar });
      if (feed) return endResponse(feed);
      const published = await handleCredentialsRequest(request, {
        portable: services.portableCredentials,
      });
      if (published) return endResponse(published);
      const statement = await handleSettlementRequest(request, {
        settlement: services.settlement,
        // The bearer token, else the web app's session cookie (a GET: CSRF-safe).
        viewerFrom: () => viewerOfRequest(request),
      });
      if (statement) return endResponse(statement);
      // /login, /logout, /auth/session and the web app under /app/.
      const web = await webRoutes(request);
      if (web) return endResponse(web);
      if (request.method !== "GET") return;
      if (url.pathname === "/") return endResponse(page(landingPage));
      if (url.pathname === "/errors") return endResponse(page(errorCodesPage));
      if (url.pathname === "/health") return endResponse(Response.json({ status: "ok" }));
      if (url.pathname === "/metrics") return endResponse(await metrics.respond(request));
      if (url.pathname === "/ready") {
        const { ok, detail } = await ready();
        return endResponse(
          Response.json(
            { status: ok ? "ready" : "not ready", nodeId: identity.nodeId, ...detail },
            { status: ok ? 200 : 503 },
          ),
        );
      }
      if (url.pathname === "/sync/status") {
        return endResponse(await syncStatusResponse(request));
      }
    },
  };

  async function syncStatusResponse(request: Request): Promise<Response> {
    let viewer: Viewer | null;
    try {
      viewer = await viewerOfRequest(request);
    } catch (error) {
      const e = error as MaillageError;
      return errorResponse(e, e.code === "CSRF_CHECK_FAILED" ? 403 : 401);
    }
    if (viewer === null) {
      return errorResponse(
        new MaillageError("UNAUTHENTICATED", "a FABRIQUE_ADMIN bearer token is required"),
        401,
      );
    }
    if (viewer.role !== "FABRIQUE_ADMIN") {
      return errorResponse(
        new MaillageError("FORBIDDEN", "the sync status is for the fabrique's team"),
        403,
      );
    }
    // The fabrique's own state, to a cookie session too: never kept by a cache.
    return Response.json(await services.sync.status(), {
      headers: { "cache-control": "no-store" },
    });
  }

  const limits = config.graphqlLimits ?? DEFAULT_GRAPHQL_LIMITS;
  let graphiqlPage: string | undefined;
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // yoga's own /health answers an empty body before our plugin runs; ours says more.
    healthCheckEndpoint: "/graphql/health",
    landingPage: false,
    graphiql: { title: "Maillage node agent" },
    // GraphiQL from the package, not a CDN (works offline), rendered once; `#token=` opens it
    // authenticated.
    renderGraphiQL: (options) => {
      graphiqlPage ??= withTokenFromFragment(renderGraphiQL(options ?? {}));
      return graphiqlPage;
    },
    logging: false,
    // The session cookie authenticates the web app, served from this origin: no other origin
    // may read answers (yoga's default CORS reflects any Origin, with credentials).
    cors: false,
    maskedErrors: { maskError: createErrorMasker(logger) },
    maxRequestBodySize: limits.maxBodyBytes,
    // The limits refuse at parse and validation, before any resolver.
    plugins: [
      endpoints,
      ...graphqlLimitPlugins(limits),
      useInputFieldNames(),
      metrics.plugin,
      useHtmlHeaders(), // nosniff and no framing on GraphiQL
    ],
    context: async ({ request }) => {
      try {
        return { ...services, viewer: await viewerOfRequest(request) };
      } catch (error) {
        const e = error as MaillageError;
        const status = e.code === "CSRF_CHECK_FAILED" ? 403 : 401;
        throw new GraphQLError(e.message, { extensions: { code: e.code, http: { status } } });
      }
    },
  });

  const server: Server = createServer(yoga);
  let stopped = false;
  let decider: NodeJS.Timeout | undefined;
  let sweeper: NodeJS.Timeout | undefined;

  return {
    config,
    identity,
    store,
    sync,
    services,
    onPulled,
    fetch: (input, init = {}) => Promise.resolve(yoga.fetch(input as URL, init, {})),
    async start() {
      // What never travelled (resources created before they did) goes first, before the API
      // listens: no booking of theirs can be written, and queued, before them.
      await services.resources
        .publishUnpublished()
        .catch((err: unknown) => logger.error({ err }, "publishing resources failed"));
      // Owned credentials this node has not signed (granted before signing existed, handed
      // over from the node it replaced) are signed now, and every minute after.
      const signCredentials = () =>
        services.credentials
          .signUnsigned()
          .catch((err: unknown) => logger.error({ err }, "signing credentials failed"));
      await signCredentials();
      // Requests pulled before a crash and not decided yet are decided now, and every minute
      // after (a safety net: a pull bringing requests decides them at once).
      const decide = () =>
        services.bookingRequests
          .decidePending()
          .catch((err: unknown) =>
            logger.error({ err }, "deciding pending booking requests failed"),
          );
      await decide();
      // Trainings: the requests pulled before a crash are answered, then what fell due while
      // the agent was down (decision deadlines, offers) is settled, and every minute after.
      const settleTrainings = async () => {
        await services.enrolments
          .decidePending()
          .catch((err: unknown) => logger.error({ err }, "answering enrolment requests failed"));
        await services.enrolments
          .sweep()
          .catch((err: unknown) => logger.error({ err }, "sweeping trainings failed"));
      };
      await settleTrainings();
      // Pulled erasures not settled before a crash: the credentials this node issued, revoked.
      const settleErasures = () =>
        services.members
          .settleErasures()
          .catch((err: unknown) => logger.error({ err }, "settling erasures failed"));
      await settleErasures();
      // Disclosed fields past their retention go now, and every minute after (on their own
      // timer: a retention counts in days, the decider's period may be far shorter).
      const sweepDisclosures = () =>
        services.checkIns
          .sweepDisclosures()
          .catch((err: unknown) => logger.error({ err }, "sweeping visit disclosures failed"));
      await sweepDisclosures();
      const port = await new Promise<number>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      const url = `http://${host}:${port}`;
      await writeRunFile(config.dataDir, url);
      logger.info({ url, nodeId: identity.nodeId }, "node agent listening");
      decider = setInterval(() => {
        void decide();
        void settleTrainings();
        void signCredentials();
        void settleErasures();
      }, deps.decideIntervalMs ?? DECIDE_INTERVAL_MS);
      decider.unref();
      sweeper = setInterval(() => void sweepDisclosures(), DISCLOSURE_SWEEP_INTERVAL_MS);
      sweeper.unref();
      sync.start();
      return { url, port };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(decider);
      clearInterval(sweeper);
      metrics.stop();
      await sync.stop();
      if (server.listening) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await removeRunFile(config.dataDir);
      }
      // A decision going on ends before the store closes (none starts after this).
      await services.bookingRequests.close();
      await services.enrolments.close();
      await store.close();
    },
  };
}

/** One of the agent's own HTML pages, with its CSP, nosniff and no framing. */
function page(html: string): Response {
  return new Response(html, { headers: pageHeaders() });
}

function errorResponse(error: MaillageError, status: number): Response {
  return jsonErrorResponse(status, error.code, error.message);
}
