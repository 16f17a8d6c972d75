import { IsoDate, MaillageError, parseInput, tariffEntityId } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { LocalWriter } from "../../outbox/local-writer.ts";
import { spaceRepository } from "../spaces/space.repository.ts";
import { priceVisits, type SettlementLine, sumCents } from "./pricing.ts";
import { settlementRepository } from "./settlement.repository.ts";
import { type TariffRecord, tariffPayloadOf, tariffRepository } from "./tariff.repository.ts";

/**
 * Settlement between places (issue 11): the tariffs a space of this network charges for the
 * visits of other places' members, and the monthly statement between this network and
 * another, computed from the VISIT records and TARIFF versions both ends hold (pricing.ts).
 *
 * Who: a space's team sets its tariffs (the fabrique's team for any space of its network, a
 * satellite for its own); anyone authenticated reads them (they are the network's); the
 * statement is the fabrique team's.
 */
export type SettlementService = ReturnType<typeof createSettlementService>;

const Cents = z.number().int("whole cents").min(0, "not below zero").max(1_000_000);

export const SetTariffInput = z
  .object({
    spaceId: z.string().trim().min(1),
    validFrom: IsoDate,
    perVisitCents: Cents.nullable().default(null),
    perDayCents: Cents.nullable().default(null),
  })
  .refine((t) => t.perVisitCents === null || t.perDayCents === null, {
    path: ["perDayCents"],
    message: "a tariff is per visit or per day, not both",
  });

export const Period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month as YYYY-MM");

export type StatementLine = SettlementLine & { homeSpaceName: string; spaceName: string };

export type SettlementStatement = {
  period: string;
  /** This network (its fabrique's id). */
  fabriqueId: string;
  counterpartFabriqueId: string;
  /** This network's members at the counterpart's spaces: what this network owes. */
  owes: StatementLine[];
  /** The counterpart's members at this network's spaces: what this network is owed. */
  owed: StatementLine[];
  totals: {
    owesCents: number;
    owedCents: number;
    /** owed − owes: positive, the counterpart pays this network the difference. */
    netCents: number;
    visits: number;
    days: number;
  };
};

