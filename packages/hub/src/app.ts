import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import {
  cookiePolicyOf,
  createErrorMasker,
  graphqlLimitPlugins,
  isSameOrigin,
  loadGeography,
  MaillageError,
  pageHeaders,
  passesCsrfCheck,
  renderErrorCodesPage,
  renderLandingPage,
  useHtmlHeaders,
  useInputFieldNames,
  viewerOfSession,
  withDefaultCode,
  withTokenFromFragment,
} from "@maillage/schema";
import { migrate, pendingMigrations } from "@maillage/storage";
import { type ExecutionArgs, type ExecutionResult, GraphQLError, getOperationAST } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, type Plugin } from "graphql-yoga";
import { decodeJwt } from "jose";
import { WebSocketServer } from "ws";
import hubPackage from "../package.json" with { type: "json" };
import { KeyRing } from "./auth/keys.ts";
import { createNodeTokenVerifier } from "./auth/node-tokens.ts";
import { type VerifiedClaims, verifyHubToken } from "./auth/tokens.ts";
import type { AppServices, Context, Viewer } from "./context.ts";
import { type Database, openDatabase } from "./db.ts";
import type { HubConfig } from "./env.ts";
import { useBodyLimit } from "./graphql/body-limit.ts";
import { schema } from "./graphql/schema.ts";
import {
  createRateLimits,
  type RateLimitedContext,
  refusalAfterFailedAuthentication,
  useRateLimits,
} from "./limits/rate-limits.ts";
import { createLogger, type Logger } from "./logger.ts";
import { hubMigrations } from "./migrate.ts";
import { usePortableCredentialRoutes } from "./modules/credentials/credentials.http.ts";
import { createHealthService } from "./modules/health/health.service.ts";
import { createEnrolmentService } from "./modules/nodes/enrolment.service.ts";
import { startLivenessSweeper } from "./modules/nodes/liveness.ts";
import { fabriqueNameOf } from "./modules/sessions/login-link.repository.ts";
import { hubSessionEnds, hubSessionReader, useWebRoutes } from "./modules/sessions/web-routes.ts";
import { createRegistryCache, type RegistryCache } from "./modules/spaces/registry-cache.ts";
import { createSpaceRepository } from "./modules/spaces/space.repository.ts";
import { createSpaceService } from "./modules/spaces/space.service.ts";
import { createPullService } from "./modules/sync/pull.service.ts";
import { createPushService } from "./modules/sync/push.service.ts";
import { createHubMetrics } from "./observability/metrics.ts";
import { createHubPubSub, listenWhileRunning, type SpaceChangedEvent } from "./realtime/pubsub.ts";
import { sharedExecutionsOf } from "./realtime/shared-execution.ts";
import { dropSlowConsumers } from "./realtime/slow-consumers.ts";

export type Hub = {
  config: HubConfig;
  db: Database;
  keys: KeyRing;
  services: AppServices;
  /** The HTTP handler, callable in process: `hub.fetch("http://hub/graphql", init)`. */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /**
   * The space table was written behind the hub's services (a seed, a test's reset): nothing
   * this replica derived from spaces (its cached registry answers) is served again.
   */
  spacesChanged(): void;
  /** The registry cache (REGISTRY_CACHE, on by default), for /metrics and tests. */
  registryCache: RegistryCache | undefined;
  /** Listens on config.host:config.port (0 picks a free port). */
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
};

/** graphql-ws closes a socket whose token expired with this code. */
export const WS_TOKEN_EXPIRED = 4401;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Builds a hub: opens its storage, applies pending migrations, loads its signing keys and
 * assembles the GraphQL server. Nothing listens until `start()`.
 */
