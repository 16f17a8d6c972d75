import {
  CREDENTIAL_TYPES,
  CredentialSlug,
  CredentialType,
  type Geography,
  MaillageError,
  parisInstant,
  parseInput,
  SHARING_SCOPES,
  TRAINING_TOPICS,
  ULID_PATTERN,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { ChangeLog, LocalWriter } from "../../outbox/local-writer.ts";
import { Publications, publishAll, type ResourcePubSub } from "../resources/live.ts";
import { assertNetworkSpace } from "../resources/rules.ts";
import { spaceRepository } from "../spaces/space.repository.ts";
import {
  cancelPlaces,
  finish,
  promote,
  sendTraining,
  type TrainingWrite,
  trainingWrite,
} from "./organiser.ts";
import { weeklyOccurrences } from "./series.ts";
import {
  type TrainingFields,
  type TrainingRecord,
  type TrainingStatisticsRow,
  trainingRepository,
} from "./training.repository.ts";

/**
 * Trainings at their organiser (issue 10, point 1), and discovery at every agent (point 7).
 *
 * - `create` / `update` / `cancel`: the fabrique's team for any space of its network as
 *   organiser; a satellite for trainings it organises itself (spaceId = its own space). The
 *   venue is any space this agent knows (its network's, or another network's replicated here),
 *   or none for an online training (onlineUrl). Every change sends a TRAINING event (kept at
 *   the hub; sent on to every node while NETWORK or NATIONAL, or when it just went back to
 *   LOCAL, so that replicas are dropped). A weekly series creates one training per session
 *   (series.ts), all sharing the first's id as seriesId; an update changes one session.
 * - Bad input is refused before anything is written, with documented codes: BAD_USER_INPUT
 *   naming the field (capacity < 1, minimum > capacity, endsAt not after startsAt or more than
 *   TRAINING_MAX_DAYS after it, a minimum without decisionAt or decisionAt without a minimum,
 *   decisionAt after startsAt, startsAt or decisionAt in the past at creation or when changed,
 *   an id that is not a Maillage id, a grants.type that is not a slug, both or neither of
 *   venueSpaceId and onlineUrl, capacity below the seats already taken), INVALID_TRANSITION
 *   (reason STARTED: a date changed once the session has started), NOT_FOUND (field venueSpaceId: a venue unknown
 *   here; spaceId: an organiser unknown), UNKNOWN_CREDENTIAL_TYPE (field prerequisites: a type
 *   neither documented nor granted by a training known here), FORBIDDEN (a space of another
 *   network, another satellite's training), INVALID_TRANSITION (a cancelled training).
 * - Cancelling ends every live place (ENROLLED, WAITLISTED, OFFERED, PENDING) with reasonCode
 *   CANCELLED_BY_ORGANISER, each member's home node told by its ENROLMENT event. Raising the
 *   capacity promotes the first in line at once.
 */
export type TrainingService = ReturnType<typeof createTrainingService>;

/**
 * An id of a record Maillage made (a space, a member, a training, an enrolment): a ULID, read
 * in its canonical upper case; anything else is BAD_USER_INPUT naming the field (docs/errors.md:
 * an id that is not a Maillage id), never a NOT_FOUND.
 */
export const MaillageId = z
  .string()
  .trim()
  .transform((id) => id.toUpperCase())
  .refine((id) => ULID_PATTERN.test(id), "is not a Maillage id");
const Id = MaillageId;
const Count = z.number().int().min(1).max(10_000);

const GrantInput = z
  .object({
    type: CredentialSlug,
    validityDays: z
      .number()
      .int()
      .min(1)
      .max(365 * 50)
      .nullable()
      .default(null),
  })
  .strict();

const TrainingShape = z
  .object({
    spaceId: Id,
    title: z.string().trim().min(1, "required").max(200),
    topic: z.enum(TRAINING_TOPICS),
    tags: z.array(z.string().trim().toLowerCase().min(1).max(40)).max(20).default([]),
    description: z.string().trim().max(4000).nullable().default(null),
    venueSpaceId: Id.nullable().default(null),
    onlineUrl: z
      .url({ protocol: /^https?$/, error: "an http(s) URL" })
      .max(2000)
      .nullable()
      .default(null),
    startsAt: z.date(),
    endsAt: z.date(),
    capacity: Count,
    minimum: z.number().int().min(0).max(10_000).default(0),
    decisionAt: z.date().nullable().default(null),
    scope: z.enum(SHARING_SCOPES).default("LOCAL"),
    prerequisites: z.array(CredentialType).max(20).default([]),
    grants: GrantInput.nullable().default(null),
    trainerName: z.string().trim().min(1).max(200).nullable().default(null),
    cancelDeadlineMinutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 366)
      .default(0),
    offerHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .nullable()
      .default(null),
  })
  .strict();

