import { type Cache, useResponseCache } from "@envelop/response-cache";
import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { LRUCache } from "lru-cache";
import type { Viewer } from "../../context.ts";
import { audienceOf, documentTextOf, operationKeyOf } from "../../graphql/audience.ts";

/**
 * The registry's answers, cached per audience: `spaces`, `space`, `fabriques` and `regions`
 * read the same rows for every dashboard of the national body (or of one fabrique's team), and
 * those rows change only when a space does. The cache is @envelop/response-cache's; it runs at
 * execution, so authentication, the GraphQL limits and the rate limits (all in earlier
 * phases: parse, validate, context) have passed before an answer is served from it.
 *
 * - Cached: a query with at least one of those four root fields and nothing else at its root,
 *   whose every selected field is one of CACHED_FIELDS: fields that change only with a space,
 *   or never. `Space.node` (liveness moves with every pull) and `Space.memberCount` (members'
 *   pushes) are not, nor any field added later until it is listed: an operation selecting
 *   them executes every time. Answers with errors are never kept.
 * - The key: the document, the operation name, the variables and the viewer's audience (its
 *   role and fabrique: what `canSeeSpace` reads), as for shared subscription executions
 *   (graphql/audience.ts).
 * - Every space change ends every answer (`invalidate`): synchronously on the replica that
 *   wrote it (its own next read sees the write), and on every other replica when
 *   `space:changed` reaches it through the pub/sub. While this replica may miss such events
 *   (its Redis subscription down, `following(false)`), nothing is served or kept.
 * - An execution remembers the generation it started in: an answer read before a change and
 *   finished after it is not kept.
 * - Bounded: an answer lives at most `ttlMs` (60 s) from the moment its read began: the
 *   staleness of a write the pub/sub does not carry (`maillage seed` into a running hub's
 *   database, manual SQL). All answers take at most `maxBytes` of JSON (one at most a
 *   sixteenth), least recently used out first.
 */

const REGISTRY_CACHE_TTL_MS = 60_000;
const REGISTRY_CACHE_MAX_BYTES = 32 * 1024 * 1024;

/** Root fields whose answers may be cached. */
const CACHED_ROOTS = new Set(["spaces", "space", "fabriques", "regions"]);

/**
 * Every field such an answer may select, by type: each changes only when a space does
 * (space:changed), or never (the geography). A field not listed is not cached.
 */
const CACHED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  SpaceConnection: ["edges", "pageInfo", "totalCount"],
  SpaceEdge: ["cursor", "node"],
  SatelliteConnection: ["edges", "pageInfo", "totalCount"],
  SatelliteEdge: ["cursor", "node"],
  PageInfo: ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
  Space: [
    "id",
    "kind",
    "name",
    "status",
    "commune",
    "rural",
    "services",
    "openingHours",
    "fabrique",
    "satellites",
    "closedAt",
    "createdAt",
    "updatedAt",
  ],
  Commune: ["code", "name", "population", "rural", "department", "region"],
  Department: ["code", "name", "region"],
  Region: ["code", "name"],
  OpeningSlot: ["day", "opens", "closes"],
  RegionCount: ["code", "name", "fabriques", "satellites", "ruralSpaces", "departments"],
  DepartmentCount: ["code", "name", "fabriques", "satellites", "ruralSpaces"],
};
const CACHED_COORDINATES = new Set(
  Object.entries(CACHED_FIELDS).flatMap(([type, fields]) => fields.map((f) => `${type}.${f}`)),
);

export type RegistryCache = {
  /** The envelop plugin (its place among the execution hooks: after metrics'). */
  plugin: Plugin;
  /** A space changed (here, or on another replica): no answer cached before is served. */
  invalidate(): void;
  /**
   * Whether this replica hears every space change now (its Redis subscription is up). While
   * it does not, nothing is served from the cache or kept in it.
   */
  following(ok: boolean): void;
  /** Counts since the hub started (for /metrics and the tests). */
  stats(): { hits: number; misses: number; entries: number; bytes: number; generation: number };
};

