import { type ErrorCode, MaillageError, parseInput } from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import { memberRepository } from "../../store/member.repository.ts";
import {
  type AvailabilityWindow,
  type BookingRecord,
  type Closure,
  EXCLUSION_VIOLATION,
  RESOURCE_CATEGORIES,
  RESOURCE_STATUSES,
  type ResourceFields,
  type ResourceRecord,
  resourceRepository,
  SHARING_SCOPES,
} from "../../store/resource.repository.ts";
import { spaceRepository } from "../../store/space.repository.ts";

/**
 * Shared resources at their owner (issue 5, points 1 and 2), local to this agent for now: no
 * event goes to the hub, so other nodes do not see them yet.
 *
 * - A resource is hosted at a space of this network (the fabrique or a satellite this node
 *   owns, open); the fabrique's team creates and changes it; every token of this agent reads it.
 * - `book` is confirmed or refused at once, and a refusal writes nothing. Refusals carry
 *   their documented code (SLOT_TAKEN, BOOKING_RULE_VIOLATION, RESOURCE_NOT_AVAILABLE,
 *   CANCEL_DEADLINE_PASSED, else BAD_USER_INPUT) and the precise `extensions.reason`:
 *   INVALID_RANGE (from ≥ to), DURATION_OUT_OF_RANGE (outside min/max minutes), LEAD_TIME
 *   (starts sooner than the lead time), RESOURCE_NOT_AVAILABLE (MAINTENANCE or RETIRED),
 *   SLOT_TAKEN (overlaps a CONFIRMED booking), OUTSIDE_AVAILABILITY (not entirely inside one
 *   availability window on a day that is not a closure). NOT_FOUND for an unknown resource, member or space;
 *   FORBIDDEN for a satellite booking for anyone but its own space.
 * - No double booking: the store's exclusion constraint (resource, [from, to)) decides, so of
 *   concurrent overlapping requests exactly one wins; its violation (SQLSTATE 23P01) is SLOT_TAKEN.
 *   Slots are half-open: one ending at 10:00 and one starting at 10:00 both stand.
 * - Availability windows: weekly rules in a small RRULE subset (see `parseWeeklyRule`), each
 *   open from `opens` to `closes`, Europe/Paris wall clock; closures are Paris dates or date
 *   ranges. A slot must start and end on the same Paris day, inside one window of that weekday
 *   (an end at 24:00, i.e. midnight next day, counts as that day); no window: any time.
 * - `cancelBooking` frees the slot, until `cancelDeadlineMinutes` before its start
 *   (CANCEL_DEADLINE_PASSED after; ALREADY_CANCELLED for a booking cancelled before).
 */
export type ResourceService = ReturnType<typeof createResourceService>;

/** The refusals of booking and cancelling, in `extensions.reason`. */
export type BookingRefusal =
  | "INVALID_RANGE"
  | "DURATION_OUT_OF_RANGE"
  | "LEAD_TIME"
  | "RESOURCE_NOT_AVAILABLE"
  | "SLOT_TAKEN"
  | "OUTSIDE_AVAILABILITY"
  | "CANCEL_DEADLINE_PASSED"
  | "ALREADY_CANCELLED";

const MINUTES_MAX = 60 * 24 * 366;
const Id = z.string().trim().min(1);
const Minutes = z.number().int().min(0).max(MINUTES_MAX);

/** The time zone of every availability window and closure. */
export const AVAILABILITY_ZONE = "Europe/Paris";
const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
type Weekday = (typeof WEEKDAYS)[number];

/**
 * The RRULE subset of availability windows: `FREQ=WEEKLY;BYDAY=<days>`, in any order, with
 * <days> a comma-separated non-empty list of distinct MO, TU, WE, TH, FR, SA, SU (upper case);
 * nothing else (no RRULE: prefix, INTERVAL, COUNT, UNTIL, BYHOUR…). The weekdays, or the reason
 * the rule is refused.
 */
export function parseWeeklyRule(rule: string): Set<Weekday> | string {
  const parts = new Map<string, string>();
  for (const part of rule.split(";")) {
    const [key, value, ...rest] = part.split("=");
    if (!key || value === undefined || rest.length > 0) return `malformed part "${part}"`;
    if (parts.has(key)) return `${key} given twice`;
    parts.set(key, value);
  }
  for (const key of parts.keys()) {
    if (key !== "FREQ" && key !== "BYDAY") {
      return `${key} is not supported: only FREQ=WEEKLY;BYDAY=MO,TU,… is`;
    }
  }
  if (parts.get("FREQ") !== "WEEKLY") return "only FREQ=WEEKLY is supported";
  const days = (parts.get("BYDAY") ?? "").split(",");
  const set = new Set<Weekday>();
  for (const day of days) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) {
      return `BYDAY: "${day}" is not one of ${WEEKDAYS.join(", ")}`;
    }
    if (set.has(day as Weekday)) return `BYDAY: ${day} given twice`;
    set.add(day as Weekday);
  }
  return set;
}