/** An `id` argument as a Maillage id (BAD_USER_INPUT naming `id` otherwise). */
export function idOf(id: string): string {
  return parseInput(z.object({ id: MaillageId }), { id }).id;
}

/** The longest session, in days: a training is one session, not a programme. */
export const TRAINING_MAX_DAYS = 14;
const DAY_MS = 86_400_000;

/**
 * A day (YYYY-MM-DD, a real date). The contract's IsoDate throws on a string that is not a
 * date (its check calls toISOString on an invalid Date): an INTERNAL_SERVER_ERROR where this
 * answers BAD_USER_INPUT naming the field.
 */
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD")
  .refine((d) => {
    const time = Date.parse(`${d}T00:00:00Z`);
    return !Number.isNaN(time) && new Date(time).toISOString().startsWith(d);
  }, "not a date");

/** The checks every training meets, at creation and after a change. */
const TrainingInput = TrainingShape.refine((t) => t.startsAt.getTime() < t.endsAt.getTime(), {
  path: ["endsAt"],
  message: "must be after startsAt",
})
  .refine((t) => t.endsAt.getTime() - t.startsAt.getTime() <= TRAINING_MAX_DAYS * DAY_MS, {
    path: ["endsAt"],
    message: `a session lasts at most ${TRAINING_MAX_DAYS} days (a longer course is a series of sessions)`,
  })
  .refine((t) => (t.venueSpaceId === null) !== (t.onlineUrl === null), {
    path: ["venueSpaceId"],
    message: "give exactly one of venueSpaceId (a place) and onlineUrl (online)",
  })
  .refine((t) => t.minimum <= t.capacity, {
    path: ["minimum"],
    message: "must not be more than capacity",
  })
  .refine((t) => t.minimum === 0 || t.decisionAt !== null, {
    path: ["decisionAt"],
    message: "a minimum needs a decision deadline",
  })
  .refine((t) => t.decisionAt === null || t.minimum > 0, {
    path: ["decisionAt"],
    message: "a decision deadline is for a minimum: give minimum (at least 1), or no decisionAt",
  })
  .refine((t) => t.decisionAt === null || t.decisionAt.getTime() <= t.startsAt.getTime(), {
    path: ["decisionAt"],
    message: "must not be after startsAt",
  })
  .transform((t): TrainingFields => ({ ...t, tags: [...new Set(t.tags)] }));

/** A weekly series: the RRULE subset and the last day (Europe/Paris date, included). */
const SeriesInput = z
  .object({
    series: z
      .object({ rrule: z.string().trim().min(1), until: Day })
      .strict()
      .nullish(),
  })
  .loose();

const Changes = TrainingShape.partial().strict();

/** How far `near` reaches, nearest first (as at the hub). */
export const PROXIMITY_TIERS = ["COMMUNE", "EPCI", "DEPARTMENT", "REGION"] as const;

const FilterInput = z
  .object({
    topic: z.enum(TRAINING_TOPICS).nullish(),
    tag: z.string().trim().toLowerCase().min(1).max(40).nullish(),
    region: z.string().trim().min(1).max(3).nullish(),
    department: z.string().trim().min(1).max(3).nullish(),
    from: z.date().nullish(),
    to: z.date().nullish(),
    online: z.boolean().nullish(),
    hasSeats: z.boolean().nullish(),
    credential: CredentialType.nullish(),
    near: z
      .object({
        communeCode: z.string().trim().min(1).max(10),
        within: z.enum(PROXIMITY_TIERS).nullish(),
      })
      .strict()
      .nullish(),
  })
  .strict();

/** At most this many trainings per discovery answer (the earliest first). */
export const TRAININGS_MAX = 500;

/**
 * The statistics export's columns (one line per session, by start): the session, then the
 * figures of the hub's training CSV (`maillage hub report --section training`), same names,
 * same order, same meaning — a cancelled session offers no seat and counts its places as
 * cancellations only — then what only the organiser knows (credentials revoked).
 */
