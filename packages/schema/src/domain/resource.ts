import { z } from "zod";

/**
 * Shared resources: what they are, when they open, and how their availability is computed.
 * The owner node enforces the rules (it alone can guarantee no double booking); the hub and
 * other nodes use the same functions on their replicas to show availability.
 */
export const RESOURCE_CATEGORIES = ["MACHINE", "ROOM", "VEHICLE", "KIT", "DESK", "OTHER"] as const;
export type ResourceCategory = (typeof RESOURCE_CATEGORIES)[number];

/**
 * Who may book it. LOCAL: the owner's own network (its fabrique and satellites); NETWORK: any
 * node of Maillage, through a booking request; NATIONAL: the same, and it is also listed to
 * the national body in discovery (it is part of the national offer).
 */
export const SHARING_SCOPES = ["LOCAL", "NETWORK", "NATIONAL"] as const;
export type SharingScope = (typeof SHARING_SCOPES)[number];

export const RESOURCE_STATUSES = ["AVAILABLE", "MAINTENANCE", "RETIRED"] as const;
export type ResourceStatus = (typeof RESOURCE_STATUSES)[number];

/** The time zone of every availability window and closure. */
export const AVAILABILITY_ZONE = "Europe/Paris";
export const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

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

/**
 * A weekly availability window: open from `opens` to `closes` (Europe/Paris wall clock; closes
 * may be 24:00) on the days of `rrule`.
 */
export const AvailabilityWindow = z
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
export type AvailabilityWindow = z.infer<typeof AvailabilityWindow>;

export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "YYYY-MM-DD", abort: true })
  .refine((d) => {
    // An impossible day (2026-13-45) is an Invalid Date: refused, never thrown.
    const day = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(d);
  }, "not a date");

/** Days (Europe/Paris dates, both included) when the resource is closed; `to` defaults to `from`. */
export const Closure = z
  .object({ from: IsoDate, to: IsoDate.nullish() })
  .strict()
  .transform((c) => ({ from: c.from, to: c.to ?? c.from }))
  .refine((c) => c.to >= c.from, { path: ["to"], message: "must not be before from" });
export type Closure = { from: string; to: string };

const MINUTES_MAX = 60 * 24 * 366;
const Minutes = z.number().int().min(0).max(MINUTES_MAX);
const Id = z.string().trim().min(1).max(64);
const Instant = z.iso.datetime({ offset: true });

/**
 * A resource's replicated state (entity RESOURCE, owned by the node that created it; entityId
 * = the resource id). Hosted at a space of the owner's network. DELETE never happens: a
 * resource that leaves the network is RETIRED.
 */
export const ResourcePayload = z
  .object({
    spaceId: Id,
    name: z.string().trim().min(1).max(200),
    category: z.enum(RESOURCE_CATEGORIES),
    description: z.string().trim().max(4000).nullable(),
    sharingScope: z.enum(SHARING_SCOPES),
    /** A credential type a member must hold to book it (see CredentialPayload), or null. */
    requiredCredential: z.string().trim().min(1).max(200).nullable(),
    minMinutes: Minutes.min(1),
    maxMinutes: Minutes.min(1),
    leadMinutes: Minutes,
    cancelDeadlineMinutes: Minutes,
    status: z.enum(RESOURCE_STATUSES),
    movable: z.boolean(),
    /** Requests from other nodes wait for a person's decision instead of the rules alone. */
    approvalRequired: z.boolean(),
    windows: z.array(AvailabilityWindow).max(100),
    closures: z.array(Closure).max(1000),
  })
  .strict()
  .refine((r) => r.maxMinutes >= r.minMinutes, {
    path: ["maxMinutes"],
    message: "must not be less than minMinutes",
  });
export type ResourcePayload = z.infer<typeof ResourcePayload>;

/** The replicated part of a resource record (what its RESOURCE events carry), whatever else the record holds. */
export function resourcePayloadOf(r: ResourcePayload): ResourcePayload {
  return {
    spaceId: r.spaceId,
    name: r.name,
    category: r.category,
    description: r.description,
    sharingScope: r.sharingScope,
    requiredCredential: r.requiredCredential,
    minMinutes: r.minMinutes,
    maxMinutes: r.maxMinutes,
    leadMinutes: r.leadMinutes,
    cancelDeadlineMinutes: r.cancelDeadlineMinutes,
    status: r.status,
    movable: r.movable,
    approvalRequired: r.approvalRequired,
    windows: r.windows,
    closures: r.closures,
  };
}

export const BOOKING_KINDS = ["BOOKING", "LOAN"] as const;
export type BookingKind = (typeof BOOKING_KINDS)[number];