const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 00:00 to 23:59");
const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

const WindowShape = z
  .object({
    rrule: z
      .string()
      .trim()
      .superRefine((rule, ctx) => {
        const parsed = parseWeeklyRule(rule);
        if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
      }),
    opens: TimeOfDay,
    closes: z.union([TimeOfDay, z.literal("24:00")]),
  })
  .strict()
  .refine((w) => minutesOf(w.opens) < minutesOf(w.closes), {
    path: ["closes"],
    message: "must be after opens",
  });

const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD")
  .refine((d) => new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), "not a date");

const ClosureShape = z
  .object({ from: IsoDate, to: IsoDate.nullish() })
  .strict()
  .transform((c): Closure => ({ from: c.from, to: c.to ?? c.from }))
  .refine((c) => c.to >= c.from, { path: ["to"], message: "must not be before from" });

const ResourceShape = z
  .object({
    spaceId: Id,
    name: z.string().trim().min(1, "required").max(200),
    category: z.enum(RESOURCE_CATEGORIES),
    description: z.string().trim().max(4000).nullable().default(null),
    sharingScope: z.enum(SHARING_SCOPES).default("LOCAL"),
    requiredCredential: z.string().trim().min(1).max(200).nullable().default(null),
    minMinutes: Minutes.min(1).default(15),
    maxMinutes: Minutes.min(1).default(8 * 60),
    leadMinutes: Minutes.default(0),
    cancelDeadlineMinutes: Minutes.default(0),
    status: z.enum(RESOURCE_STATUSES).default("AVAILABLE"),
    movable: z.boolean().default(false),
    windows: z.array(WindowShape).max(100).default([]),
    closures: z.array(ClosureShape).max(1000).default([]),
  })
  .strict();

export const ResourceInput = ResourceShape.refine((r) => r.maxMinutes >= r.minMinutes, {
  path: ["maxMinutes"],
  message: "must not be less than minMinutes",
});

const ResourceChanges = z
  .object({
    spaceId: Id,
    name: z.string(),
    category: z.string(),
    description: z.string().nullable(),
    sharingScope: z.string(),
    requiredCredential: z.string().nullable(),
    minMinutes: z.number(),
    maxMinutes: z.number(),
    leadMinutes: z.number(),
    cancelDeadlineMinutes: z.number(),
    status: z.string(),
    movable: z.boolean(),
    windows: z.array(z.unknown()),
    closures: z.array(z.unknown()),
  })
  .partial()
  .strict();

export const BookInput = z
  .object({
    resourceId: Id,
    from: z.date(),
    to: z.date(),
    forMember: Id.optional(),
    forSpace: Id.optional(),
  })
  .strict()
  .refine((b) => (b.forMember === undefined) !== (b.forSpace === undefined), {
    path: ["forMember"],
    message: "give exactly one of forMember and forSpace",
  });

/** Each refusal's documented code (docs/errors.md); the precise reason stays in `reason`. */
const REFUSAL_CODES = {
  INVALID_RANGE: "BAD_USER_INPUT",
  DURATION_OUT_OF_RANGE: "BOOKING_RULE_VIOLATION",
  LEAD_TIME: "BOOKING_RULE_VIOLATION",
  RESOURCE_NOT_AVAILABLE: "RESOURCE_NOT_AVAILABLE",
  SLOT_TAKEN: "SLOT_TAKEN",
  OUTSIDE_AVAILABILITY: "BOOKING_RULE_VIOLATION",
  CANCEL_DEADLINE_PASSED: "CANCEL_DEADLINE_PASSED",
  ALREADY_CANCELLED: "BAD_USER_INPUT",
} as const satisfies Record<BookingRefusal, ErrorCode>;

function refused(reason: BookingRefusal, message: string, details: Record<string, unknown> = {}) {
  return new MaillageError(REFUSAL_CODES[reason], message, { reason, ...details });
}

function isExclusionViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === EXCLUSION_VIOLATION;
}

const PARIS = new Intl.DateTimeFormat("en-US", {
  timeZone: AVAILABILITY_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  weekday: "short",
  hourCycle: "h23",
});
const SHORT_WEEKDAYS: Record<string, Weekday> = {
  Mon: "MO",
  Tue: "TU",
  Wed: "WE",
  Thu: "TH",
  Fri: "FR",
  Sat: "SA",
  Sun: "SU",
};

