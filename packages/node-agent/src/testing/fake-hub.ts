import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ALLOWED_ALGORITHMS,
  ChangeEvent,
  MAX_PULL_LIMIT,
  MAX_PUSH_BATCH,
  NODE_TOKEN_MAX_TTL_SECONDS,
  NodeTokenClaims,
  type PulledEvent,
  type PullResult,
  type PushResult,
} from "@maillage/schema";
import { GraphQLError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createPubSub, createSchema, createYoga } from "graphql-yoga";
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { ulid } from "ulid";
import { WebSocketServer } from "ws";
import type { FetchLike } from "../sync/hub-client.ts";

/**
 * A small hub that speaks the sync contract (packages/schema/src/sync/protocol.ts), for the
 * agent's tests until the real hub's side lands, and for fault injection the real hub cannot
 * offer: down, answers lost after applying, forgotten events, refusals, slow pulls.
 *
 * It follows the protocol's rules: node tokens verified with the key stored at enrolment
 * (EdDSA, iss = kid = sub = node, aud, exp, at most NODE_TOKEN_MAX_TTL_SECONDS); push applies
 * contiguous seqs, skips duplicates, refuses a gap with the expected seq, refuses a bad event
 * (nothing after it applied), checks ownership; pull reads one ordered log after a cursor.
 * Shared resources are routed like the hub does: BOOKING_REQUEST to the resource's owner only,
 * BOOKING_DECISION to the requester only (both null while the fake hub does not know them);
 * BOOKING and BOOKING_DECISION from a node that does not own the resource are refused, and so
 * is a BOOKING of a resource never sent; RESOURCE and BOOKING events of a LOCAL resource reach
 * no other node, but for one last RESOURCE broadcast when a shared resource becomes LOCAL.
 * Several agents may enrol with one fake hub (startTestAgent's `hub` option).
 */
type Fabrique = { id: string; name: string };

type NodeState = {
  nodeId: string;
  fabriqueId: string;
  publicKey: CryptoKey;
  appliedThrough: number;
  /** Every event of this node applied, in order (exactly once each). */
  applied: ChangeEvent[];
  lastPending: number | undefined;
  lastOldestPendingAt: string | null | undefined;
  revoked: boolean;
};

type Code = { fabrique: Fabrique; expiresAt: number; usedAt: number | undefined };

export type PushCall = {
  nodeId: string;
  seqs: number[];
  pending: number;
  oldestPendingAt: string | null;
  /** When it reached the resolver (performance.now()). */
  at: number;
};

export type PullCall = { nodeId: string; after: string; limit: number; at: number };

export type FakeHub = {
  /** In-process HTTP handler (throws like a refused connection while `down`). */
  fetch: FetchLike;
  /** Listens on 127.0.0.1:0 for HTTP and graphql-ws; returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
  /** While true, HTTP fails as if the hub were unreachable and sockets are refused and cut. */
  down: boolean;
  /** Cuts every live subscription (the agent must resubscribe from its cursor). */
  dropSubscriptions(): void;
  /** Open graphql-ws connections. */
  subscribers(): number;
  createCode(fabrique: Fabrique, options?: { ttlMs?: number }): string;
  node(nodeId: string): NodeState | undefined;
  /** Forgets a node's events after `seq` (a hub restored from an older backup). */
  forgetAfter(nodeId: string, seq: number): void;
  /** Appends a hub-made event (reference data, a handover) to the log and wakes subscribers. */
  appendLog(
    event: Omit<PulledEvent, "offset" | "id" | "occurredAt" | "schemaVersion"> &
      Partial<Pick<PulledEvent, "id" | "occurredAt" | "schemaVersion">>,
  ): PulledEvent;
  readonly log: PulledEvent[];
  readonly pushCalls: PushCall[];
  readonly pullCalls: PullCall[];
  /** HTTP requests refused while down. */
  refusedWhileDown: number;
  faults: {
    /** The next N push answers are lost after the batch was applied. */
    loseNextPushAnswers: number;
    /** Refuse an event: return a code to refuse it. */
    reject?: ((event: ChangeEvent) => { code: string; message: string } | undefined) | undefined;
    /** Runs before a pull is answered (may wait, may throw). */
    beforePull?: ((call: { after: string; index: number }) => Promise<void>) | undefined;
    /**
     * Refuse the next `count` requests of `operation` for the rate limit, as the hub does:
     * over HTTP a 429 with the Retry-After header and/or `retryAfterSeconds` (`via`), over
     * graphql-ws an `error` message for the subscribe (the socket stays open).
     */
    rateLimit?:
      | {
          operation: "pushChanges" | "pullChanges" | "changes";
          count: number;
          retryAfterSeconds: number;
          via?: "header" | "extensions" | "both" | undefined;
        }
      | undefined;
  };
  /** Requests refused by `faults.rateLimit`, with when (performance.now()). */
  readonly rateLimited: { operation: string; at: number }[];
  /** graphql-ws subscribes received (refused ones included), with when (performance.now()). */
  readonly subscribes: { at: number }[];
  reset(): void;
};

