import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { MaillageError, parseInput } from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import { memberRepository } from "../members/member.repository.ts";
import { enrolmentRepository } from "../trainings/enrolment.repository.ts";
import { TRAINING_TEXTS } from "../trainings/texts.ts";
import { type TrainingRecord, trainingRepository } from "../trainings/training.repository.ts";
import {
  type CalendarBooking,
  type CalendarFeedRecord,
  type CalendarFeedTarget,
  calendarRepository,
} from "./calendar.repository.ts";
import { type CalendarEvent, renderCalendar } from "./ical.ts";

/**
 * Calendar feeds (issue 5, point 8): a read-only iCalendar feed of the bookings of one resource
 * or one space, at `/calendar/<id>.ics?token=<secret>`, for the calendar people already use.
 *
 * - The secret (32 random bytes, base64url) is shown once, in the URL `createFeed` returns;
 *   only its SHA-256 is stored. `renderFeed` compares hashes in constant time.
 * - Rights, for creating and revoking: the fabrique's team for any resource of this node and
 *   any space of its network; a satellite for its own space and the resources hosted there;
 *   nobody else (FORBIDDEN). An unknown target is NOT_FOUND; a feed a satellite may not manage
 *   is NOT_FOUND to it, as if it did not exist.
 * - Revoking is final and takes effect at once (the next fetch is a 404); revoking twice is
 *   INVALID_TRANSITION.
 * - A feed lists CONFIRMED bookings still running 30 days ago or later: a resource's feed its
 *   bookings; a space's feed the bookings of the resources it hosts and those made for it.
 *   An event names the resource and, for a booking for a space, that space; a booking for a
 *   member says "Réservé (adhérent)" and nothing else about them.
 * - Trainings (issue 10): a space's feed also lists the scheduled trainings held there (this
 *   node's, and other nodes' NETWORK and NATIONAL ones known here), by title, never who
 *   enrolled. A member may have a feed of their own enrolments (target MEMBER): the member
 *   itself, its satellite or the team creates it; a place in line or one not answered yet is
 *   TENTATIVE; the feed names the trainings only (no name of the member in it). Training
 *   entries read in French (trainings/texts.ts: "Formation : <title>").
 */
export type CalendarService = ReturnType<typeof createCalendarService>;

/** How far back a feed goes. */
export const FEED_PAST_DAYS = 30;
/** At most this many events per feed (the earliest first). */
export const FEED_MAX_EVENTS = 2000;
/** Octets of a feed's secret. */
const SECRET_BYTES = 32;
/** What a feed's event says of a booking for a member: never who. */
export const MEMBER_BOOKING_SUMMARY = "Réservé (adhérent)";

const Id = z.string().trim().min(1).max(200);