/** An instant on the Europe/Paris wall clock: its date, weekday and minute of the day. */
export function parisWallClock(instant: Date): { date: string; weekday: Weekday; minute: number } {
  const p = Object.fromEntries(PARIS.formatToParts(instant).map((x) => [x.type, x.value]));
  const weekday = SHORT_WEEKDAYS[p.weekday ?? ""];
  if (!weekday) throw new Error(`unexpected weekday ${p.weekday}`);
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday,
    minute:
      Number(p.hour) * 60 +
      Number(p.minute) +
      (Number(p.second) + (instant.getTime() % 1000) / 1000) / 60,
  };
}

/** Whether [from, to) lies entirely inside one window, on a day that is not a closure. */
export function isWithinAvailability(
  resource: { windows: AvailabilityWindow[]; closures: Closure[] },
  from: Date,
  to: Date,
): boolean {
  if (resource.windows.length === 0) return true;
  const start = parisWallClock(from);
  let end = parisWallClock(to);
  if (end.date !== start.date && end.minute === 0) {
    // Midnight ending the start's day: 24:00 of that day.
    const before = parisWallClock(new Date(to.getTime() - 1));
    if (before.date === start.date) end = { ...before, minute: 24 * 60 };
  }
  if (end.date !== start.date) return false;
  if (resource.closures.some((c) => c.from <= start.date && start.date <= c.to)) return false;
  return resource.windows.some((w) => {
    const days = parseWeeklyRule(w.rrule);
    return (
      typeof days !== "string" &&
      days.has(start.weekday) &&
      minutesOf(w.opens) <= start.minute &&
      end.minute <= minutesOf(w.closes)
    );
  });
}

export function canSeeBooking(viewer: Viewer, booking: Pick<BookingRecord, "forSpace">) {
  if (viewer.role === "FABRIQUE_ADMIN") return true;
  return viewer.role === "SATELLITE" && booking.forSpace === viewer.spaceId;
}

