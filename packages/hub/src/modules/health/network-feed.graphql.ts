import { MaillageError } from "@maillage/schema";
import { Repeater } from "graphql-yoga";
import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { followPages } from "../../realtime/follow.ts";
import { reportOffsetsMove } from "../sync/change-log.repository.ts";
import {
  networkEventsEnd,
  readNetworkEvents,
  type StoredNetworkEvent,
} from "./network-events.repository.ts";

/**
 * `networkEvents`: the national body's live feed — spaces registered, changed or closed,
 * nodes going ONLINE/STALE/SILENT, activity arriving with the month's updated totals, visits
 * recorded (counts only, MOBILITY). Each
 * event carries its cursor; subscribing again with the last one resumes without a gap.
 */

const NetworkEventKindEnum = builder.enumType("NetworkEventKind", {
  values: [
    "SPACE_CREATED",
    "SPACE_UPDATED",
    "SPACE_CLOSED",
    "NODE_STATUS",
    "ACTIVITY",
    "MOBILITY",
  ] as const,
});

type MonthTotals = {
  month: string;
  visitors: number;
  events: number;
  participants: number;
  openHours: number;
  reports: number;
};

const MonthTotalsRef = builder.objectRef<MonthTotals>("MonthTotals").implement({
  fields: (t) => ({
    month: t.exposeString("month", { description: "YYYY-MM" }),
    visitors: t.exposeInt("visitors"),
    events: t.exposeInt("events"),
    participants: t.exposeInt("participants"),
    openHours: t.exposeFloat("openHours"),
    reports: t.exposeInt("reports"),
  }),
});

type Feed = StoredNetworkEvent & { showNation: boolean };
type CursorAhead = NonNullable<Parameters<typeof readNetworkEvents>[4]>;
const p = (e: Feed) => e.payload as Record<string, unknown>;

const NetworkEventRef = builder.objectRef<Feed>("NetworkEvent").implement({
  fields: (t) => ({
    cursor: t.exposeString("offset", {
      description: "Pass it as `after` to resume after this event",
    }),
    kind: t.field({ type: NetworkEventKindEnum, resolve: (e) => e.kind }),
    at: t.expose("recordedAt", { type: "DateTime" }),
    fabriqueId: t.exposeString("networkId", { description: "The fabrique territory (raw id)" }),
    spaceId: t.string({ nullable: true, resolve: (e) => (p(e).spaceId as string) ?? null }),
    spaceName: t.string({ nullable: true, resolve: (e) => (p(e).name as string) ?? null }),
    regionCode: t.string({ nullable: true, resolve: (e) => (p(e).regionCode as string) ?? null }),
    departmentCode: t.string({
      nullable: true,
      resolve: (e) => (p(e).departmentCode as string) ?? null,
    }),
    nodeId: t.string({ nullable: true, resolve: (e) => (p(e).nodeId as string) ?? null }),
    liveness: t.string({ nullable: true, resolve: (e) => (p(e).liveness as string) ?? null }),
    reports: t.int({
      nullable: true,
      description: "Reports that arrived",
      resolve: (e) => (p(e).reports as number) ?? null,
    }),
    visits: t.int({
      nullable: true,
      description: "MOBILITY: visits recorded or changed at the territory's places (a count only)",
      resolve: (e) => (e.kind === "MOBILITY" ? ((p(e).visits as number) ?? null) : null),
    }),
    territoryTotals: t.field({
      type: MonthTotalsRef,
      nullable: true,
      description: "The fabrique territory's totals for the month of the latest report",
      resolve: (e) => (p(e).territory as MonthTotals) ?? null,
    }),
    nationTotals: t.field({
      type: MonthTotalsRef,
      nullable: true,
      description: "National totals for that month (NATIONAL only)",
      resolve: (e) => (e.showNation ? ((p(e).nation as MonthTotals) ?? null) : null),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  networkEvents: t.field({
    type: NetworkEventRef,
    authScopes: { national: true, anyFabriqueAdmin: true },
    description:
      "The network's live feed (a fabrique's team: its territory). Without `after`, from now on.",
    args: { after: t.arg.string({ description: "The cursor of the last event received" }) },
    subscribe: (_parent, args, ctx) => {
      const viewer = viewerOf(ctx);
      if (args.after != null && !/^\d{1,19}$/.test(args.after)) {
        throw new MaillageError("BAD_USER_INPUT", "after: a cursor of this feed", {
          field: "after",
        });
      }
      const networkId = viewer.role === "NATIONAL" ? null : (viewer.fabriqueId ?? "");
      // A cursor beyond the feed's end (a hub restored from a backup) moves its offsets once
      // (later reads find them past it): a warning then, as for a node's pull; one too far
      // ahead is left alone at every read, and said once per subscription.
      const tooFarReported = new Set<string>(); // once per subscription
      const onCursorAhead: CursorAhead = (ahead) =>
        reportOffsetsMove(
          ctx.logger,
          { cursorOf: "a networkEvents", log: "feed", who: "the subscriber", details: {} },
          ahead,
          { keys: tooFarReported, key: "feed" },
        );
      return new Repeater<Feed>(async (push, stop) => {
        const start = args.after ?? (await networkEventsEnd(ctx.store));
        const pages = followPages(
          ctx.pubsub,
          "network:appended",
          start,
          (cursor) => readNetworkEvents(ctx.store, cursor, networkId, 200, onCursorAhead),
          (page) => page.events.length > 0,
        );
        stop.then(() => pages.return());
        for await (const page of pages) {
          for (const event of page.events) await push({ ...event, showNation: networkId === null });
        }
        stop();
      });
    },
    resolve: (event) => event,
  }),
}));
