import { type Cache, useResponseCache } from "@envelop/response-cache";
import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  Kind,
  print,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { LRUCache } from "lru-cache";
import type { Viewer } from "../../context.ts";
import { audienceOf } from "../../realtime/shared-execution.ts";

/**
 * The registry's answers, cached per audience: `spaces`, `space`, `fabriques` and `regions`
 * read the same rows for every dashboard of the national body (or of one fabrique's team), and
 * those rows change only when a space does. The cache is @envelop/response-cache's, keyed as
 * below; it runs at execution, so authentication, the GraphQL limits and the rate limits have
 * all passed before an answer is served from it.
 *
 * - Cached: a query whose every root field is one of those four, and whose every selected
 *   field belongs to a type that only a space change can change (CACHED_TYPES). `Space.node`
 *   (liveness moves with every pull) and `Space.memberCount` (members' pushes) are not: an
 *   operation selecting them runs each time. Answers with errors are never kept.
 * - The key: the document, the operation name, the variables, the viewer's audience (its role
 *   and fabrique, as for shared subscriptions: what `canSeeSpace` reads) and the generation.
 * - The generation moves on with every space change: synchronously on the replica that wrote
 *   it (its own next read sees the write), and on every other replica when `space:changed`
 *   reaches it through the pub/sub, or when its Redis subscription reconnects (it may have
 *   missed some). An execution keeps the key it started with, so an answer read before a
 *   change and finished after it is not kept.
 * - Bounded: entries live at most `ttlMs` (60 s: the staleness of a write the pub/sub did not
 *   carry, such as `maillage seed` into a running hub's database), and all of them take at
 *   most `maxBytes` (their JSON size; one at most a sixteenth), least recently used out first.
 */

export const REGISTRY_CACHE_TTL_MS = 60_000;
export const REGISTRY_CACHE_MAX_BYTES = 32 * 1024 * 1024;

/** Root fields whose answers may be cached. */
const CACHED_ROOTS = new Set(["spaces", "space", "fabriques", "regions"]);

/** Every type such an answer may reach: what is in them changes only with a space, or never. */
const CACHED_TYPES = new Set([
  "SpaceConnection",
  "SpaceEdge",
  "SatelliteConnection",
  "SatelliteEdge",
  "PageInfo",
  "Space",
  "Commune",
  "Department",
  "Region",
  "OpeningSlot",
  "RegionCount",
  "DepartmentCount",
]);

/** Fields of those types that read what changes without a space change. */
const UNCACHED_FIELDS = new Set(["Space.node", "Space.memberCount"]);

export type RegistryCache = {
  /** The envelop plugin: after the rate limits, last among those that wrap execution. */
  plugin: Plugin;
  /** A space changed (here, or on another replica): no answer cached before is served. */
  invalidate(): void;
  /** Counts since the hub started (for /metrics and the tests). */
  stats(): { hits: number; misses: number; entries: number; bytes: number };
};

export function createRegistryCache(
  options: { ttlMs?: number; maxBytes?: number } = {},
): RegistryCache {
  const ttlMs = options.ttlMs ?? REGISTRY_CACHE_TTL_MS;
  let generation = 0;
  let hits = 0;
  let misses = 0;
  const maxBytes = options.maxBytes ?? REGISTRY_CACHE_MAX_BYTES;
  const answers = new LRUCache<string, ExecutionResult>({
    maxSize: maxBytes,
    // One answer takes at most a sixteenth of the budget (a larger one is not kept).
    maxEntrySize: Math.max(1, Math.floor(maxBytes / 16)),
    // A cached answer is shared by every request that reads it: never mutated after `set`.
    sizeCalculation: (answer, key) => key.length + JSON.stringify(answer).length,
    ttl: ttlMs,
  });
  const cache: Cache = {
    get(key) {
      const answer = answers.get(key);
      if (answer) hits++;
      else misses++;
      return answer;
    },
    set(key, answer, _entities, ttl) {
      // Read before a change (its key has an older generation): nobody would ask for it.
      if (!key.startsWith(`[${generation},`)) return;
      answers.set(key, answer, { ttl: Math.min(ttl, ttlMs) });
    },
    // Entities are not tracked: any space change ends every answer (invalidate below).
    invalidate() {},
  };
  const documentText = new WeakMap<DocumentNode, string>();
  const inner = useResponseCache({
    cache,
    ttl: ttlMs,
    // The hub's context always has `viewer` (null: anonymous) by execution.
    session: (context) => audienceOf((context as { viewer?: Viewer | null }).viewer ?? null),
    invalidateViaMutation: false,
    idFields: [],
    getDocumentString: ({ document }) => {
      let text = documentText.get(document);
      if (text === undefined) {
        text = print(document);
        documentText.set(document, text);
      }
      return text;
    },
    buildResponseCacheKey: ({ documentString, operationName, variableValues, sessionId }) =>
      JSON.stringify([
        generation,
        sessionId,
        operationName ?? null,
        variableValues ?? {},
        documentString,
      ]),
    // Answers with errors (a refused space, a bad cursor) are never kept.
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
      const { document } = payload.args;
      let ok = cacheable.get(document);
      if (ok === undefined) {
        ok = schema !== undefined && isCacheable(schema, document);
        cacheable.set(document, ok);
      }
      if (ok) return inner.onExecute?.(payload);
    },
  };
  return {
    plugin,
    invalidate() {
      generation++;
      answers.clear();
    },
    stats: () => ({ hits, misses, entries: answers.size, bytes: answers.calculatedSize }),
  };
}

/**
 * Does every operation of the document read only what a space change invalidates? Checked over
 * the whole document (fragments included), whatever operation is run.
 */
export function isCacheable(schema: GraphQLSchema, document: DocumentNode): boolean {
  const queryType = schema.getQueryType();
  if (!queryType) return false;
  const typeInfo = new TypeInfo(schema);
  let ok = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition(node) {
        if (node.operation !== "query") ok = false;
      },
      Field(node) {
        const name = node.name.value;
        if (name === "__typename") return;
        const parent = typeInfo.getParentType()?.name;
        const fits =
          parent === queryType.name
            ? CACHED_ROOTS.has(name)
            : parent !== undefined &&
              CACHED_TYPES.has(parent) &&
              !UNCACHED_FIELDS.has(`${parent}.${name}`);
        if (!fits) ok = false;
      },
      // A fragment on an interface or union could reach types not listed above.
      InlineFragment(node) {
        const on = node.typeCondition?.name.value;
        if (on !== undefined && on !== queryType.name && !CACHED_TYPES.has(on)) ok = false;
      },
      FragmentDefinition(node) {
        const on = node.typeCondition.name.value;
        if (on !== queryType.name && !CACHED_TYPES.has(on)) ok = false;
      },
    }),
  );
  return ok && document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION);
}
