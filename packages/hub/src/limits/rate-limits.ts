import type { IncomingMessage } from "node:http";
import type { TokenClaims } from "@maillage/schema";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { Redis } from "ioredis";
import {
  type IRateLimiterOptions,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import type { RateLimitSettings } from "../env.ts";
import type { Logger } from "../logger.ts";

/**
 * Rate limits at the hub (docs/rate-limits.md): every GraphQL operation — over HTTP, server-sent
 * events or graphql-ws, a subscribe counting as one — spends one request of its caller's budget
 * per minute, checked once the caller is known and before anything executes. Three budgets:
 *
 * - a person: by token — its `jti`, a web session's own id — so that people holding tokens of
 *   the same role and fabrique (one subject, `national:network`) each have their own budget;
 * - a node agent: by its node id, larger (a backlog pushed and pulled after an outage must drain
 *   at full speed);
 * - an anonymous caller: by client address (`X-Forwarded-For`'s last entry under TRUST_PROXY).
 *
 * With REDIS_URL the counters live in Redis (rate-limiter-flexible's RateLimiterRedis: one
 * atomic INCR+PEXPIRE script a request), so the budget holds across replicas; without it, in
 * this process (RateLimiterMemory). Redis down never refuses a request: each replica then
 * counts on its own (the insurance limiter) and says so in the log.
 */

export type { RateLimitSettings };

/*
 * The defaults (RATE_LIMIT_* in env.ts; docs/rate-limits.md has the reasoning):
 * - person 600 a minute: 10 a second over a whole minute, far beyond what a person clicking
 *   through the web app asks (a dashboard view is a handful of queries) or a script paging the
 *   registry needs (4,400 spaces are 9 pages of 500), while a runaway loop or a leaked token
 *   is stopped within the minute;
 * - node 12,000 a minute (200 a second): the agent's push and pull loops each keep one request
 *   in flight and carry up to MAX_PUSH_BATCH / MAX_PULL_LIMIT (1,000) events each; at 10 ms a
 *   full batch (a fifth of the fastest ingest measured, 20,572 events/s ≈ 49 ms a batch) both
 *   loops together make 200 requests a second, so a backlog drains without ever meeting it;
 * - anonymous 600 a minute per address: little of the API answers an anonymous caller (the web
 *   app's users are people with a session), and 10 a second is room for a shared office address.
 */

type RateLimitBucket = "person" | "node" | "anonymous";

/** Whose budget a request spends, or null when none applies. */
export type RateLimitKey = { bucket: RateLimitBucket; key: string };

/** The budget of a viewer (null: anonymous, counted by `address` when one is known). */
export function rateLimitKeyOf(
  viewer: (Pick<TokenClaims, "sub" | "role"> & { jti?: string | undefined }) | null | undefined,
  address: string | undefined,
): RateLimitKey | null {
  if (viewer?.role === "NODE") return { bucket: "node", key: viewer.sub };
  // A token without a jti (none the hub signs) falls back to its subject.
  if (viewer)
    return { bucket: "person", key: viewer.jti ? `jti:${viewer.jti}` : `sub:${viewer.sub}` };
  // An in-process call (hub.fetch) has no address: nothing to count it by.
  return address ? { bucket: "anonymous", key: addressKey(address) } : null;
}

/**
 * An anonymous budget's key: an IPv4 address as it is (an IPv4-mapped IPv6 one too), an IPv6
 * address by its /64 — one client holds a whole /64 and could otherwise take a fresh budget
 * per address.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.toLowerCase().split("%")[0]?.split("::") ?? [];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

type RateLimitVerdict =
  | { allowed: true }
  | { allowed: false; bucket: RateLimitBucket; limit: number; retryAfterSeconds: number };

export type RateLimits = {
  /** Spends one request of the caller's budget; refused once the minute's budget is spent. */
  consume(key: RateLimitKey | null): Promise<RateLimitVerdict>;
  /** Resolves once the Redis connection is ready (at once without Redis; never while it is down). */
  ready(): Promise<void>;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
};

const WINDOW_SECONDS = 60;
const WARN_EVERY_MS = 60_000;

/**
 * The hub's limiters: in Redis when `redisUrl` is given, in memory otherwise. A separate
 * ioredis connection from the pub/sub's (a subscribed connection cannot run commands), without
 * an offline queue and with a command timeout: a request never waits for Redis to come back.
 */
