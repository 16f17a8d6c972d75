import {
  type Geography,
  type Interval,
  MaillageError,
  type ResourceCategory,
  type SharingScope,
} from "@maillage/schema";
import DataLoader from "dataloader";
import type { Viewer } from "../../context.ts";
import { badInput, decodeKeyCursor, encodeKeyCursor } from "../../graphql/forward-pages.ts";
import {
  checkRange,
  createOpeningCache,
  hasSlotOf,
  type Range,
  rangeKey,
  type Schedule,
  subtractBusy,
} from "./availability.ts";
import type {
  Proximity,
  ResourceAudience,
  ResourceCriteria,
  ResourceCursor,
  ResourceRepository,
  ResourceRow,
} from "./resource.repository.ts";

/**
 * Discovery of shared resources at the hub, and their availability.
 *
 * Visibility follows the sharing scopes: a fabrique's team sees every NETWORK and NATIONAL
 * resource, and the LOCAL ones of its own network; the national body sees the national offer
 * (NATIONAL scope); nobody else any.
 *
 * A search filters in SQL (scope, category, place, credential, status) and walks the
 * candidates in (proximity, name, id) order chunk by chunk. With an availability range, each
 * chunk's confirmed bookings come in one statement, free slots are computed here (opening
 * intervals memoised per schedule), and the walk stops as soon as the page is full.
 */

export const PROXIMITY_TIERS = ["COMMUNE", "EPCI", "DEPARTMENT", "REGION"] as const;
export type ProximityTier = (typeof PROXIMITY_TIERS)[number];

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;
/** Candidates read per statement in an availability search: the first, then doubling. */
const FIRST_CHUNK = 100;
const MAX_CHUNK = 2000;

export type ResourceFilter = {
  category?: ResourceCategory | null | undefined;
  sharingScope?: SharingScope | null | undefined;
  region?: string | null | undefined;
  department?: string | null | undefined;
  near?: { communeCode: string; within?: ProximityTier | null | undefined } | null | undefined;
  availableFrom?: Date | null | undefined;
  availableTo?: Date | null | undefined;
  minMinutes?: number | null | undefined;
  credential?: string | null | undefined;
  bookableWith?: string[] | null | undefined;
};

export type ResourcePage = {
  rows: ResourceRow[];
  hasNextPage: boolean;
  /** Null for an availability search (it would mean computing every candidate's slots). */
  totalCount: (() => Promise<number>) | null;
};

export function audienceOf(viewer: Viewer | null): ResourceAudience | null {
  if (viewer?.role === "NATIONAL") return { kind: "national" };
  if (viewer?.role === "FABRIQUE_ADMIN" && viewer.fabriqueId) {
    return { kind: "network", fabriqueId: viewer.fabriqueId };
  }
  return null;
}

export function canSeeResource(
  viewer: Viewer | null,
  resource: { sharingScope: string; networkId: string },
): boolean {
  if (viewer?.role === "NATIONAL") return resource.sharingScope === "NATIONAL";
  if (viewer?.role === "FABRIQUE_ADMIN" && viewer.fabriqueId) {
    return resource.sharingScope !== "LOCAL" || resource.networkId === viewer.fabriqueId;
  }
  return false;
}

export function encodeCursor(row: ResourceRow): string {
  return encodeKeyCursor([row.tier ?? 0, row.name, row.id]);
}

function decodeCursor(cursor: string): ResourceCursor {
  return decodeKeyCursor(cursor, ([tier, name, id]) =>
    Number.isInteger(tier) && typeof name === "string" && typeof id === "string"
      ? { tier: tier as number, name, id }
      : undefined,
  );
}

/** Everything one request computes about availability, shared by its resolvers. */
export type ResourceRequest = ReturnType<typeof createResourceRequest>;