export function createSettlementService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  fabriqueId: string;
}) {
  const { store, writer, fabriqueId } = deps;

  function assertTeamOf(viewer: Viewer, spaceId: string) {
    if (viewer.role === "FABRIQUE_ADMIN") return;
    if (viewer.role === "SATELLITE" && viewer.spaceId === spaceId) return;
    throw new MaillageError("FORBIDDEN", "a space's tariffs are set by its team");
  }

  return {
    /** Every version of a space's tariff, oldest first. */
    async tariffs(spaceId: string): Promise<TariffRecord[]> {
      return tariffRepository.ofSpace(store, spaceId);
    },

    /**
     * Sets the tariff of a space of this network from a day on (replacing the version of that
     * very day, if any) and sends it (TARIFF). Bad input writes nothing.
     */
    async setTariff(viewer: Viewer, raw: unknown): Promise<TariffRecord> {
      const input = parseInput(SetTariffInput, raw);
      assertTeamOf(viewer, input.spaceId);
      return writer.write(async (tx, changes) => {
        const space = await spaceRepository.find(tx, input.spaceId);
        // The fabrique itself, or a satellite it owns (as for a member's home).
        const ours =
          input.spaceId === fabriqueId ||
          (space?.owned === true && space.kind === "SATELLITE" && space.fabriqueId === fabriqueId);
        if (!ours) {
          throw new MaillageError("NOT_FOUND", `no space ${input.spaceId} in this network`, {
            id: input.spaceId,
            field: "spaceId",
          });
        }
        const tariff = await tariffRepository.saveOwned(tx, input);
        await changes.append({
          entity: "TARIFF",
          entityId: tariffEntityId(tariff.spaceId, tariff.validFrom),
          op: "UPSERT",
          payload: tariffPayloadOf(tariff),
        });
        return tariff;
      });
    },

    /**
     * The month's statement between this network and another: both directions, a line per
     * pair of places and tariff version, totals. The fabrique's team only.
     */
    async statement(
      viewer: Viewer,
      rawPeriod: unknown,
      counterpartFabriqueId: string,
    ): Promise<SettlementStatement> {
      if (viewer.role !== "FABRIQUE_ADMIN") {
        throw new MaillageError("FORBIDDEN", "settlement statements are for the fabrique's team");
      }
      const period = parseInput(z.object({ period: Period }), { period: rawPeriod }).period;
      const counterpart = await spaceRepository.find(store, counterpartFabriqueId);
      if (counterpart?.kind !== "FABRIQUE" || counterpart.id === fabriqueId) {
        throw new MaillageError("NOT_FOUND", `no other fabrique ${counterpartFabriqueId}`, {
          id: counterpartFabriqueId,
          field: "counterpartFabriqueId",
        });
      }
      const visits = await settlementRepository.visitsBetween(
        store,
        period,
        fabriqueId,
        counterpart.id,
      );
      const spaceIds = [...new Set(visits.flatMap((v) => [v.homeSpaceId, v.spaceId]))].sort();
      const lastDay = new Date(Date.UTC(Number(period.slice(0, 4)), Number(period.slice(5, 7)), 0))
        .toISOString()
        .slice(0, 10);
      const tariffs = await tariffRepository.ofSpacesUntil(store, spaceIds, lastDay);
      const places = await settlementRepository.places(store, spaceIds);
      const named = (l: SettlementLine): StatementLine => ({
        ...l,
        homeSpaceName: places.get(l.homeSpaceId)?.name ?? l.homeSpaceId,
        spaceName: places.get(l.spaceId)?.name ?? l.spaceId,
      });
      const lines = priceVisits(visits, tariffs).map(named);
      const owes = lines.filter((l) => places.get(l.homeSpaceId)?.networkId === fabriqueId);
      const owed = lines.filter((l) => places.get(l.spaceId)?.networkId === fabriqueId);
      const owesCents = sumCents(owes);
      const owedCents = sumCents(owed);
      return {
        period,
        fabriqueId,
        counterpartFabriqueId: counterpart.id,
        owes,
        owed,
        totals: {
          owesCents,
          owedCents,
          netCents: owedCents - owesCents,
          visits: lines.reduce((n, l) => n + l.visits, 0),
          days: lines.reduce((n, l) => n + l.days, 0),
        },
      };
    },
  };
}

/** Euros from integer cents, exactly ("12.05"; "-3.40"). */
export function euros(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

function csvField(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const STATEMENT_CSV_HEADER = [
  "period",
  "direction",
  "home_space_id",
  "home_space_name",
  "visited_space_id",
  "visited_space_name",
  "tariff_valid_from",
  "unit",
  "unit_cents",
  "visits",
  "days",
  "amount_cents",
  "amount_eur",
] as const;

/**
 * The statement as CSV (RFC 4180, CRLF): a row per line, OWES (this network's members away)
 * then OWED (the counterpart's members here), then the TOTAL rows; amounts in integer cents
 * and in euros.
 */
export function statementCsv(s: SettlementStatement): string {
  const rows: (string | number | null)[][] = [[...STATEMENT_CSV_HEADER]];
  const line = (direction: string, l: StatementLine) => [
    s.period,
    direction,
    l.homeSpaceId,
    l.homeSpaceName,
    l.spaceId,
    l.spaceName,
    l.tariffValidFrom,
    l.unit,
    l.unitCents,
    l.visits,
    l.days,
    l.amountCents,
    euros(l.amountCents),
  ];
  for (const l of s.owes) rows.push(line("OWES", l));
  for (const l of s.owed) rows.push(line("OWED", l));
  const total = (direction: string, lines: StatementLine[], cents: number) => [
    s.period,
    direction,
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    lines.reduce((n, l) => n + l.visits, 0),
    lines.reduce((n, l) => n + l.days, 0),
    cents,
    euros(cents),
  ];
  rows.push(total("TOTAL_OWES", s.owes, s.totals.owesCents));
  rows.push(total("TOTAL_OWED", s.owed, s.totals.owedCents));
  rows.push(total("NET", [...s.owes, ...s.owed], s.totals.netCents));
  return `${rows.map((r) => r.map(csvField).join(",")).join("\r\n")}\r\n`;
}