/**
 * A slot the owner has given away (entity BOOKING, owned by the resource's owner; entityId =
 * the booking id): a booking, or a loan's period away from home. No person in it: who booked
 * stays at the owner (and at the requester for a request). The hub and the other nodes keep
 * these to show availability; only CONFIRMED ones occupy the slot.
 */
export const BookingPayload = z
  .object({
    resourceId: Id,
    kind: z.enum(BOOKING_KINDS),
    startsAt: Instant,
    endsAt: Instant,
    status: z.enum(["CONFIRMED", "CANCELLED"]),
    /** The booking request it answers, when it came from another node. */
    requestId: Id.nullable(),
  })
  .strict()
  .refine((b) => Date.parse(b.startsAt) < Date.parse(b.endsAt), {
    path: ["endsAt"],
    message: "must be after startsAt",
  });
export type BookingPayload = z.infer<typeof BookingPayload>;

/**
 * A request to book (or borrow) a resource owned by another node (entity BOOKING_REQUEST,
 * owned by the requester's node; entityId = the request id). The hub routes it to the
 * resource's owner only. For a BOOKING it is for one member (pseudonymous id) or one space of
 * the requester's network; for a LOAN, `forSpaceId` is where the resource goes. The requester
 * withdraws it by sending it again with `cancelled: true`.
 */
export const BookingRequestPayload = z
  .object({
    resourceId: Id,
    kind: z.enum(BOOKING_KINDS),
    startsAt: Instant,
    endsAt: Instant,
    forMemberId: Id.nullable(),
    forSpaceId: Id.nullable(),
    cancelled: z.boolean(),
  })
  .strict()
  .refine((r) => Date.parse(r.startsAt) < Date.parse(r.endsAt), {
    path: ["endsAt"],
    message: "must be after startsAt",
  })
  .refine((r) => (r.forMemberId === null) !== (r.forSpaceId === null), {
    path: ["forMemberId"],
    message: "exactly one of forMemberId and forSpaceId",
  })
  .refine((r) => r.kind === "BOOKING" || r.forSpaceId !== null, {
    path: ["forSpaceId"],
    message: "a loan goes to a space",
  });
export type BookingRequestPayload = z.infer<typeof BookingRequestPayload>;

export const DECISION_STATUSES = ["CONFIRMED", "DECLINED", "CANCELLED"] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];
export const LOAN_STATUSES = ["CONFIRMED", "CHECKED_OUT", "RETURNED"] as const;
export type LoanStatus = (typeof LOAN_STATUSES)[number];

/**
 * The owner's answer to a booking request (entity BOOKING_DECISION, owned by the resource's
 * owner; entityId = the request id). The hub routes it to the requester's node only. Sent again
 * when it changes: cancelled by the owner, or a loan handed over and returned.
 */
export const BookingDecisionPayload = z
  .object({
    resourceId: Id,
    status: z.enum(DECISION_STATUSES),
    /** Why it was declined or cancelled, in words; a documented code in `reasonCode`. */
    reason: z.string().max(1000).nullable(),
    reasonCode: z.string().max(64).nullable(),
    /** The booking it created (CONFIRMED), for the record. */
    bookingId: Id.nullable(),
    /** For a loan: where it stands and which space holds the resource now. */
    loan: z
      .object({
        status: z.enum(LOAN_STATUSES),
        holderSpaceId: Id,
        checkedOutAt: Instant.nullable(),
        returnedAt: Instant.nullable(),
      })
      .strict()
      .nullable(),
    decidedAt: Instant,
  })
  .strict();
export type BookingDecisionPayload = z.infer<typeof BookingDecisionPayload>;

export const CredentialType = z.string().trim().min(1).max(200);

/**
 * A credential a member holds (entity CREDENTIAL, owned by the node that issued it: the member's
 * home node, or a training's organiser; entityId = the credential id), replicated network-wide by pseudonymous member id so that any owner can
 * check it before a booking. DELETE revokes it.
 */
export const CredentialPayload = z
  .object({
    memberId: Id,
    type: CredentialType,
    issuedAt: Instant,
    /** After this instant it no longer counts; null: it does not expire. */
    expiresAt: Instant.nullable(),
    /**
     * The training whose attendance issued it (then owned by the training's organiser node,
     * which may be another network's than the member's home); null: granted by the home team.
     */
    trainingId: Id.nullable().default(null),
    /**
     * The credential as an Open Badges 3.0 OpenBadgeCredential (VC-JWT, EdDSA), signed by the
     * issuing node's key; null for credentials issued before signing existed.
     */
    vc: z.string().max(20_000).nullable().default(null),
  })
  .strict();