export async function createHub(
  config: HubConfig,
  options: { logger?: Logger; onQuery?: (sql: string) => void } = {},
): Promise<Hub> {
  const logger = options.logger ?? createLogger(config);
  const keys = await KeyRing.open(config);
  const db = await openDatabase({ ...config, onQuery: options.onQuery });
  const migrations = await hubMigrations();
  try {
    const applied = await migrate(db.store, migrations);
    if (applied.length > 0) logger.info({ applied }, "migrations applied");
  } catch (error) {
    await db.close();
    throw error;
  }

  // Prometheus /metrics (docs/metrics.md): off, and free, while METRICS_TOKEN is unset.
  const metrics = await createHubMetrics({
    token: config.metricsToken,
    store: db.store,
    openSockets: () => wsServer.clients.size,
    registryCache: () => registryCache?.stats(),
  });
  const { pubsub, onHearingChange, close: closePubSub } = createHubPubSub(config.redisUrl, logger);
  // The registry's answers, per audience, until a space changes (modules/spaces/registry-cache.ts):
  // here at once when this replica writes it, from the pub/sub when another one does; none
  // while this replica may not hear the others (with Redis: until its subscription is up).
  const registryCache = config.registryCache
    ? createRegistryCache({ following: !config.redisUrl })
    : undefined;
  const spaceChanged = () => registryCache?.invalidate();
  const stopFollowingSpaces = registryCache
    ? listenWhileRunning(pubsub, "space:changed", spaceChanged)
    : () => {};
  /** A space written here: this replica's answers end in the writer's turn, the others' on the event. */
  const announceSpaceChanged = (event: SpaceChangedEvent) => {
    spaceChanged();
    pubsub.publish("space:changed", event);
  };
  onHearingChange((hearing) => registryCache?.following(hearing));
  const rateLimits = createRateLimits(config.rateLimits, { redisUrl: config.redisUrl, logger });
  const geography = loadGeography();
  const spaceRepository = createSpaceRepository(db.prisma);
  const spaceService = createSpaceService({
    spaces: spaceRepository,
    geography,
    pubsub,
    announceSpaceChanged,
  });
  const announceLiveness = (change: { nodeId: string; fabriqueId: string; previous: string }) => {
    pubsub.publish("node:status", { ...change, status: "ONLINE" });
    pubsub.publish("network:appended");
  };
  const announceLogAndFeed = () => {
    pubsub.publish("log:appended");
    pubsub.publish("network:appended");
  };
  const services: AppServices = metrics.countSync({
    prisma: db.prisma,
    store: db.store,
    geography,
    pubsub,
    spaceRepository,
    spaceService,
    enrolmentService: createEnrolmentService({
      prisma: db.prisma,
      spaces: spaceService,
      onLogAppended: announceLogAndFeed,
    }),
    pushService: createPushService({
      store: db.store,
      geography,
      onLogAppended: announceLogAndFeed,
      onSpaceChanged: (spaceId, networkId, op) =>
        announceSpaceChanged({
          spaceId,
          networkId,
          change: op === "DELETE" ? "CLOSED" : "UPDATED",
        }),
      onLivenessChanged: announceLiveness,
      onBookingUpdated: (update) => pubsub.publish("booking:updated", update),
      onAvailabilityChanged: (change) => pubsub.publish("resource:availability", change),
      onTrainingChanged: (training) => pubsub.publish("training:changed", training),
      onEnrolmentUpdated: (enrolment) => pubsub.publish("enrolment:updated", enrolment),
      onVisitRecorded: (visit) => pubsub.publish("visit:recorded", visit),
    }),
    healthService: createHealthService({ store: db.store, geography }),
    logger,
    pullService: createPullService({
      store: db.store,
      pubsub,
      onLivenessChanged: announceLiveness,
      logger,
    }),
  });
  const stopSweeper = startLivenessSweeper(db.store, pubsub, logger);

  const nodeTokens = createNodeTokenVerifier(db.prisma, config.audience);

  /** Hub-signed tokens (people) carry the hub's `iss`; node agents sign with their node id. */
  async function viewerFromToken(token: string | undefined): Promise<VerifiedClaims | null> {
    if (!token) return null;
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new MaillageError("UNAUTHENTICATED", "malformed token");
    }
    if (issuer === config.issuer || issuer === undefined)
      return verifyHubToken(keys, config, token);
    return nodeTokens.verify(issuer, token);
  }

  const policy = cookiePolicyOf(config);
  /** A session's viewer keeps the session's own id: its rate-limit budget (limits/rate-limits.ts). */
  const sessionViewer = (session: Parameters<typeof viewerOfSession>[0]) => ({
    ...viewerOfSession(session),
    jti: session.jti,
  });
  const sessionEnds = hubSessionEnds(db.store);
  const readSession = hubSessionReader({ config, keys, ends: sessionEnds });
  /** The graphql-ws sockets opened with a session cookie, by session: /logout here closes them. */
  const socketsBySession = new Map<string, Set<import("ws").WebSocket>>();

  /**
   * The viewer of an HTTP request: its bearer token, else its session cookie (the web app),
   * the same claims either way. A cookie-authenticated request passes the CSRF check.
   */
  async function viewerFromRequest(request: Request): Promise<VerifiedClaims | null> {
    const header = request.headers.get("authorization");
    if (header !== null) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match)
        throw new MaillageError("UNAUTHENTICATED", "expected `Authorization: Bearer <token>`");
      return viewerFromToken(match[1]);
    }
    const session = await readSession((name) => request.headers.get(name), request.url);
    if (!session) return null;
    if (!passesCsrfCheck(request, session, policy)) {
      throw new MaillageError(
        "CSRF_CHECK_FAILED",
        "a cookie-authenticated request needs a same-origin x-maillage-csrf header",
      );
    }
    return sessionViewer(session);
  }

  const maskError = createErrorMasker(logger);
  let graphiqlPage: string | undefined;
  const yoga = createYoga<{ wsViewer?: Viewer | null }, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    // GraphiQL subscribes over server-sent events: they carry the Authorization header of its
    // headers editor (yoga's GraphiQL sends no headers over graphql-ws, so a subscription
    // there would always be anonymous). Programs keep graphql-ws.
    graphiql: { title: "Maillage hub", subscriptionsProtocol: "SSE" },
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
    maskedErrors: { maskError },
    maxRequestBodySize: false, // useBodyLimit below: the same answers, cheaper
    // The limits first: they refuse at parse and validation, before any resolver.
    plugins: [
      // /.well-known/nodes.jwks.json and /credentials/status/<nodeId>, before GraphQL.
      usePortableCredentialRoutes(db.store),
      // /login, /logout, /auth/session and the web app under /app/.
      useWebRoutes({
        config,
        keys,
        sql: db.store,
        fabriqueName: (id) => fabriqueNameOf(db.store, id),
        ends: sessionEnds,
        onSessionEnded: (jti) => {
          for (const socket of socketsBySession.get(jti) ?? []) {
            socket.close(WS_TOKEN_EXPIRED, "session ended");
          }
          socketsBySession.delete(jti);
        },
      }),
      useHtmlHeaders(),
      useBodyLimit(config.graphqlLimits.maxBodyBytes),
      ...graphqlLimitPlugins(config.graphqlLimits),
      useInputFieldNames(),
      useRequestLog(logger),
      // Per person, node or address, once the viewer is known and before execution.
      useRateLimits(rateLimits, policy.trustProxy),
      metrics.plugin,
      // Serves a cached answer in place of execution (auth, limits and rate limits have run
      // in earlier phases); after metrics', whose execution hooks still count it.
      ...(registryCache ? [registryCache.plugin] : []),
    ],
    context: async (initial) => {
      const { request, wsViewer } = initial;
      if (wsViewer !== undefined) return { ...services, viewer: wsViewer };
      try {
        return { ...services, viewer: await viewerFromRequest(request) };
      } catch (error) {
        const refused = await refusalAfterFailedAuthentication(
          rateLimits,
          initial as RateLimitedContext,
          policy.trustProxy,
        );
        if (refused) throw refused;
        const e = error as MaillageError;
        const status = e.code === "CSRF_CHECK_FAILED" ? 403 : 401;
        throw new GraphQLError(e.message, { extensions: { code: e.code, http: { status } } });
      }
    },
  });

  async function ready(): Promise<{ ok: boolean; detail: Record<string, unknown> }> {
    try {
      const pending = await pendingMigrations(db.store, migrations.migrations);
      return {
        ok: pending.length === 0,
        detail: { database: "reachable", pendingMigrations: pending },
      };
    } catch (error) {
      logger.warn({ err: error }, "readiness check failed");
      return { ok: false, detail: { database: "unreachable" } };
    }
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.error({ err, path: req.url }, "request failed");
      if (!res.headersSent) sendJson(res, 500, { status: "error" });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: import("node:http").ServerResponse) {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/") return sendHtml(res, landingPage);
    if (req.method === "GET" && path === "/errors") return sendHtml(res, errorCodesPage);
    if (req.method === "GET" && path === "/health") return sendJson(res, 200, { status: "ok" });
    if (req.method === "GET" && path === "/metrics") return metrics.serve(req, res);
    if (req.method === "GET" && path === "/ready") {
      const { ok, detail } = await ready();
      return sendJson(res, ok ? 200 : 503, { status: ok ? "ready" : "not ready", ...detail });
    }
    if (req.method === "GET" && path === "/.well-known/jwks.json") {
      await keys.refresh().catch((err: unknown) => {
        logger.warn({ err }, "key file unreadable; serving the keys already loaded");
      });
      return sendJson(res, 200, keys.jwks(), { "cache-control": "public, max-age=300" });
    }
    return yoga(req, res);
  }

  const landingPage = renderLandingPage({
    title: "Maillage hub",
    summary:
      "The national hub of the Maillage network: the registry of every fabrique and satellite, the log the fabriques' node agents sync through, and the network's health for the national body.",
    version: hubPackage.version,
    facts: [
      ["web app", "/app/ (national dashboard; sign in with maillage hub login-link)"],
      ["GraphQL", "POST /graphql; subscriptions over graphql-ws or server-sent events on /graphql"],
      ["public keys", "/.well-known/jwks.json"],
      ["node keys (Open Badges)", "/.well-known/nodes.jwks.json"],
      ["status lists", "/credentials/status/<nodeId>"],
    ],
  });
  const errorCodesPage = renderErrorCodesPage("Maillage hub");

  // A message larger than the body limit closes the socket (1009) before it is read.
  const wsServer = new WebSocketServer({
    server,
    path: "/graphql",
    maxPayload: config.graphqlLimits.maxBodyBytes,
  });
  dropSlowConsumers(wsServer); // a client not reading: closed with 1013 past 256 KiB unsent
  const expiryTimers = new Set<NodeJS.Timeout>();

  /** A subscription ends when its token expires (timers re-arm past setTimeout's ~24.8 days). */
  function closeAtExpiry(socket: import("ws").WebSocket, deadline: number) {
    let timer: NodeJS.Timeout;
    const arm = () => {
      timer = setTimeout(
        () => {
          expiryTimers.delete(timer);
          if (Date.now() >= deadline) socket.close(WS_TOKEN_EXPIRED, "token expired");
          else arm();
        },
        Math.min(Math.max(0, deadline - Date.now()), MAX_TIMER_MS),
      );
      expiryTimers.add(timer);
    };
    arm();
    socket.once("close", () => {
      clearTimeout(timer);
      expiryTimers.delete(timer);
    });
  }
  const sharedExecutions = sharedExecutionsOf(pubsub);
  useServer<Record<string, unknown>, { viewer?: VerifiedClaims | null; request: IncomingMessage }>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      // One execution per event for the subscribers of one document and audience (each still
      // runs its own subscribe phase: auth, argument checks). realtime/shared-execution.ts
      subscribe: (args) =>
        sharedExecutions.subscribe(args, (own) => (own.rootValue as EnvelopedRoot).subscribe(own)),
      // Every error the socket sends, a subscription's stream failing midway included, is
      // masked as over HTTP: a documented code, no internals; and counted (/metrics), as the
      // same refusals are over HTTP (onSubscribe's: parse, validation, rate limits).
      onError: (_ctx, _id, _payload, errors) => metrics.countErrors(errors.map(socketError)),
      // Each subscriber counts as a live subscription until it leaves, shared or not.
      onOperation: (_ctx, _id, _payload, _args, result) => metrics.socketResult(result),
      onConnect: async (ctx) => {
        const token = ctx.connectionParams?.authToken;
        try {
          if (typeof token === "string") {
            ctx.extra.viewer = await viewerFromToken(token);
          } else {
            // The web app: its session cookie rides on the upgrade, accepted from its own
            // origin only (another site's page could open a socket with the cookie).
            const headers = ctx.extra.request.headers;
            const get = (name: string) => {
              const value = headers[name];
              return Array.isArray(value) ? value[0] : value;
            };
            const session = await readSession(get);
            if (session && !isSameOrigin(get, undefined, policy)) return false;
            if (session) {
              ctx.extra.viewer = sessionViewer(session);
              const socket = ctx.extra.socket;
              const open = socketsBySession.get(session.jti) ?? new Set();
              open.add(socket);
              socketsBySession.set(session.jti, open);
              socket.once("close", () => {
                open.delete(socket);
                if (open.size === 0) socketsBySession.delete(session.jti);
              });
            } else ctx.extra.viewer = null;
          }
        } catch {
          // Spends the address's anonymous budget, as a refused token over HTTP does.
          await refusalAfterFailedAuthentication(
            rateLimits,
            { req: ctx.extra.request },
            policy.trustProxy,
          );
          return false; // closes with 4403 Forbidden
        }
        const exp = ctx.extra.viewer?.exp;
        if (exp) closeAtExpiry(ctx.extra.socket, exp * 1000);
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          wsViewer: ctx.extra.viewer ?? null,
        });
        // The same parser and rules as over HTTP (limits included), with the same codes.
        let document: ReturnType<typeof enveloped.parse>;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return [socketError(withDefaultCode(error, "GRAPHQL_PARSE_FAILED"))];
        }
        if (!getOperationAST(document, payload.operationName ?? undefined)) {
          return [
            socketError(
              new GraphQLError("Could not determine what operation to execute.", {
                extensions: { code: "BAD_REQUEST" },
              }),
            ),
          ];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0)
          return errors.map((e: GraphQLError) =>
            socketError(withDefaultCode(e, "GRAPHQL_VALIDATION_FAILED")),
          );
        let contextValue: Awaited<ReturnType<typeof enveloped.contextFactory>>;
        try {
          contextValue = await enveloped.contextFactory();
        } catch (error) {
          return [socketError(error)]; // RATE_LIMITED: this operation refused, the socket stays
        }
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
    },
    wsServer,
  );

  /** An error for graphql-ws: masked like HTTP's, without yoga's HTTP status hints. */
  function socketError(error: unknown): GraphQLError {
    const masked = maskError(error, "Unexpected error.");
    const { http: _http, ...extensions } = masked.extensions;
    return new GraphQLError(masked.message, {
      nodes: masked.nodes,
      source: masked.source,
      positions: masked.positions,
      extensions,
    });
  }

  let stopped = false;
  return {
    config,
    db,
    keys,
    services,
    fetch: (input, init = {}) => Promise.resolve(yoga.fetch(input as URL, init, {})),
    spacesChanged: spaceChanged,
    registryCache,
    start: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          server.off("error", reject);
          const { port } = server.address() as AddressInfo;
          const host = config.host.includes(":") ? `[${config.host}]` : config.host;
          const url = `http://${host}:${port}`;
          logger.info({ url }, "hub listening");
          resolve({ url, port });
        });
      }),
    async stop() {
      if (stopped) return;
      stopped = true;
      stopSweeper();
      stopFollowingSpaces();
      metrics.stop();
      for (const timer of expiryTimers) clearTimeout(timer);
      for (const client of wsServer.clients) client.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      if (server.listening) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await closePubSub();
      await rateLimits.close();
      await db.close();
    },
  };
}

