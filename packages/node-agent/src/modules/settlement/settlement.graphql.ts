import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import {
  type SettlementStatement,
  type StatementLine,
  statementCsv,
} from "./settlement.service.ts";
import type { TariffRecord } from "./tariff.repository.ts";

/** Tariffs and settlement statements in GraphQL: see settlement.service.ts for the rules. */

const TariffUnitEnum = builder.enumType("TariffUnit", {
  description: "What a tariff version charges for",
  values: {
    VISIT: { description: "Each visit" },
    DAY: { description: "Each distinct member-day (several visits of a member in a day: one)" },
    NONE: { description: "Nothing: no tariff, or a free version" },
  } as const,
});

const TariffRef = builder.objectRef<TariffRecord>("Tariff").implement({
  description:
    "A version of what a space charges the home place for a visit of one of its members, from a day on (the latest version starting on or before a visit's day applies). Integer euro cents; per visit or per day; both null: free.",
  fields: (t) => ({
    spaceId: t.exposeID("spaceId"),
    validFrom: t.exposeString("validFrom", { description: "YYYY-MM-DD, the space's local date" }),
    perVisitCents: t.exposeInt("perVisitCents", { nullable: true }),
    perDayCents: t.exposeInt("perDayCents", { nullable: true }),
    owned: t.exposeBoolean("owned", { description: "True at the space's node, which sets it" }),
  }),
});

const SettlementLineRef = builder.objectRef<StatementLine>("SettlementLine").implement({
  description:
    "The visits of one month from a home place to a visited place under one tariff version",
  fields: (t) => ({
    homeSpaceId: t.exposeID("homeSpaceId"),
    homeSpaceName: t.exposeString("homeSpaceName"),
    spaceId: t.exposeID("spaceId", { description: "The visited space" }),
    spaceName: t.exposeString("spaceName"),
    tariffValidFrom: t.exposeString("tariffValidFrom", {
      nullable: true,
      description: "The version applied; null when the space had none (nothing charged)",
    }),
    unit: t.field({ type: TariffUnitEnum, resolve: (l) => l.unit }),
    unitCents: t.exposeInt("unitCents"),
    visits: t.exposeInt("visits"),
    days: t.exposeInt("days", { description: "Distinct member-days" }),
    amountCents: t.exposeInt("amountCents"),
  }),
});

const SettlementTotalsRef = builder
  .objectRef<SettlementStatement["totals"]>("SettlementTotals")
  .implement({
    fields: (t) => ({
      owesCents: t.exposeInt("owesCents", { description: "What this network owes" }),
      owedCents: t.exposeInt("owedCents", { description: "What this network is owed" }),
      netCents: t.exposeInt("netCents", {
        description: "owed − owes: positive, the counterpart pays this network the difference",
      }),
      visits: t.exposeInt("visits"),
      days: t.exposeInt("days"),
    }),
  });

const SettlementStatementRef = builder
  .objectRef<SettlementStatement>("SettlementStatement")
  .implement({
    description:
      "A month between this network and another, computed from the visit records and tariff versions both ends hold: the counterpart's statement has the same lines, owes and owed swapped.",
    fields: (t) => ({
      period: t.exposeString("period", { description: "YYYY-MM" }),
      fabriqueId: t.exposeID("fabriqueId"),
      counterpartFabriqueId: t.exposeID("counterpartFabriqueId"),
      owes: t.field({
        type: [SettlementLineRef],
        description: "This network's members at the counterpart's spaces",
        resolve: (s) => s.owes,
      }),
      owed: t.field({
        type: [SettlementLineRef],
        description: "The counterpart's members at this network's spaces",
        resolve: (s) => s.owed,
      }),
      totals: t.field({ type: SettlementTotalsRef, resolve: (s) => s.totals }),
      csv: t.string({
        description: "The statement as CSV (RFC 4180): lines, then totals; cents and euros",
        resolve: (s) => statementCsv(s),
      }),
      json: t.string({
        description: "The statement as JSON text (the same fields)",
        resolve: (s) => JSON.stringify(s),
      }),
    }),
  });

builder.queryFields((t) => ({
  tariffs: t.field({
    type: [TariffRef],
    description: "Every tariff version of a space known here (the network's), oldest first.",
    authScopes: { authenticated: true },
    args: { spaceId: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.settlement.tariffs(String(args.spaceId)),
  }),
  settlementStatement: t.field({
    type: SettlementStatementRef,
    description:
      "A month's settlement between this network and another fabrique's (both directions). The fabrique's team. BAD_USER_INPUT for a period not YYYY-MM; NOT_FOUND for an unknown counterpart.",
    authScopes: { fabriqueAdmin: true },
    args: {
      period: t.arg.string({ required: true, description: "YYYY-MM" }),
      counterpartFabriqueId: t.arg.id({ required: true }),
    },
    resolve: (_parent, args, ctx) =>
      ctx.settlement.statement(viewerOf(ctx), args.period, String(args.counterpartFabriqueId)),
  }),
}));

builder.mutationFields((t) => ({
  setTariff: t.field({
    type: TariffRef,
    description:
      "Sets what a space of this network charges per visit or per member-day (integer cents, not both) from a day on, and sends it to every node. The fabrique's team, or a satellite for its own space. BAD_USER_INPUT for a negative amount (nothing written).",
    authScopes: (_parent, args) => ({ fabriqueAdmin: true, ownSpace: String(args.spaceId) }),
    args: {
      spaceId: t.arg.id({ required: true }),
      validFrom: t.arg.string({ required: true, description: "YYYY-MM-DD" }),
      perVisitCents: t.arg.int(),
      perDayCents: t.arg.int(),
    },
    resolve: (_parent, args, ctx) =>
      ctx.settlement.setTariff(viewerOf(ctx), {
        spaceId: String(args.spaceId),
        validFrom: args.validFrom,
        perVisitCents: args.perVisitCents ?? null,
        perDayCents: args.perDayCents ?? null,
      }),
  }),
}));