export function createResourceService(deps: {
  store: SqlStore;
  fabriqueId: string;
  now?: () => Date;
}) {
  const { store, fabriqueId } = deps;
  const now = deps.now ?? (() => new Date());

  /** The space hosts resources of this node: the fabrique, or an open satellite it owns. */
  async function assertHostSpace(db: SqlSession, spaceId: string) {
    if (spaceId === fabriqueId) return;
    const space = await spaceRepository.find(db, spaceId);
    if (!space) throw new MaillageError("NOT_FOUND", `no space ${spaceId}`, { spaceId });
    if (!(space.owned && space.kind === "SATELLITE" && space.fabriqueId === fabriqueId)) {
      throw new MaillageError(
        "FORBIDDEN",
        "this space is not of this fabrique's network: its resources are managed at its own node",
        { spaceId },
      );
    }
    if (space.status === "CLOSED") {
      throw new MaillageError("SPACE_CLOSED", "the space is closed", { spaceId });
    }
  }

  async function assertBeneficiary(
    db: SqlSession,
    viewer: Viewer,
    input: { forMember?: string; forSpace?: string },
  ) {
    if (viewer.role === "SATELLITE") {
      if (input.forSpace !== viewer.spaceId) {
        throw new MaillageError(
          "FORBIDDEN",
          "a satellite books for its own space only (forSpace: its own id)",
          { field: input.forSpace === undefined ? "forMember" : "forSpace" },
        );
      }
      return;
    }
    if (viewer.role !== "FABRIQUE_ADMIN") {
      throw new MaillageError("FORBIDDEN", "only the fabrique's team or a satellite book here");
    }
    if (input.forMember !== undefined && !(await memberRepository.find(db, input.forMember))) {
      throw new MaillageError("NOT_FOUND", `no member ${input.forMember}`, { field: "forMember" });
    }
    if (
      input.forSpace !== undefined &&
      input.forSpace !== fabriqueId &&
      !(await spaceRepository.find(db, input.forSpace))
    ) {
      throw new MaillageError("NOT_FOUND", `no space ${input.forSpace}`, { field: "forSpace" });
    }
  }

  /** Every booking rule of the resource, checked against [from, to) asked at `at`. */
  function assertRules(resource: ResourceRecord, from: Date, to: Date, at: Date) {
    if (resource.status !== "AVAILABLE") {
      throw refused(
        "RESOURCE_NOT_AVAILABLE",
        `the resource is ${resource.status.toLowerCase()}: it cannot be booked`,
        { status: resource.status },
      );
    }
    const minutes = (to.getTime() - from.getTime()) / 60_000;
    if (minutes < resource.minMinutes || minutes > resource.maxMinutes) {
      throw refused(
        "DURATION_OUT_OF_RANGE",
        `a booking of this resource lasts from ${resource.minMinutes} to ${resource.maxMinutes} minutes; this one lasts ${minutes}`,
        { minMinutes: resource.minMinutes, maxMinutes: resource.maxMinutes },
      );
    }
    const earliest = at.getTime() + resource.leadMinutes * 60_000;
    if (from.getTime() < earliest) {
      throw refused(
        "LEAD_TIME",
        `this resource is booked at least ${resource.leadMinutes} minutes ahead`,
        { leadMinutes: resource.leadMinutes, earliest: new Date(earliest).toISOString() },
      );
    }
    if (!isWithinAvailability(resource, from, to)) {
      throw refused(
        "OUTSIDE_AVAILABILITY",
        `the slot is not inside one availability window of this resource on an open day (${AVAILABILITY_ZONE} time)`,
        { timeZone: AVAILABILITY_ZONE },
      );
    }
  }

  async function save(id: string | null, fields: ResourceFields): Promise<ResourceRecord> {
    return store.transaction(async (tx) => {
      await assertHostSpace(tx, fields.spaceId);
      return id === null
        ? resourceRepository.insert(tx, ulid(), fields)
        : resourceRepository.update(tx, id, fields);
    });
  }

  return {
    async list(raw: unknown): Promise<ResourceRecord[]> {
      const { spaceId } = parseInput(z.object({ spaceId: Id }), raw);
      return resourceRepository.ofSpace(store, spaceId);
    },

    async find(id: string): Promise<ResourceRecord | undefined> {
      return resourceRepository.find(store, id);
    },

    async create(_viewer: Viewer, raw: unknown): Promise<ResourceRecord> {
      return save(null, parseInput(ResourceInput, raw));
    },

    async update(_viewer: Viewer, id: string, raw: unknown): Promise<ResourceRecord> {
      const changes = parseInput(ResourceChanges, raw);
      const current = await resourceRepository.find(store, id);
      if (!current) throw new MaillageError("NOT_FOUND", `no resource ${id}`, { id });
      const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = current;
      return save(id, parseInput(ResourceInput, { ...fields, ...changes }));
    },

    /** A resource's bookings: all for the fabrique's team, its own space's for a satellite. */
    async bookings(viewer: Viewer, resourceId: string): Promise<BookingRecord[]> {
      const all = await resourceRepository.bookingsOf(store, resourceId);
      return all.filter((b) => canSeeBooking(viewer, b));
    },

    async book(viewer: Viewer, raw: unknown): Promise<BookingRecord> {
      const input = parseInput(BookInput, raw);
      if (input.from.getTime() >= input.to.getTime()) {
        throw refused("INVALID_RANGE", "to: must be after from", { field: "to" });
      }
      try {
        return await store.transaction(async (tx) => {
          const resource = await resourceRepository.findForBooking(tx, input.resourceId);
          if (!resource) {
            throw new MaillageError("NOT_FOUND", `no resource ${input.resourceId}`, {
              field: "resourceId",
            });
          }
          await assertBeneficiary(tx, viewer, input);
          assertRules(resource, input.from, input.to, now());
          return resourceRepository.insertBooking(tx, {
            id: ulid(),
            resourceId: resource.id,
            from: input.from,
            to: input.to,
            forMember: input.forMember ?? null,
            forSpace: input.forSpace ?? null,
          });
        });
      } catch (error) {
        if (isExclusionViolation(error)) {
          throw refused("SLOT_TAKEN", "the resource is already booked for part of this slot", {
            resourceId: input.resourceId,
          });
        }
        throw error;
      }
    },

    async cancelBooking(viewer: Viewer, id: string): Promise<BookingRecord> {
      return store.transaction(async (tx) => {
        const booking = await resourceRepository.findBooking(tx, id);
        if (!booking || !canSeeBooking(viewer, booking)) {
          // A satellite does not learn of other spaces' bookings.
          throw new MaillageError("NOT_FOUND", `no booking ${id}`, { id });
        }
        if (booking.status === "CANCELLED") {
          throw refused("ALREADY_CANCELLED", "the booking is already cancelled", { id });
        }
        const resource = await resourceRepository.find(tx, booking.resourceId);
        const deadline = booking.from.getTime() - (resource?.cancelDeadlineMinutes ?? 0) * 60_000;
        if (now().getTime() > deadline) {
          throw refused(
            "CANCEL_DEADLINE_PASSED",
            `this booking could be cancelled until ${new Date(deadline).toISOString()}`,
            { deadline: new Date(deadline).toISOString() },
          );
        }
        const cancelled = await resourceRepository.cancelBooking(tx, id);
        if (!cancelled) {
          throw refused("ALREADY_CANCELLED", "the booking is already cancelled", { id });
        }
        return cancelled;
      });
    },
  };
}