export type CredentialPayload = z.infer<typeof CredentialPayload>;

/** Whether a credential counts at `at` for a booking starting then. */
export function credentialValid(
  credential: { expiresAt: string | Date | null },
  at: Date,
): boolean {
  if (credential.expiresAt === null) return true;
  return new Date(credential.expiresAt).getTime() > at.getTime();
}

// ── Time on the Europe/Paris wall clock ──────────────────────────────────────────────────

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

/** The instant at `minute` minutes after midnight of the Paris date `date` (DST-aware). */
export function parisInstant(date: string, minute: number): Date {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d) + minute * 60_000;
  // The Paris offset is +1 h or +2 h: try both, keep the one that reads back as asked.
  for (const offsetHours of [1, 2]) {
    const candidate = new Date(naive - offsetHours * 3_600_000);
    const wall = parisWallClock(candidate);
    const back = wall.date === date ? wall.minute : wall.date > date ? wall.minute + 1440 : -1;
    if (Math.abs(back - minute) < 1e-6) return candidate;
  }
  // A wall-clock time that does not exist (the spring-forward hour): the instant it becomes.
  return new Date(naive - 3_600_000);
}

function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

const WEEKDAY_OF_UTC_DAY: Weekday[] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

export type Interval = { from: Date; to: Date };

type Schedule = { windows: readonly AvailabilityWindow[]; closures: readonly Closure[] };

/** Whether [from, to) lies entirely inside one window, on a day that is not a closure. */
export function isWithinAvailability(resource: Schedule, from: Date, to: Date): boolean {
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

/**
 * The resource's opening intervals inside [from, to): each window of each open Paris day,
 * clipped to the range, in order and merged where they touch. No window: the whole range.
 */
export function openIntervals(resource: Schedule, from: Date, to: Date): Interval[] {
  if (from.getTime() >= to.getTime()) return [];
  if (resource.windows.length === 0) return [{ from, to }];
  const rules = resource.windows.flatMap((w) => {
    const days = parseWeeklyRule(w.rrule);
    return typeof days === "string"
      ? []
      : [{ days, opens: minutesOf(w.opens), closes: minutesOf(w.closes) }];
  });
  const out: Interval[] = [];
  const last = parisWallClock(to).date;
  for (let date = parisWallClock(from).date; date <= last; date = nextDate(date)) {
    if (resource.closures.some((c) => c.from <= date && date <= c.to)) continue;
    const weekday = WEEKDAY_OF_UTC_DAY[new Date(`${date}T12:00:00Z`).getUTCDay()] as Weekday;
    const today = rules
      .filter((r) => r.days.has(weekday))
      .map((r) => ({ from: parisInstant(date, r.opens), to: parisInstant(date, r.closes) }))
      .sort((a, b) => a.from.getTime() - b.from.getTime());
    for (const slot of today) {
      const start = Math.max(slot.from.getTime(), from.getTime());
      const end = Math.min(slot.to.getTime(), to.getTime());
      if (start >= end) continue;
      const previous = out.at(-1);
      if (previous && previous.to.getTime() >= start) {
        if (end > previous.to.getTime()) previous.to = new Date(end);
      } else out.push({ from: new Date(start), to: new Date(end) });
    }
  }
  return out;
}

/**
 * The free slots of a resource in [from, to): its opening intervals minus the busy ones
 * (confirmed bookings and loans, in any order, overlapping or not), keeping only slots of at
 * least `minMinutes`.
 */
export function freeSlots(
  resource: Schedule,
  busy: readonly Interval[],
  from: Date,
  to: Date,
  minMinutes = 0,
): Interval[] {
  const taken = [...busy]
    .filter((b) => b.to.getTime() > from.getTime() && b.from.getTime() < to.getTime())
    .sort((a, b) => a.from.getTime() - b.from.getTime());
  const out: Interval[] = [];
  for (const open of openIntervals(resource, from, to)) {
    let cursor = open.from.getTime();
    const end = open.to.getTime();
    for (const b of taken) {
      if (b.to.getTime() <= cursor) continue;
      if (b.from.getTime() >= end) break;
      if (b.from.getTime() > cursor) out.push({ from: new Date(cursor), to: b.from });
      cursor = Math.max(cursor, b.to.getTime());
      if (cursor >= end) break;
    }
    if (cursor < end) out.push({ from: new Date(cursor), to: new Date(end) });
  }
  return out.filter((s) => s.to.getTime() - s.from.getTime() >= minMinutes * 60_000);
}