export const TRAINING_CSV_COLUMNS = [
  "training_id",
  "series_id",
  "starts_at",
  "ends_at",
  "title",
  "topic",
  "space_id",
  "venue_space_id",
  "online",
  "scope",
  "status",
  "cancel_reason_code",
  "capacity",
  "seats_offered",
  "seats_filled",
  "fill_rate",
  "waitlisted",
  "waitlist_pressure",
  "attended",
  "no_show",
  "attendance_rate",
  "no_show_rate",
  "hours_delivered",
  "credentials_issued",
  "cross_node_enrolments",
  "cross_node_share",
  "cancellations",
  "credentials_revoked",
] as const;

/** The longest range the statistics export covers, in days. */
export const TRAINING_CSV_MAX_DAYS = 3 * 366;

/**
 * A CSV cell (RFC 4180 quoting). Text starting with = + - @, a tab or a carriage return is
 * prefixed with a single quote, so that a spreadsheet never reads a title as a formula (OWASP
 * "CSV injection"); numbers are written as they are.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  const text =
    typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const ratio = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

/**
 * One CSV line of a session's figures, as the hub counts them: a scheduled session offers its
 * capacity; a cancelled one offers nothing and its places count as cancellations only.
 * Cancelled places never count as filled. Credentials issued: the attendances that issued the
 * session's credential, those revoked since included (issuance is a flow); an attendance
 * corrected to NO_SHOW is no attendance, and its credential, revoked with it, is not counted.
 */
function statisticsLine(t: TrainingStatisticsRow): string {
  const scheduled = t.status === "SCHEDULED";
  const count = (n: number) => (scheduled ? n : 0);
  const offered = count(t.capacity);
  const filled = count(t.seats.taken);
  const waitlisted = count(t.seats.waitlisted);
  const attended = count(t.seats.attended);
  const noShow = count(t.seats.noShow);
  const crossNode = count(t.crossNode);
  const hours = ((t.endsAt.getTime() - t.startsAt.getTime()) / 3_600_000) * attended;
  const marked = attended + noShow;
  return [
    t.id,
    t.seriesId,
    t.startsAt.toISOString(),
    t.endsAt.toISOString(),
    t.title,
    t.topic,
    t.spaceId,
    t.venueSpaceId,
    t.onlineUrl === null ? "false" : "true",
    t.scope,
    t.status,
    t.cancelReasonCode,
    t.capacity,
    offered,
    filled,
    ratio(filled, offered),
    waitlisted,
    ratio(waitlisted, offered),
    attended,
    noShow,
    ratio(attended, marked),
    ratio(noShow, marked),
    Math.round(hours * 100) / 100,
    count(t.credentialsIssued),
    crossNode,
    ratio(crossNode, filled) ?? 0,
    scheduled ? t.cancelled : t.cancelled + t.seats.taken + t.seats.waitlisted,
    count(t.credentialsRevoked),
  ]
    .map(csvField)
    .join(",");
}