const typeDefs = /* GraphQL */ `
  scalar JSON
  scalar DateTime
  input Ed25519PublicKeyInput { kty: String!, crv: String!, x: String! }
  type Enrolment { nodeId: ID!, fabriqueId: ID!, fabriqueName: String! }
  type PushRejection { seq: Int!, code: String!, message: String! }
  type PushResult {
    appliedThrough: Int!, applied: Int!, duplicates: Int!, expectedSeq: Int, rejected: PushRejection
  }
  type PullResult { events: [JSON!]!, cursor: String!, hasMore: Boolean! }
  type Query { pullChanges(after: String!, limit: Int!): PullResult! }
  type Mutation {
    enrolNode(code: String!, publicKey: Ed25519PublicKeyInput!): Enrolment!
    pushChanges(events: [JSON!]!, pending: Int!, oldestPendingAt: DateTime): PushResult!
  }
  type Subscription { changes(after: String!): PullResult! }
`;

function refuse(code: string, message: string, extensions: Record<string, unknown> = {}): never {
  throw new GraphQLError(message, { extensions: { code, ...extensions } });
}

export function createFakeHub(options: { audience?: string } = {}): FakeHub {
  const audience = options.audience ?? "maillage";
  const codes = new Map<string, Code>();
  const nodes = new Map<string, NodeState>();
  /** entity:id → owning node. */
  const owners = new Map<string, string>();
  /** Resources whose last RESOURCE event said LOCAL. */
  const localResources = new Set<string>();
  const log: PulledEvent[] = [];
  const pushCalls: PushCall[] = [];
  const pullCalls: PullCall[] = [];
  const rateLimited: { operation: string; at: number }[] = [];
  const subscribes: { at: number }[] = [];
  const pubsub = createPubSub<{ log: [] }>();
  let offset = 0n;
  let server: Server | undefined;
  let wsServer: WebSocketServer | undefined;

  async function authenticate(authorization: string | null | undefined): Promise<NodeState> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (!token) refuse("UNAUTHENTICATED", "a node token is required");
    try {
      const { kid } = decodeProtectedHeader(token);
      const node = kid ? nodes.get(kid) : undefined;
      if (!node || node.revoked) throw new Error("unknown node");
      const { payload } = await jwtVerify(token, node.publicKey, {
        algorithms: [...ALLOWED_ALGORITHMS],
        issuer: node.nodeId,
        audience,
        requiredClaims: ["exp", "iat", "sub"],
      });
      const claims = NodeTokenClaims.parse(payload);
      if (claims.sub !== node.nodeId || claims.fabriqueId !== node.fabriqueId) {
        throw new Error("claims do not match the node");
      }
      if ((payload.exp as number) - (payload.iat as number) > NODE_TOKEN_MAX_TTL_SECONDS) {
        throw new Error("token lives too long");
      }
      return node;
    } catch {
      refuse("UNAUTHENTICATED", "invalid or expired node token");
    }
  }

  /** The rate limit's refusal for this operation, if the fault is set and not spent. */
  function rateLimitFor(operation: string) {
    const fault = hub.faults.rateLimit;
    if (!fault || fault.operation !== operation || fault.count <= 0) return undefined;
    fault.count -= 1;
    rateLimited.push({ operation, at: performance.now() });
    const message = `too many requests: test budget; retry in ${fault.retryAfterSeconds} s`;
    return {
      message,
      via: fault.via ?? "both",
      retryAfterSeconds: fault.retryAfterSeconds,
      extensions: {
        code: "RATE_LIMITED",
        ...(fault.via === "header" ? {} : { retryAfterSeconds: fault.retryAfterSeconds }),
      },
    };
  }

  function append(event: Omit<PulledEvent, "offset">): PulledEvent {
    offset += 1n;
    const entry = { ...event, offset: offset.toString() };
    log.push(entry);
    return entry;
  }

  function pull(node: NodeState, after: string, limit: number): PullResult {
    const from = BigInt(after);
    const visible = log.filter(
      (e) => BigInt(e.offset) > from && (e.targetNodeId === null || e.targetNodeId === node.nodeId),
    );
    const events = visible.slice(0, Math.min(limit, MAX_PULL_LIMIT));
    const hasMore = visible.length > events.length;
    const last = events.at(-1);
    const cursor = hasMore && last ? last.offset : (offset > from ? offset : from).toString();
    return { events, cursor, hasMore };
  }

  function push(node: NodeState, raw: unknown[]): PushResult {
    if (raw.length > MAX_PUSH_BATCH) refuse("BATCH_TOO_LARGE", "too many events");
    let applied = 0;
    let duplicates = 0;
    let expectedSeq: number | null = null;
    let rejected: PushResult["rejected"] = null;
    for (const candidate of raw) {
      const parsed = ChangeEvent.safeParse(candidate);
      const seq = parsed.success
        ? parsed.data.seq
        : Number((candidate as { seq?: unknown } | null)?.seq ?? 0);
      if (seq >= 1 && seq <= node.appliedThrough) {
        // As the hub: a re-sent seq must be the very event applied (else a restored agent).
        const held = node.applied.find((e) => e.seq === seq);
        if (parsed.success && held && held.id !== parsed.data.id) {
          const message = `seq ${seq} was applied with another event id`;
          return {
            appliedThrough: node.appliedThrough,
            applied: 0,
            duplicates: 0,
            expectedSeq: null,
            rejected: { seq, code: "SEQ_CONFLICT", message },
          };
        }
        duplicates += 1;
        continue;
      }
      if (seq !== node.appliedThrough + 1) {
        expectedSeq = node.appliedThrough + 1;
        break;
      }
      if (!parsed.success) {
        rejected = { seq, code: "INVALID_EVENT", message: parsed.error.issues[0]?.message ?? "" };
        break;
      }
      const event = parsed.data;
      const key = `${event.entity}:${event.entityId}`;
      const owner = owners.get(key);
      if (event.nodeId !== node.nodeId || (owner !== undefined && owner !== node.nodeId)) {
        rejected = { seq, code: "OWNERSHIP_VIOLATION", message: `${key} is not yours` };
        break;
      }
      // Shared resources: bookings and decisions come from the resource's owner only, a
      // request goes to that owner only, a decision to the requester only.
      const resourceId = (event.payload as { resourceId?: unknown } | null)?.resourceId;
      const resourceOwner =
        typeof resourceId === "string" ? owners.get(`RESOURCE:${resourceId}`) : undefined;
      if (
        (event.entity === "BOOKING" || event.entity === "BOOKING_DECISION") &&
        resourceOwner !== undefined &&
        resourceOwner !== node.nodeId
      ) {
        rejected = { seq, code: "OWNERSHIP_VIOLATION", message: `${resourceId} is not yours` };
        break;
      }
      if (event.entity === "BOOKING" && typeof resourceId === "string" && !resourceOwner) {
        // The hub refers to records it has: a booking of a resource never sent is refused.
        rejected = { seq, code: "OWNERSHIP_VIOLATION", message: `unknown resource ${resourceId}` };
        break;
      }
      // LOCAL resources stay in their network: their RESOURCE and BOOKING events reach no other
      // node (addressed back to their owner), but for one last RESOURCE broadcast when a shared
      // resource becomes LOCAL (the other nodes drop their replica).
      let keptHome = false;
      if (event.entity === "RESOURCE" && event.op === "UPSERT") {
        const local = (event.payload as { sharingScope?: unknown }).sharingScope === "LOCAL";
        const wasShared = localResources.has(event.entityId) ? false : owners.has(key);
        keptHome = local && !wasShared;
        if (local) localResources.add(event.entityId);
        else localResources.delete(event.entityId);
      } else if (event.entity === "BOOKING" && typeof resourceId === "string") {
        keptHome = localResources.has(resourceId);
      }
      const targetNodeId = keptHome
        ? node.nodeId
        : event.entity === "BOOKING_REQUEST"
          ? (resourceOwner ?? null)
          : event.entity === "BOOKING_DECISION"
            ? (owners.get(`BOOKING_REQUEST:${event.entityId}`) ?? null)
            : null;
      const refusal = hub.faults.reject?.(event);
      if (refusal) {
        rejected = { seq, ...refusal };
        break;
      }
      owners.set(key, node.nodeId);
      node.applied.push(event);
      node.appliedThrough = seq;
      applied += 1;
      append({
        id: event.id,
        originNodeId: node.nodeId,
        entity: event.entity,
        entityId: event.entityId,
        op: event.op,
        payload: event.payload,
        occurredAt: event.occurredAt,
        schemaVersion: event.schemaVersion,
        targetNodeId,
      });
    }
    if (applied > 0) pubsub.publish("log");
    return { appliedThrough: node.appliedThrough, applied, duplicates, expectedSeq, rejected };
  }

  type FakeContext = { authorization?: string | null; clientSignal?: AbortSignal | undefined };
  const schema = createSchema<FakeContext>({
    typeDefs,
    resolvers: {
      Query: {
        pullChanges: async (_: unknown, args: { after: string; limit: number }, ctx) => {
          const node = await authenticate(ctx.authorization);
          // An aborted request (the agent stopped) is not served: it would land in a later test.
          if (ctx.clientSignal?.aborted) refuse("ABORTED", "the client went away");
          const index = pullCalls.length;
          pullCalls.push({
            nodeId: node.nodeId,
            after: args.after,
            limit: args.limit,
            at: performance.now(),
          });
          await hub.faults.beforePull?.({ after: args.after, index });
          return pull(node, args.after, args.limit);
        },
      },
      Mutation: {
        enrolNode: async (
          _: unknown,
          args: { code: string; publicKey: { kty: string; crv: string; x: string } },
        ) => {
          const code = codes.get(args.code.trim().toUpperCase());
          const now = Date.now();
          const reason = !code
            ? "unknown"
            : code.usedAt
              ? "already used"
              : code.expiresAt <= now
                ? "expired"
                : undefined;
          if (!code || reason) {
            refuse("ENROLMENT_CODE_INVALID", `enrolment code ${reason}`, { reason });
          }
          if (args.publicKey.kty !== "OKP" || args.publicKey.crv !== "Ed25519") {
            refuse("BAD_USER_INPUT", "publicKey: an Ed25519 JWK");
          }
          code.usedAt = now;
          const existing = [...nodes.values()].find((n) => n.fabriqueId === code.fabrique.id);
          const nodeId = existing?.nodeId ?? ulid();
          const publicKey = (await importJWK(
            { ...args.publicKey, alg: "EdDSA" },
            "EdDSA",
          )) as CryptoKey;
          nodes.set(nodeId, {
            nodeId,
            fabriqueId: code.fabrique.id,
            publicKey,
            appliedThrough: existing?.appliedThrough ?? 0,
            applied: existing?.applied ?? [],
            lastPending: undefined,
            lastOldestPendingAt: undefined,
            revoked: false,
          });
          return {
            nodeId,
            fabriqueId: code.fabrique.id,
            fabriqueName: code.fabrique.name,
          };
        },
        pushChanges: async (
          _: unknown,
          args: { events: unknown[]; pending: number; oldestPendingAt: string | null },
          ctx,
        ) => {
          const node = await authenticate(ctx.authorization);
          // An aborted request (the agent stopped) is not served: it would land in a later test.
          if (ctx.clientSignal?.aborted) refuse("ABORTED", "the client went away");
          pushCalls.push({
            nodeId: node.nodeId,
            seqs: args.events.map((e) => Number((e as { seq?: unknown }).seq)),
            pending: args.pending,
            oldestPendingAt: args.oldestPendingAt,
            at: performance.now(),
          });
          node.lastPending = args.pending;
          node.lastOldestPendingAt = args.oldestPendingAt;
          return push(node, args.events);
        },
      },
      Subscription: {
        changes: {
          subscribe: async function* (_: unknown, args: { after: string }, ctx) {
            const node = await authenticate(ctx.authorization);
            let cursor = args.after;
            const wakeups = pubsub.subscribe("log");
            try {
              for (;;) {
                const result = pull(node, cursor, MAX_PULL_LIMIT);
                cursor = result.cursor;
                if (result.events.length > 0) yield { changes: result };
                if (result.hasMore) continue;
                const next = await wakeups.next();
                if (next.done) return;
              }
            } finally {
              await wakeups.return?.();
            }
          },
        },
      },
    },
  });

  const yoga = createYoga<FakeContext>({
    schema,
    logging: false,
    maskedErrors: false,
    context: ({ request }) => ({ authorization: request.headers.get("authorization") }),
  });

  let isDown = false;
  const hub: FakeHub = {
    get down() {
      return isDown;
    },
    set down(value: boolean) {
      isDown = value;
      if (value) hub.dropSubscriptions();
    },
    refusedWhileDown: 0,
    log,
    pushCalls,
    pullCalls,
    rateLimited,
    subscribes,
    faults: { loseNextPushAnswers: 0 },

    async fetch(input, init) {
      if (isDown) {
        hub.refusedWhileDown += 1;
        throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
      }
      const body = typeof init?.body === "string" ? init.body : "";
      const operation = /\b(pushChanges|pullChanges)\(/.exec(body)?.[1];
      const limited = operation ? rateLimitFor(operation) : undefined;
      if (limited) {
        const { message, extensions, via, retryAfterSeconds } = limited;
        return Response.json(
          { errors: [{ message, extensions }] },
          {
            status: 429,
            headers: via === "extensions" ? {} : { "retry-after": String(retryAfterSeconds) },
          },
        );
      }
      // The client's signal goes to the resolvers only (yoga leaves a rejection of its own
      // unhandled when a request it serves in process is aborted).
      const { signal, ...rest } = init ?? {};
      const response = await yoga.fetch(input as string, rest, {
        clientSignal: signal ?? undefined,
      });
      if (hub.faults.loseNextPushAnswers > 0 && body.includes("pushChanges")) {
        hub.faults.loseNextPushAnswers -= 1;
        await response.text();
        throw new TypeError("fetch failed", { cause: new Error("socket hang up") });
      }
      return response;
    },

    async listen() {
      server = createServer(yoga);
      wsServer = new WebSocketServer({
        server,
        path: "/graphql",
        verifyClient: (_info, done) => done(!isDown, 503),
      });
      useServer(
        {
          schema,
          context: (ctx) => ({
            authorization: `Bearer ${String(ctx.connectionParams?.authToken ?? "")}`,
          }),
          onSubscribe: () => {
            subscribes.push({ at: performance.now() });
            const limited = rateLimitFor("changes");
            if (limited) {
              return [new GraphQLError(limited.message, { extensions: limited.extensions })];
            }
          },
          onConnect: async (ctx) => {
            try {
              await authenticate(`Bearer ${String(ctx.connectionParams?.authToken ?? "")}`);
              return true;
            } catch {
              return false;
            }
          },
        },
        wsServer,
      );
      const listening = server;
      await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    },

    async close() {
      for (const client of wsServer?.clients ?? []) client.terminate();
      await new Promise<void>((resolve) =>
        wsServer ? wsServer.close(() => resolve()) : resolve(),
      );
      const listening = server;
      if (listening?.listening) {
        listening.closeAllConnections();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
      }
    },

    dropSubscriptions() {
      for (const client of wsServer?.clients ?? []) client.terminate();
    },

    subscribers: () => wsServer?.clients.size ?? 0,

    createCode(fabrique, codeOptions = {}) {
      const code = ulid().slice(-16);
      codes.set(code, {
        fabrique,
        expiresAt: Date.now() + (codeOptions.ttlMs ?? 3600_000),
        usedAt: undefined,
      });
      return code;
    },

    node: (nodeId) => nodes.get(nodeId),

    forgetAfter(nodeId, seq) {
      const node = nodes.get(nodeId);
      if (!node) return;
      node.appliedThrough = Math.min(node.appliedThrough, seq);
      node.applied = node.applied.filter((e) => e.seq <= seq);
    },

    appendLog(event) {
      const entry = append({
        id: event.id ?? ulid(),
        occurredAt: event.occurredAt ?? new Date().toISOString(),
        schemaVersion: event.schemaVersion ?? 1,
        originNodeId: event.originNodeId,
        entity: event.entity,
        entityId: event.entityId,
        op: event.op,
        payload: event.payload,
        targetNodeId: event.targetNodeId,
      });
      if (event.targetNodeId !== null && event.originNodeId === null) {
        owners.set(`${event.entity}:${event.entityId}`, event.targetNodeId);
      }
      pubsub.publish("log");
      return entry;
    },

    reset() {
      for (const node of nodes.values()) {
        node.appliedThrough = 0;
        node.applied = [];
        node.revoked = false;
      }
      owners.clear();
      localResources.clear();
      log.length = 0;
      offset = 0n;
      pushCalls.length = 0;
      pullCalls.length = 0;
      rateLimited.length = 0;
      subscribes.length = 0;
      hub.down = false;
      hub.refusedWhileDown = 0;
      hub.faults = { loseNextPushAnswers: 0 };
      pubsub.publish("log");
    },
  };
  return hub;
}