export function createResourceRequest(deps: {
  repository: ResourceRepository;
  geography: Geography;
  viewer: Viewer | null;
}) {
  const { repository, geography, viewer } = deps;
  const openings = new Map<string, (schedule: Schedule) => Interval[]>();
  const slotLoaders = new Map<string, DataLoader<ResourceRow, Interval[], string>>();

  function openingsFor(range: Range) {
    const key = rangeKey(range);
    let cache = openings.get(key);
    if (!cache) {
      cache = createOpeningCache(range);
      openings.set(key, cache);
    }
    return cache;
  }

  /** Free slots of a resource already loaded with its bookings; none unless AVAILABLE. */
  function slotsOf(
    row: ResourceRow,
    busy: Map<string, { from: number; to: number }[]>,
    range: Range,
  ) {
    if (row.status !== "AVAILABLE") return [];
    return subtractBusy(openingsFor(range)(row), busy.get(row.id) ?? [], row.minMinutes);
  }

  /** Batches the `freeSlots` of every resource of a response that asks the same range. */
  function slotLoader(range: Range) {
    const key = rangeKey(range);
    let loader = slotLoaders.get(key);
    if (!loader) {
      loader = new DataLoader<ResourceRow, Interval[], string>(
        async (rows) => {
          const available = rows.filter((r) => r.status === "AVAILABLE").map((r) => r.id);
          const busy = await repository.busy([...new Set(available)], range);
          return rows.map((row) => slotsOf(row, busy, range));
        },
        { cacheKeyFn: (row) => row.id, maxBatchSize: MAX_CHUNK },
      );
      slotLoaders.set(key, loader);
    }
    return loader;
  }

  const byId = new DataLoader<string, ResourceRow | null>(async (ids) => {
    const rows = new Map((await repository.byIds(ids)).map((r) => [r.id, r]));
    return ids.map((id) => rows.get(id) ?? null);
  });

  function proximity(near: NonNullable<ResourceFilter["near"]>): Proximity {
    const commune = geography.requireCommune(near.communeCode);
    const epci = geography.epciOf(commune.code);
    return {
      communeCode: commune.code,
      epciCommunes: epci ? [...epci.communeCodes] : [commune.code],
      departmentCode: commune.departmentCode,
      regionCode: commune.regionCode,
      maxTier: PROXIMITY_TIERS.indexOf(near.within ?? "DEPARTMENT") as Proximity["maxTier"],
    };
  }

  function criteriaOf(filter: ResourceFilter, audience: ResourceAudience, available: boolean) {
    if (filter.region && !geography.region(filter.region)) {
      throw badInput("filter.region", `no French region has INSEE code ${filter.region}`);
    }
    if (filter.department && !geography.department(filter.department)) {
      throw badInput("filter.department", `no French department has code ${filter.department}`);
    }
    if (filter.minMinutes != null && filter.minMinutes < 1) {
      throw badInput("filter.minMinutes", "at least 1");
    }
    const criteria: ResourceCriteria = {
      audience,
      category: filter.category ?? undefined,
      sharingScope: filter.sharingScope ?? undefined,
      region: filter.region ?? undefined,
      department: filter.department ?? undefined,
      credential: filter.credential?.trim() || undefined,
      bookableWith: filter.bookableWith ?? undefined,
      minMinutes: filter.minMinutes ?? undefined,
      near: filter.near ? proximity(filter.near) : undefined,
      availableOnly: available,
    };
    return criteria;
  }

  return {
    /** A visible resource by id; NOT_FOUND when it does not exist or is hidden. */
    async resource(id: string): Promise<ResourceRow> {
      const row = await byId.load(id);
      if (!row || !canSeeResource(viewer, row)) {
        throw new MaillageError("NOT_FOUND", `no resource ${id}`, { id });
      }
      return row;
    },

    /** For node(id): null rather than an error for a hidden one. */
    async visible(ids: readonly string[]): Promise<(ResourceRow | null)[]> {
      const rows = await byId.loadMany(ids);
      return rows.map((r) => (r instanceof Error || !r || !canSeeResource(viewer, r) ? null : r));
    },

    freeSlots(row: ResourceRow, range: Range): Promise<Interval[]> {
      return slotLoader(range).load(row);
    },

    async availability(id: string, from: Date, to: Date): Promise<Interval[]> {
      const range = checkRange(from, to, { from: "from", to: "to" });
      return slotLoader(range).load(await this.resource(id));
    },

    async search(
      filter: ResourceFilter,
      page: { first?: number | null; after?: string | null },
    ): Promise<ResourcePage> {
      const audience = audienceOf(viewer);
      if (!audience) throw new MaillageError("FORBIDDEN", "resources are listed to teams only");
      const first = page.first ?? DEFAULT_PAGE;
      if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) {
        throw badInput("first", `from 0 to ${MAX_PAGE}`);
      }
      const { availableFrom, availableTo } = filter;
      if ((availableFrom == null) !== (availableTo == null)) {
        throw badInput(
          availableFrom == null ? "filter.availableFrom" : "filter.availableTo",
          "availableFrom and availableTo go together",
        );
      }
      const range =
        availableFrom && availableTo
          ? checkRange(availableFrom, availableTo, {
              from: "filter.availableFrom",
              to: "filter.availableTo",
            })
          : null;
      const criteria = criteriaOf(filter, audience, range !== null);
      let cursor = page.after ? decodeCursor(page.after) : null;

      if (!range) {
        const rows = await repository.search(criteria, cursor, first + 1);
        return {
          rows: rows.slice(0, first),
          hasNextPage: rows.length > first,
          totalCount: () => repository.count(criteria),
        };
      }

      const wanted = Math.max(filter.minMinutes ?? 0, 0);
      const matches: ResourceRow[] = [];
      const loader = slotLoader(range);
      let chunk = Math.min(Math.max(FIRST_CHUNK, (first + 1) * 2), MAX_CHUNK);
      for (;;) {
        const rows = await repository.search(criteria, cursor, chunk);
        const busy = await repository.busy(
          rows.map((r) => r.id),
          range,
        );
        for (const row of rows) {
          const slots = slotsOf(row, busy, range);
          loader.prime(row, slots);
          if (hasSlotOf(slots, Math.max(row.minMinutes, wanted))) matches.push(row);
          if (matches.length > first) break;
        }
        const last = rows.at(-1);
        if (matches.length > first || rows.length < chunk || !last) break;
        cursor = { tier: last.tier ?? 0, name: last.name, id: last.id };
        chunk = Math.min(chunk * 2, MAX_CHUNK);
      }
      return {
        rows: matches.slice(0, first),
        hasNextPage: matches.length > first,
        totalCount: null,
      };
    },
  };
}