export function createTrainingService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  pubsub: ResourcePubSub;
  geography: Geography;
  fabriqueId: string;
  now?: (() => Date) | undefined;
  /** After a write that may set a decision deadline or an offer (the sweeper's timer). */
  onScheduled?: (() => void) | undefined;
}) {
  const { store, writer, pubsub, geography, fabriqueId } = deps;
  const now = deps.now ?? (() => new Date());

  async function writeTrainings<T>(fn: (w: TrainingWrite) => Promise<T>): Promise<T> {
    const pubs = new Publications();
    const result = await writer.write(async (tx: SqlSession, changes: ChangeLog) => {
      const w = trainingWrite(tx, changes, pubs, now());
      const value = await fn(w);
      await finish(w);
      return value;
    });
    publishAll(pubsub, pubs.items);
    deps.onScheduled?.();
    return result;
  }

  /** The caller organises at this space: the team any of its network's, a satellite its own. */
  async function assertOrganiser(db: SqlSession, viewer: Viewer, spaceId: string) {
    if (viewer.role === "SATELLITE" && viewer.spaceId !== spaceId) {
      throw new MaillageError("FORBIDDEN", "a satellite organises trainings at its own space", {
        field: "spaceId",
      });
    }
    if (viewer.role !== "FABRIQUE_ADMIN" && viewer.role !== "SATELLITE") {
      throw new MaillageError(
        "FORBIDDEN",
        "the fabrique's team or a satellite organises trainings",
      );
    }
    await assertNetworkSpace(db, fabriqueId, spaceId, {
      forbidden: "the organiser is a space of this fabrique's network",
      details: { field: "spaceId" },
    });
  }

  /** A venue this agent knows (any network's space), open. */
  async function assertVenue(db: SqlSession, venueSpaceId: string | null) {
    if (venueSpaceId === null || venueSpaceId === fabriqueId) return;
    const space = await spaceRepository.find(db, venueSpaceId);
    if (!space) {
      throw new MaillageError("NOT_FOUND", `no space ${venueSpaceId}`, { field: "venueSpaceId" });
    }
    if (space.status === "CLOSED") {
      throw new MaillageError("SPACE_CLOSED", "the venue is closed", { field: "venueSpaceId" });
    }
  }

  /** UNKNOWN_CREDENTIAL_TYPE: a prerequisite neither documented nor granted by a known training. */
  async function assertKnownTypes(db: SqlSession, fields: TrainingFields) {
    const documented = new Set<string>(CREDENTIAL_TYPES);
    const unknown = fields.prerequisites.filter((p) => !documented.has(p));
    if (unknown.length === 0) return;
    const granted = await trainingRepository.grantedTypes(db, unknown);
    const missing = unknown.find((p) => !granted.has(p) && p !== fields.grants?.type);
    if (missing !== undefined) {
      throw new MaillageError(
        "UNKNOWN_CREDENTIAL_TYPE",
        `prerequisites: "${missing}" is neither a documented credential type nor granted by a training this node knows`,
        { field: "prerequisites", credential: missing },
      );
    }
  }

  /** A training organised here, visible to the caller as its organiser; locked. */
  async function organisedTraining(
    db: SqlSession,
    viewer: Viewer,
    id: string,
  ): Promise<TrainingRecord> {
    const training = await trainingRepository.findForUpdate(db, id);
    if (!training || !(training.owned || training.scope !== "LOCAL")) {
      throw new MaillageError("NOT_FOUND", `no training ${id}`, { id });
    }
    if (!training.owned) {
      throw new MaillageError(
        "FORBIDDEN",
        "this training is organised by another node: it is changed there",
        { id },
      );
    }
    if (
      viewer.role === "MEMBER" ||
      (viewer.role === "SATELLITE" && training.spaceId !== viewer.spaceId)
    ) {
      throw new MaillageError("FORBIDDEN", "only the training's organiser changes it", { id });
    }
    return training;
  }

  /**
   * Where a training is, for the geographic filters: its venue's commune, or its organiser's
   * when it is online (as at the hub); undefined when that space is not known here.
   */
  async function placeOf(db: SqlSession, training: TrainingRecord) {
    const space = await spaceRepository.find(db, training.venueSpaceId ?? training.spaceId);
    return space ? geography.commune(space.communeCode) : undefined;
  }

  /**
   * The dates of a change: once the session has started, its dates stay (INVALID_TRANSITION,
   * reason STARTED, naming the field); before, a start or a decision deadline that changes
   * must be in the future (BAD_USER_INPUT naming it), as at creation. One left as it was may be
   * past (a decision deadline that has come, other fields changed).
   */
  function assertDates(current: TrainingRecord, next: TrainingFields, at: Date) {
    const same = (a: Date | null, b: Date | null) =>
      (a?.getTime() ?? null) === (b?.getTime() ?? null);
    const changed = (["startsAt", "endsAt", "decisionAt"] as const).filter(
      (field) => !same(current[field], next[field]),
    );
    if (changed.length === 0) return;
    if (at.getTime() >= current.startsAt.getTime()) {
      throw new MaillageError(
        "INVALID_TRANSITION",
        `${changed[0]}: the session has started, its dates no longer change`,
        { field: changed[0], reason: "STARTED", status: current.status },
      );
    }
    assertFuture(next, at, changed);
  }

  /** BAD_USER_INPUT for a start or a decision deadline (among `fields`) not in the future. */
  function assertFuture(
    t: Pick<TrainingFields, "startsAt" | "decisionAt">,
    at: Date,
    fields: readonly string[] = ["startsAt", "decisionAt"],
  ) {
    if (fields.includes("startsAt") && t.startsAt.getTime() <= at.getTime()) {
      throw new MaillageError("BAD_USER_INPUT", "startsAt: must be in the future", {
        field: "startsAt",
      });
    }
    if (
      fields.includes("decisionAt") &&
      t.decisionAt !== null &&
      t.decisionAt.getTime() <= at.getTime()
    ) {
      throw new MaillageError("BAD_USER_INPUT", "decisionAt: must be in the future", {
        field: "decisionAt",
      });
    }
  }

  return {
    /**
     * Creates a training, or the sessions of a weekly series (by start), in one transaction.
     */
    async create(viewer: Viewer, raw: unknown): Promise<TrainingRecord[]> {
      const { series: _series, ...training } = (raw ?? {}) as Record<string, unknown>;
      const input = parseInput(SeriesInput, raw ?? {});
      const fields = parseInput(TrainingInput, training);
      assertFuture(fields, now());
      const sessions = input.series
        ? weeklyOccurrences(fields, input.series)
        : [{ startsAt: fields.startsAt, endsAt: fields.endsAt, decisionAt: fields.decisionAt }];
      return writeTrainings(async (w) => {
        await assertOrganiser(w.tx, viewer, fields.spaceId);
        await assertVenue(w.tx, fields.venueSpaceId);
        await assertKnownTypes(w.tx, fields);
        const created: TrainingRecord[] = [];
        const seriesId = input.series ? ulid() : null;
        for (const [index, session] of sessions.entries()) {
          const id = index === 0 && seriesId !== null ? seriesId : ulid();
          await trainingRepository.insertOwned(w.tx, id, { ...fields, ...session }, seriesId);
          created.push(await sendTraining(w, id));
        }
        return created;
      });
    },

    /** Changes one training (the fields given; null clears a clearable one). */
    async update(viewer: Viewer, rawId: string, raw: unknown): Promise<TrainingRecord> {
      const id = idOf(rawId);
      // Only the fields given: the shape's defaults are for creation.
      const given = (raw ?? {}) as Record<string, unknown>;
      const changes = Object.fromEntries(
        Object.entries(parseInput(Changes, given)).filter(([key]) => key in given),
      ) as z.output<typeof Changes>;
      return writeTrainings(async (w) => {
        const current = await organisedTraining(w.tx, viewer, id);
        if (current.status === "CANCELLED") {
          throw new MaillageError("INVALID_TRANSITION", "the training was cancelled", {
            status: "CANCELLED",
          });
        }
        const {
          id: _id,
          owned: _o,
          ownerNodeId: _n,
          seriesId: _s,
          status: _st,
          cancelReasonCode: _c,
          seats,
          createdAt: _ca,
          updatedAt: _ua,
          ...fields
        } = current;
        // Switching between a place and online: naming one clears the other.
        const place =
          changes.venueSpaceId != null
            ? { onlineUrl: null }
            : changes.onlineUrl != null
              ? { venueSpaceId: null }
              : {};
        const next = parseInput(TrainingInput, { ...fields, ...place, ...changes });
        assertDates(current, next, w.at);
        if (next.capacity < seats.taken) {
          throw new MaillageError(
            "BAD_USER_INPUT",
            `capacity: ${seats.taken} seats are taken already (remove places first)`,
            { field: "capacity", taken: seats.taken },
          );
        }
        if (next.spaceId !== current.spaceId) await assertOrganiser(w.tx, viewer, next.spaceId);
        if (next.venueSpaceId !== current.venueSpaceId) await assertVenue(w.tx, next.venueSpaceId);
        await assertKnownTypes(w.tx, next);
        await trainingRepository.updateOwned(w.tx, id, next);
        // More seats: the first in line take them at once.
        if (next.capacity > current.capacity) await promote(w, id);
        return sendTraining(w, id);
      });
    },

    /** Cancels a training and every live place in it (CANCELLED_BY_ORGANISER). */
    async cancel(viewer: Viewer, rawId: string): Promise<TrainingRecord> {
      const id = idOf(rawId);
      return writeTrainings(async (w) => {
        const current = await organisedTraining(w.tx, viewer, id);
        const cancelled = await trainingRepository.cancel(w.tx, id, "CANCELLED_BY_ORGANISER");
        if (!cancelled) {
          throw new MaillageError("INVALID_TRANSITION", "the training is already cancelled", {
            status: current.status,
          });
        }
        await cancelPlaces(w, cancelled, "CANCELLED_BY_ORGANISER");
        return sendTraining(w, id);
      });
    },

    /** A training known here (this node's, or a NETWORK/NATIONAL replica), or undefined. */
    async find(id: string): Promise<TrainingRecord | undefined> {
      const training = await trainingRepository.find(store, id);
      return training && (training.owned || training.scope !== "LOCAL") ? training : undefined;
    },

    /**
     * Discovery, offline too: this node's trainings (every scope) and the NETWORK and NATIONAL
     * ones replicated here, by start, at most TRAININGS_MAX, as the hub answers its own
     * `trainings`: `from` (default now) and `to` keep the trainings running in the range;
     * region, department and near are the place's (the venue, or the organiser when online;
     * one not known here is left out), near nearest first (commune, EPCI, department, region;
     * within a department or a region, the EPCI's communes across its border too); hasSeats:
     * scheduled with seats left; credential: granting this type. BAD_USER_INPUT for an unknown
     * region or department, UNKNOWN_COMMUNE for near's commune.
     */
    async search(raw: unknown): Promise<TrainingRecord[]> {
      const f = parseInput(FilterInput, raw ?? {});
      if (f.region && !geography.region(f.region)) {
        throw new MaillageError(
          "BAD_USER_INPUT",
          `filter.region: no French region has INSEE code ${f.region}`,
          {
            field: "filter.region",
          },
        );
      }
      if (f.department && !geography.department(f.department)) {
        throw new MaillageError(
          "BAD_USER_INPUT",
          `filter.department: no French department has code ${f.department}`,
          { field: "filter.department" },
        );
      }
      const from = f.from ?? now();
      if (f.to && f.to.getTime() <= from.getTime()) {
        throw new MaillageError("BAD_USER_INPUT", "filter.to: must be after from (default: now)", {
          field: "filter.to",
        });
      }
      const near = f.near ? geography.requireCommune(f.near.communeCode) : undefined;
      const nearEpci = near
        ? new Set(geography.epciOf(near.code)?.communeCodes ?? [near.code])
        : undefined;
      const maxTier = PROXIMITY_TIERS.indexOf(f.near?.within ?? "DEPARTMENT");
      const geographic = Boolean(f.region || f.department || near);
      const found = await trainingRepository.search(store, {
        topic: f.topic ?? null,
        tag: f.tag ?? null,
        from,
        to: f.to ?? null,
        online: f.online ?? null,
        hasSeats: f.hasSeats ?? null,
        credential: f.credential ?? null,
        limit: geographic ? 10_000 : TRAININGS_MAX,
      });
      if (!geographic) return found;
      const kept: { training: TrainingRecord; tier: number }[] = [];
      for (const training of found) {
        const place = await placeOf(store, training);
        if (!place) continue;
        if (f.region && place.regionCode !== f.region) continue;
        if (f.department && place.departmentCode !== f.department) continue;
        let tier = 0;
        if (near && nearEpci) {
          const inEpci = nearEpci.has(place.code);
          tier =
            place.code === near.code
              ? 0
              : inEpci
                ? 1
                : place.departmentCode === near.departmentCode
                  ? 2
                  : place.regionCode === near.regionCode
                    ? 3
                    : 4;
          // Within a department or region, the EPCI's communes across its border count too.
          if (tier > maxTier && !(inEpci && maxTier >= 1)) continue;
        }
        kept.push({ training, tier });
      }
      // Nearest first, then by start (the store's order, kept by a stable sort).
      return kept
        .sort((a, b) => a.tier - b.tier)
        .slice(0, TRAININGS_MAX)
        .map((k) => k.training);
    },

    /**
     * The statistics of this node's trainings as CSV, one line per session starting from `from`
     * to `to` (YYYY-MM-DD, Europe/Paris dates, both included: by session date, never by
     * sign-up date). Filled seats exclude cancellations; rates over the places marked. The
     * fabrique's team only.
     */
    async statisticsCsv(viewer: Viewer, raw: unknown): Promise<string> {
      if (viewer.role !== "FABRIQUE_ADMIN") {
        throw new MaillageError("FORBIDDEN", "the training statistics are the fabrique team's");
      }
      const range = parseInput(
        z
          .object({ from: Day, to: Day })
          .strict()
          .refine((r) => r.from <= r.to, { path: ["to"], message: "must not be before from" })
          .refine(
            (r) => (Date.parse(r.to) - Date.parse(r.from)) / 86_400_000 <= TRAINING_CSV_MAX_DAYS,
            { path: ["to"], message: `at most ${TRAINING_CSV_MAX_DAYS} days after from` },
          ),
        raw,
      );
      const end = new Date(Date.parse(`${range.to}T00:00:00Z`) + 86_400_000)
        .toISOString()
        .slice(0, 10);
      const rows = await trainingRepository.statistics(
        store,
        parisInstant(range.from, 0),
        parisInstant(end, 0),
      );
      return `${[TRAINING_CSV_COLUMNS.join(","), ...rows.map(statisticsLine)].join("\r\n")}\r\n`;
    },
  };
}
