import { type Geography, MaillageError, type TrainingTopic } from "@maillage/schema";
import DataLoader from "dataloader";
import type { Viewer } from "../../context.ts";
import { badInput, decodeKeyCursor, encodeKeyCursor } from "../../graphql/forward-pages.ts";
import type { Proximity } from "../resources/resource.repository.ts";
import { PROXIMITY_TIERS, type ProximityTier } from "../resources/resource.service.ts";
import type {
  TrainingAudience,
  TrainingCriteria,
  TrainingCursor,
  TrainingRepository,
  TrainingRow,
} from "./training.repository.ts";

/**
 * Discovery of training sessions at the hub (issue 10).
 *
 * Visibility mirrors shared resources': a fabrique's team sees every NETWORK and NATIONAL
 * training, and the LOCAL ones of its own network; the national body sees the national offer
 * (NATIONAL scope); nobody else any. Discovery lists SCHEDULED sessions of open organisers,
 * starting from `from` (default: now), in start order (by proximity first with `near`), with
 * the organiser's counts: seats left and waitlist length. One statement per page, one more for
 * totalCount when asked.
 */

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export type TrainingFilter = {
  topic?: TrainingTopic | null | undefined;
  tag?: string | null | undefined;
  region?: string | null | undefined;
  department?: string | null | undefined;
  near?: { communeCode: string; within?: ProximityTier | null | undefined } | null | undefined;
  from?: Date | null | undefined;
  to?: Date | null | undefined;
  online?: boolean | null | undefined;
  hasSeats?: boolean | null | undefined;
  credential?: string | null | undefined;
};

export type TrainingPage = {
  rows: TrainingRow[];
  hasNextPage: boolean;
  totalCount: () => Promise<number>;
};

export function audienceOf(viewer: Viewer | null): TrainingAudience | null {
  if (viewer?.role === "NATIONAL") return { kind: "national" };
  if (viewer?.role === "FABRIQUE_ADMIN" && viewer.fabriqueId) {
    return { kind: "network", fabriqueId: viewer.fabriqueId };
  }
  return null;
}

/** Whether a caller may see a training: the rule of shared resources, on its scope. */
export function canSeeTraining(
  viewer: Viewer | null,
  training: { scope: string; networkId: string },
): boolean {
  if (viewer?.role === "NATIONAL") return training.scope === "NATIONAL";
  if (viewer?.role === "FABRIQUE_ADMIN" && viewer.fabriqueId) {
    return training.scope !== "LOCAL" || training.networkId === viewer.fabriqueId;
  }
  return false;
}

/** Seats left for discovery: none unless SCHEDULED, never negative. */
export function seatsLeftOf(row: Pick<TrainingRow, "status" | "capacity" | "taken">): number {
  return row.status === "SCHEDULED" ? Math.max(0, row.capacity - row.taken) : 0;
}

export function encodeCursor(row: TrainingRow): string {
  return encodeKeyCursor([row.tier ?? 0, new Date(row.startsAt).toISOString(), row.id]);
}

function decodeCursor(cursor: string): TrainingCursor {
  return decodeKeyCursor(cursor, ([tier, startsAt, id]) =>
    Number.isInteger(tier) &&
    typeof startsAt === "string" &&
    !Number.isNaN(Date.parse(startsAt)) &&
    typeof id === "string"
      ? { tier: tier as number, startsAt, id }
      : undefined,
  );
}

/** One request's discovery state (its loader), shared by its resolvers. */
export type TrainingRequest = ReturnType<typeof createTrainingRequest>;

export function createTrainingRequest(deps: {
  repository: TrainingRepository;
  geography: Geography;
  viewer: Viewer | null;
}) {
  const { repository, geography, viewer } = deps;

  const byId = new DataLoader<string, TrainingRow | null>(async (ids) => {
    const rows = new Map((await repository.byIds(ids)).map((r) => [r.id, r]));
    return ids.map((id) => rows.get(id) ?? null);
  });

  function proximity(near: NonNullable<TrainingFilter["near"]>): Proximity {
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

  function criteriaOf(filter: TrainingFilter, audience: TrainingAudience): TrainingCriteria {
    // A string filter given empty (or blank) is refused, never read as "no filter".
    for (const key of ["tag", "region", "department", "credential"] as const) {
      const value = filter[key];
      if (value != null && value.trim() === "") {
        throw badInput(`filter.${key}`, "must not be empty (leave it out to match any)");
      }
    }
    if (filter.region && !geography.region(filter.region)) {
      throw badInput("filter.region", `no French region has INSEE code ${filter.region}`);
    }
    if (filter.department && !geography.department(filter.department)) {
      throw badInput("filter.department", `no French department has code ${filter.department}`);
    }
    const from = filter.from ?? new Date();
    if (filter.to && filter.to.getTime() <= from.getTime()) {
      throw badInput("filter.to", "must be after from (default: now)");
    }
    return {
      audience,
      topic: filter.topic ?? undefined,
      tag: filter.tag?.trim().toLowerCase() || undefined,
      region: filter.region ?? undefined,
      department: filter.department ?? undefined,
      near: filter.near ? proximity(filter.near) : undefined,
      from,
      to: filter.to ?? undefined,
      online: filter.online ?? undefined,
      hasSeats: filter.hasSeats ?? undefined,
      credential: filter.credential?.trim() || undefined,
    };
  }

  return {
    /** A visible training by id; NOT_FOUND when it does not exist or is hidden. */
    async training(id: string): Promise<TrainingRow> {
      const row = await byId.load(id);
      if (!row || !canSeeTraining(viewer, row)) {
        throw new MaillageError("NOT_FOUND", `no training ${id}`, { id });
      }
      return row;
    },

    /** For node(id) and subscriptions: null rather than an error for a hidden one. */
    async visible(ids: readonly string[]): Promise<(TrainingRow | null)[]> {
      const rows = await byId.loadMany(ids);
      return rows.map((r) => (r instanceof Error || !r || !canSeeTraining(viewer, r) ? null : r));
    },

    /** As visible(), read again (a subscription's context lives on: no stale row). */
    async current(id: string): Promise<TrainingRow | null> {
      byId.clear(id);
      return (await this.visible([id]))[0] ?? null;
    },

    async search(
      filter: TrainingFilter,
      page: { first?: number | null; after?: string | null },
    ): Promise<TrainingPage> {
      const audience = audienceOf(viewer);
      if (!audience) throw new MaillageError("FORBIDDEN", "trainings are listed to teams only");
      const first = page.first ?? DEFAULT_PAGE;
      if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) {
        throw badInput("first", `from 0 to ${MAX_PAGE}`);
      }
      const criteria = criteriaOf(filter, audience);
      const cursor = page.after ? decodeCursor(page.after) : null;
      const rows = await repository.search(criteria, cursor, first + 1);
      return {
        rows: rows.slice(0, first),
        hasNextPage: rows.length > first,
        totalCount: () => repository.count(criteria),
      };
    },
  };
}