/** What yoga's envelop hands graphql-ws, so that its plugins run on WebSocket operations too. */
type EnvelopedRoot = {
  execute(args: ExecutionArgs): Promise<ExecutionResult>;
  subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult>;
};

function sendHtml(res: import("node:http").ServerResponse, html: string) {
  res.writeHead(200, pageHeaders());
  res.end(html);
}

function sendJson(
  res: import("node:http").ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** One log line per GraphQL request: operation name, status, duration. */
function useRequestLog(logger: Logger): Plugin {
  const started = new WeakMap<Request, { at: number; path: string; operationName?: string }>();
  return {
    // Nothing kept for a request whose line would not be written (LOG_LEVEL above info); the
    // path is the URL yoga has already parsed.
    onRequest({ request, url }) {
      if (logger.isLevelEnabled("info"))
        started.set(request, { at: performance.now(), path: url.pathname });
    },
    onParams({ request, params }) {
      const entry = started.get(request);
      if (entry) entry.operationName = params.operationName ?? operationNameOf(params.query);
    },
    onResponse({ request, response }) {
      const entry = started.get(request);
      if (!entry) return;
      logger.info(
        {
          method: request.method,
          path: entry.path,
          operationName: entry.operationName ?? null,
          status: response.status,
          durationMs: Math.round((performance.now() - entry.at) * 10) / 10,
        },
        "request",
      );
    },
  };
}

function operationNameOf(query: string | undefined): string | undefined {
  return query ? /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(query)?.[1] : undefined;
}