const CreateFeedInput = z
  .object({
    resourceId: Id.optional(),
    spaceId: Id.optional(),
    memberId: Id.optional(),
    label: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
  .refine(
    (i) => [i.resourceId, i.spaceId, i.memberId].filter((x) => x !== undefined).length === 1,
    { path: ["resourceId"], message: "give exactly one of resourceId, spaceId and memberId" },
  );

/** What a member's feed says of a training by the enrolment's status. */
const TRAINING_EVENT_STATUS = {
  ENROLLED: "CONFIRMED",
  ATTENDED: "CONFIRMED",
  OFFERED: "TENTATIVE",
  WAITLISTED: "TENTATIVE",
  PENDING: "TENTATIVE",
} as const;

/** The path of a feed, relative to the agent's base URL, secret included. */
export function feedPath(feedId: string, token: string): string {
  return `/calendar/${encodeURIComponent(feedId)}.ics?token=${encodeURIComponent(token)}`;
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Compared against when the feed does not exist, so that a miss costs what a hit does. */
const NO_FEED_HASH = sha256("no such feed");

export function createCalendarService(deps: {
  store: SqlStore;
  fabriqueId: string;
  /** The fabrique's name, for its own space when no row of it is stored here. */
  fabriqueName: string;
  now?: () => Date;
  /** Source of the feeds' secrets (tests pin it). */
  randomBytes?: (size: number) => Buffer;
}) {
  const { store, fabriqueId, fabriqueName } = deps;
  const now = deps.now ?? (() => new Date());
  const random = deps.randomBytes ?? randomBytes;

  /**
   * Whether the viewer may create or revoke a feed of this target: OK, NOT_FOUND (no such
   * target here) or FORBIDDEN.
   */
  async function rightsOn(
    db: SqlSession,
    viewer: Viewer,
    target: CalendarFeedTarget,
    targetId: string,
  ): Promise<"OK" | "NOT_FOUND" | "FORBIDDEN"> {
    if (target === "MEMBER") {
      // A member homed here: the team, its own space's satellite, the member itself.
      const member = await memberRepository.find(db, targetId);
      if (!member?.owned) return "NOT_FOUND";
      if (viewer.role === "FABRIQUE_ADMIN") return "OK";
      if (viewer.role === "SATELLITE")
        return member.homeSpaceId === viewer.spaceId ? "OK" : "FORBIDDEN";
      return viewer.memberId === member.id ? "OK" : "FORBIDDEN";
    }
    if (viewer.role !== "FABRIQUE_ADMIN" && viewer.role !== "SATELLITE") return "FORBIDDEN";
    if (target === "RESOURCE") {
      // Every resource stored here is this node's own.
      const host = await calendarRepository.resourceHost(db, targetId);
      if (!host) return "NOT_FOUND";
      return viewer.role === "FABRIQUE_ADMIN" || host.spaceId === viewer.spaceId
        ? "OK"
        : "FORBIDDEN";
    }
    const space = targetId === fabriqueId ? null : await calendarRepository.space(db, targetId);
    if (targetId !== fabriqueId && !space) return "NOT_FOUND";
    if (viewer.role === "SATELLITE") return targetId === viewer.spaceId ? "OK" : "FORBIDDEN";
    return targetId === fabriqueId || space?.fabriqueId === fabriqueId ? "OK" : "FORBIDDEN";
  }

  function summaryOf(booking: CalendarBooking): string {
    if (booking.forMember) return `${booking.resourceName} — ${MEMBER_BOOKING_SUMMARY}`;
    const space =
      booking.forSpaceName ?? (booking.forSpace === fabriqueId ? fabriqueName : "a space");
    return `${booking.resourceName} — ${space}`;
  }

  function eventOf(booking: CalendarBooking): CalendarEvent {
    const location =
      booking.hostSpaceName ?? (booking.hostSpaceId === fabriqueId ? fabriqueName : undefined);
    return {
      uid: `${booking.id}@maillage`,
      start: booking.from,
      end: booking.to,
      summary: summaryOf(booking),
      created: booking.createdAt,
      ...(location === undefined ? {} : { location }),
    };
  }

  function trainingEvent(
    training: Pick<TrainingRecord, "id" | "title" | "startsAt" | "endsAt" | "createdAt">,
    status: CalendarEvent["status"],
    location: string | undefined,
  ): CalendarEvent {
    return {
      uid: `${training.id}@maillage`,
      start: training.startsAt,
      end: training.endsAt,
      summary: TRAINING_TEXTS.calendarSummary(training.title),
      created: training.createdAt,
      status,
      ...(location === undefined ? {} : { location }),
    };
  }

  return {
    /**
     * A new feed of a resource, a space or a member (exactly one), and its URL path with the secret:
     * shown this once, never stored.
     */
    async createFeed(
      viewer: Viewer,
      raw: unknown,
    ): Promise<{ feed: CalendarFeedRecord; url: string }> {
      const input = parseInput(CreateFeedInput, raw);
      const target: CalendarFeedTarget =
        input.resourceId !== undefined
          ? "RESOURCE"
          : input.spaceId !== undefined
            ? "SPACE"
            : "MEMBER";
      const targetId = (input.resourceId ?? input.spaceId ?? input.memberId) as string;
      if (viewer.role !== "FABRIQUE_ADMIN" && viewer.role !== "SATELLITE" && target !== "MEMBER") {
        throw new MaillageError("FORBIDDEN", "calendar feeds are for the fabrique and satellites");
      }
      const token = random(SECRET_BYTES).toString("base64url");
      const feed = await store.transaction(async (tx) => {
        const rights = await rightsOn(tx, viewer, target, targetId);
        const field =
          target === "RESOURCE" ? "resourceId" : target === "SPACE" ? "spaceId" : "memberId";
        if (rights === "NOT_FOUND") {
          throw new MaillageError("NOT_FOUND", `no ${target.toLowerCase()} ${targetId}`, {
            field,
          });
        }
        if (rights === "FORBIDDEN") {
          throw new MaillageError(
            "FORBIDDEN",
            "a satellite makes feeds of its own space, of the resources it hosts and of its members; a member of itself; the fabrique's team of its network's",
            { field },
          );
        }
        return calendarRepository.insert(tx, {
          id: ulid(),
          target,
          targetId,
          tokenSha256: sha256(token),
          label: input.label ?? null,
          createdByRole: viewer.role as CalendarFeedRecord["createdByRole"],
          createdBySub: viewer.sub,
        });
      });
      return { feed, url: feedPath(feed.id, token) };
    },

    /** Revokes a feed for good: its URL answers 404 from now on. */
    async revokeFeed(viewer: Viewer, id: string): Promise<CalendarFeedRecord> {
      return store.transaction(async (tx) => {
        const feed = await calendarRepository.find(tx, id);
        // The fabrique's team manages every feed of this node, even one whose target is gone.
        const visible =
          feed !== undefined &&
          (viewer.role === "FABRIQUE_ADMIN" ||
            (await rightsOn(tx, viewer, feed.target, feed.targetId)) === "OK");
        if (!feed || !visible)
          throw new MaillageError("NOT_FOUND", `no calendar feed ${id}`, { id });
        const revoked = await calendarRepository.revoke(tx, id);
        if (!revoked) {
          throw new MaillageError("INVALID_TRANSITION", "the calendar feed is already revoked", {
            id,
            status: "REVOKED",
            revokedAt: feed.revokedAt?.toISOString(),
          });
        }
        return revoked;
      });
    },

    /** The feeds the viewer manages, newest first, revoked ones included; never a secret. */
    async listFeeds(viewer: Viewer): Promise<CalendarFeedRecord[]> {
      if (viewer.role === "FABRIQUE_ADMIN") return calendarRepository.list(store);
      if (viewer.role === "SATELLITE" && viewer.spaceId) {
        return calendarRepository.listOfSpace(store, viewer.spaceId);
      }
      if (viewer.role === "MEMBER" && viewer.memberId) {
        return calendarRepository.listOfMember(store, viewer.memberId);
      }
      throw new MaillageError("FORBIDDEN", "calendar feeds are for the fabrique and satellites");
    },

    /**
     * The feed as iCalendar text; null when there is no such feed, the token is wrong, the
     * feed is revoked or its target is gone — the caller answers all of them alike.
     */
    async renderFeed(feedId: string, token: string): Promise<string | null> {
      const feed = await calendarRepository.findForRender(store, feedId);
      const given = sha256(token);
      const expected = feed?.tokenSha256.length === given.length ? feed.tokenSha256 : NO_FEED_HASH;
      const tokenMatches = timingSafeEqual(given, expected);
      if (!feed || !tokenMatches || feed.revokedAt !== null) return null;

      const at = now();
      if (feed.target === "MEMBER") {
        // The member's own trainings; an erased member's feed is gone.
        const member = await memberRepository.find(store, feed.targetId);
        if (!member?.owned) return null;
        const since = new Date(at.getTime() - FEED_PAST_DAYS * 86_400_000);
        const places = await enrolmentRepository.calendarOfMember(
          store,
          member.id,
          since,
          FEED_MAX_EVENTS,
        );
        return renderCalendar({
          name: feed.label ?? TRAINING_TEXTS.memberFeedName(fabriqueName),
          description: TRAINING_TEXTS.memberFeedDescription,
          stamp: at,
          events: places.map((p) =>
            trainingEvent(
              {
                id: p.trainingId,
                title: p.title,
                startsAt: p.startsAt,
                endsAt: p.endsAt,
                createdAt: p.createdAt,
              },
              TRAINING_EVENT_STATUS[p.status as keyof typeof TRAINING_EVENT_STATUS] ?? "TENTATIVE",
              undefined,
            ),
          ),
        });
      }
      const isFabrique = feed.target === "SPACE" && feed.targetId === fabriqueId;
      const targetName = feed.targetName ?? (isFabrique ? fabriqueName : null);
      if (targetName === null) return null;

      const since = new Date(at.getTime() - FEED_PAST_DAYS * 86_400_000);
      const bookings =
        feed.target === "RESOURCE"
          ? await calendarRepository.bookingsOfResource(
              store,
              feed.targetId,
              since,
              FEED_MAX_EVENTS,
            )
          : await calendarRepository.bookingsOfSpace(store, feed.targetId, since, FEED_MAX_EVENTS);
      const hostName = feed.hostName ?? (feed.hostId === fabriqueId ? fabriqueName : null);
      const defaultName = hostName === null ? targetName : `${targetName} (${hostName})`;
      return renderCalendar({
        name: feed.label ?? defaultName,
        description:
          feed.target === "RESOURCE"
            ? `Bookings of ${defaultName}, from Maillage`
            : `Bookings at and for ${targetName}, from Maillage`,
        stamp: at,
        events:
          feed.target === "RESOURCE"
            ? bookings.map(eventOf)
            : [
                ...bookings.map(eventOf),
                // The trainings held at the space (scheduled ones), by title.
                ...(await trainingRepository.atVenue(store, feed.targetId, since, FEED_MAX_EVENTS))
                  .filter((tr) => tr.status === "SCHEDULED")
                  .map((tr) => trainingEvent(tr, "CONFIRMED", targetName)),
              ]
                .sort((a, b) => a.start.getTime() - b.start.getTime())
                .slice(0, FEED_MAX_EVENTS),
      });
    },
  };
}