export function createRateLimits(
  settings: RateLimitSettings,
  options: { redisUrl?: string | undefined; logger: Logger },
): RateLimits {
  const { logger } = options;
  const budgets: Record<RateLimitBucket, number> = {
    person: settings.personPerMinute,
    node: settings.nodePerMinute,
    anonymous: settings.anonymousPerMinute,
  };
  const anyOn = Object.values(budgets).some((points) => points > 0);
  let lastWarning = Number.NEGATIVE_INFINITY;
  const warn = (details: Record<string, unknown>, message: string) => {
    if (Date.now() - lastWarning < WARN_EVERY_MS) return;
    lastWarning = Date.now();
    logger.warn(details, message);
  };

  const client =
    anyOn && options.redisUrl
      ? new Redis(options.redisUrl, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout: 1000,
        })
      : undefined;
  client?.on("error", (err: Error) =>
    warn({ err }, "rate limits: Redis connection error; counting per replica meanwhile"),
  );

  const limiters = new Map<RateLimitBucket, RateLimiterAbstract>();
  for (const [bucket, points] of Object.entries(budgets) as [RateLimitBucket, number][]) {
    if (points <= 0) continue;
    const common: IRateLimiterOptions = {
      points,
      duration: WINDOW_SECONDS,
      keyPrefix: `${settings.keyPrefix}:${bucket}`,
    };
    limiters.set(
      bucket,
      client
        ? new RateLimiterRedis({
            ...common,
            storeClient: client,
            rejectIfRedisNotReady: true,
            // Once over, this replica refuses the key from memory until the window ends: a
            // client hammering after its refusal costs no Redis round trip.
            inMemoryBlockOnConsumed: points + 1,
            insuranceLimiter: new InsuranceLimiter(common, () =>
              warn({ bucket }, "rate limits: Redis unavailable; counting per replica meanwhile"),
            ),
          })
        : new RateLimiterMemory(common),
    );
  }

  return {
    async consume(key) {
      if (!key) return { allowed: true };
      const limiter = limiters.get(key.bucket);
      if (!limiter) return { allowed: true };
      try {
        await limiter.consume(key.key);
        return { allowed: true };
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) {
          return {
            allowed: false,
            bucket: key.bucket,
            limit: limiter.points,
            retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)),
          };
        }
        // Not a verdict: a store failure the insurance did not absorb. Fail open.
        warn({ err: outcome, bucket: key.bucket }, "rate limits: check failed; request allowed");
        return { allowed: true };
      }
    },
    async ready() {
      if (!client || client.status === "ready") return;
      await new Promise<void>((resolve) => client.once("ready", () => resolve()));
    },
    async close() {
      client?.disconnect();
    },
  };
}

/** The per-replica count that stands in while Redis is unreachable, saying so in the log. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    options: IRateLimiterOptions,
    private readonly onUse: () => void,
  ) {
    super(options);
  }

  override consume(key: string | number, points?: number, options?: Record<string, unknown>) {
    this.onUse();
    return super.consume(key, points, options);
  }
}

/** The refusal: RATE_LIMITED, HTTP 429 with Retry-After, the wait in `retryAfterSeconds`. */
function rateLimitedError(verdict: Extract<RateLimitVerdict, { allowed: false }>) {
  const who = verdict.bucket === "anonymous" ? "this address" : `this ${verdict.bucket}`;
  return new GraphQLError(
    `too many requests: ${verdict.limit} a minute for ${who}; retry in ${verdict.retryAfterSeconds} s`,
    {
      extensions: {
        code: "RATE_LIMITED",
        retryAfterSeconds: verdict.retryAfterSeconds,
        http: { status: 429, headers: { "retry-after": String(verdict.retryAfterSeconds) } },
      },
    },
  );
}

/** What the rate limits read of a GraphQL context: the viewer and the transport. */
export type RateLimitedContext = {
  viewer?: Pick<TokenClaims, "sub" | "role"> | null;
  /** HTTP: the Fetch request yoga handles (no socket address of its own). */
  request?: Request;
  /** The Node request: yoga's server context over HTTP, the upgrade request over graphql-ws. */
  req?: IncomingMessage;
};

/**
 * The client's address: the socket's peer, or under TRUST_PROXY the last `X-Forwarded-For`
 * entry (the one the proxy in front appended; earlier entries are the client's to invent).
 */
export function clientAddressOf(
  context: RateLimitedContext,
  trustProxy: boolean,
): string | undefined {
  if (trustProxy) {
    const header =
      context.request?.headers.get("x-forwarded-for") ?? context.req?.headers["x-forwarded-for"];
    const value = Array.isArray(header) ? header.join(",") : header;
    const last = value?.split(",").at(-1)?.trim();
    if (last) return last;
  }
  return context.req?.socket?.remoteAddress ?? undefined;
}

/**
 * A request whose credentials were refused (a forged, expired or malformed token, a failed
 * CSRF check) spends its address's anonymous budget: a flood of forged tokens is refused with
 * RATE_LIMITED like any anonymous flood, rather than costing a verification each for free.
 * Returns the refusal to answer instead of UNAUTHENTICATED, or null.
 */
export async function refusalAfterFailedAuthentication(
  limits: RateLimits,
  context: RateLimitedContext,
  trustProxy: boolean,
): Promise<GraphQLError | null> {
  const verdict = await limits.consume(rateLimitKeyOf(null, clientAddressOf(context, trustProxy)));
  return verdict.allowed ? null : rateLimitedError(verdict);
}

/**
 * The check as an envelop plugin: yoga's `context` factory (the viewer's authentication) runs
 * as the first onContextBuilding hook, so this one sees the viewer; the context is built after
 * parse and validation (the GraphQL limits) and before execute or subscribe, over HTTP, SSE and
 * graphql-ws alike (the hub's onSubscribe builds it too). Throwing refuses the operation.
 */
export function useRateLimits(limits: RateLimits, trustProxy: boolean): Plugin {
  return {
    async onContextBuilding({ context }) {
      const ctx = context as RateLimitedContext;
      const verdict = await limits.consume(
        rateLimitKeyOf(ctx.viewer, clientAddressOf(ctx, trustProxy)),
      );
      if (!verdict.allowed) throw rateLimitedError(verdict);
    },
  };
}