export function createRegistryCache(
  options: {
    ttlMs?: number;
    maxBytes?: number;
    /** Starts unheard (a Redis subscription not up yet): `following(true)` opens it. */
    following?: boolean;
    /** The clock, in milliseconds (tests). */
    now?: () => number;
  } = {},
): RegistryCache {
  const ttlMs = options.ttlMs ?? REGISTRY_CACHE_TTL_MS;
  const maxBytes = options.maxBytes ?? REGISTRY_CACHE_MAX_BYTES;
  const now = options.now ?? (() => performance.now());
  let generation = 0;
  let live = options.following ?? true;
  let hits = 0;
  let misses = 0;
  const answers = new LRUCache<string, ExecutionResult>({
    maxSize: maxBytes,
    maxEntrySize: Math.max(1, Math.floor(maxBytes / 16)),
    // A cached answer is shared by every request that reads it: never mutated after `set`.
    sizeCalculation: (answer, key) => key.length + JSON.stringify(answer).length,
    ttl: ttlMs,
    perf: { now },
    ttlResolution: 0, // read the clock on every lookup (one call), not a copy a tick old
  });

  /** One per execution (the plugin asks once per context): its generation and start. */
  function cacheOfExecution(): Cache {
    const startedIn = generation;
    const startedAt = now();
    return {
      get(key) {
        const answer = answers.get(key);
        if (answer) hits++;
        else misses++;
        return answer;
      },
      set(key, answer) {
        if (generation !== startedIn) return; // a space changed during the read
        const left = Math.floor(ttlMs - (now() - startedAt));
        if (left > 0) answers.set(key, answer, { ttl: left });
      },
      // Entities are not tracked: a space change ends every answer (`invalidate`).
      invalidate() {},
    };
  }

  const inner = useResponseCache({
    cache: cacheOfExecution,
    ttl: ttlMs,
    // The hub's context always has `viewer` (null: anonymous) by execution.
    session: (context) => audienceOf((context as { viewer?: Viewer | null }).viewer ?? null),
    buildResponseCacheKey: ({ documentString, operationName, variableValues, sessionId }) =>
      operationKeyOf(documentString, operationName, variableValues, sessionId ?? "anonymous"),
    getDocumentString: ({ document }) => documentTextOf(document),
    invalidateViaMutation: false,
    idFields: [],
    // Never in answers, whatever NODE_ENV or DEBUG say (the library's default follows them).
    includeExtensionMetadata: false,
    // Answers with errors (a refused read, a bad cursor) are never kept.
    shouldCacheResult: ({ result }) => !result.errors?.length,
  });
  const cacheable = new WeakMap<DocumentNode, boolean>();
  let schema: GraphQLSchema | undefined;
  const plugin: Plugin = {
    onSchemaChange(payload) {
      schema = payload.schema;
      inner.onSchemaChange?.(payload);
    },
    onExecute(payload) {
      if (!live) return;
      const { document } = payload.args;
      let ok = cacheable.get(document);
      if (ok === undefined) {
        ok = schema !== undefined && isCacheable(schema, document);
        cacheable.set(document, ok);
      }
      if (ok) return inner.onExecute?.(payload);
    },
  };
  const invalidate = () => {
    generation++;
    answers.clear();
  };
  return {
    plugin,
    invalidate,
    following(ok) {
      invalidate();
      live = ok;
    },
    stats: () => ({
      hits,
      misses,
      entries: answers.size,
      bytes: answers.calculatedSize,
      generation,
    }),
  };
}

/**
 * Does every operation of the document read only registry roots and CACHED_FIELDS? Checked
 * over the whole document (fragments included), whatever operation is run.
 */
export function isCacheable(schema: GraphQLSchema, document: DocumentNode): boolean {
  const queryType = schema.getQueryType();
  if (!queryType) return false;
  const typeInfo = new TypeInfo(schema);
  let ok = true;
  let roots = 0;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition(node) {
        if (node.operation !== "query") ok = false;
      },
      Field(node) {
        const name = node.name.value;
        const parent = typeInfo.getParentType()?.name;
        if (name === "__typename") return;
        if (parent === queryType.name) {
          if (CACHED_ROOTS.has(name)) roots++;
          else ok = false; // `__schema`, any other root
        } else if (!CACHED_COORDINATES.has(`${parent}.${name}`)) {
          ok = false;
        }
      },
      // A fragment on an interface or union could reach types not listed above.
      InlineFragment(node) {
        const on = node.typeCondition?.name.value;
        if (on !== undefined && on !== queryType.name && !(on in CACHED_FIELDS)) ok = false;
      },
      FragmentDefinition(node) {
        const on = node.typeCondition.name.value;
        if (on !== queryType.name && !(on in CACHED_FIELDS)) ok = false;
      },
    }),
  );
  return ok && roots > 0 && document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION);
}

/** The cached coordinates, for the test that holds them to the schema. */
export const CACHED_FIELD_COORDINATES: ReadonlySet<string> = CACHED_COORDINATES;
