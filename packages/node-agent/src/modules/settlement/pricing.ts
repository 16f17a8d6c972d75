/**
 * Settlement pricing: one pure function, the same at both ends. The home node and the visited
 * node hold the same VISIT records for a pair of networks (the visited node owns them, the
 * home node receives them) and the same TARIFF versions (replicated to every node); fed the
 * same records, this function gives the same lines to the cent. Integer cents only.
 */

/** What pricing needs of a visit. */
export type PricedVisit = {
  id: string;
  /** Null once the member was erased (see erasedDayKey). */
  memberId: string | null;
  /**
   * Once the member was erased: the id of its first visit to that space that day, so that its
   * visits keep their member-days. Neither: the visit is a member-day of its own.
   */
  erasedDayKey?: string | null;
  homeSpaceId: string;
  /** The visited space. */
  spaceId: string;
  /** The visited space's local date of the arrival, YYYY-MM-DD. */
  day: string;
};

export type TariffVersion = {
  spaceId: string;
  validFrom: string;
  perVisitCents: number | null;
  perDayCents: number | null;
};

export type TariffUnit = "VISIT" | "DAY" | "NONE";

/** One line: a pair of places (home → visited) under one tariff version. */
export type SettlementLine = {
  homeSpaceId: string;
  spaceId: string;
  /** The version applied (null: the space had no tariff yet, nothing is charged). */
  tariffValidFrom: string | null;
  unit: TariffUnit;
  unitCents: number;
  visits: number;
  /** Distinct (member, day) pairs. */
  days: number;
  amountCents: number;
};

/** The version of a space's tariff for a day: the latest starting on or before it. */
export function tariffFor(
  versions: readonly TariffVersion[],
  spaceId: string,
  day: string,
): TariffVersion | null {
  let found: TariffVersion | null = null;
  for (const v of versions) {
    if (v.spaceId !== spaceId || v.validFrom > day) continue;
    if (found === null || v.validFrom > found.validFrom) found = v;
  }
  return found;
}

function unitOf(t: TariffVersion | null): { unit: TariffUnit; unitCents: number } {
  if (t?.perVisitCents != null) return { unit: "VISIT", unitCents: t.perVisitCents };
  if (t?.perDayCents != null) return { unit: "DAY", unitCents: t.perDayCents };
  return { unit: "NONE", unitCents: 0 };
}

/**
 * Lines per (home space, visited space, tariff version), sorted by those keys (the same order
 * at both ends). A visit is priced by its visited space's tariff on its day; per day, a member
 * visiting one space several times in a day counts one day.
 */
export function priceVisits(
  visits: readonly PricedVisit[],
  versions: readonly TariffVersion[],
): SettlementLine[] {
  const lines = new Map<string, SettlementLine & { memberDays: Set<string> }>();
  for (const visit of visits) {
    const tariff = tariffFor(versions, visit.spaceId, visit.day);
    const key = JSON.stringify([visit.homeSpaceId, visit.spaceId, tariff?.validFrom ?? ""]);
    let line = lines.get(key);
    if (!line) {
      line = {
        homeSpaceId: visit.homeSpaceId,
        spaceId: visit.spaceId,
        tariffValidFrom: tariff?.validFrom ?? null,
        ...unitOf(tariff),
        visits: 0,
        days: 0,
        amountCents: 0,
        memberDays: new Set(),
      };
      lines.set(key, line);
    }
    line.visits += 1;
    const who =
      visit.memberId !== null
        ? `member:${visit.memberId}`
        : `erased:${visit.erasedDayKey ?? visit.id}`;
    line.memberDays.add(JSON.stringify([who, visit.day]));
  }
  return [...lines.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { memberDays, ...line }]) => {
      const days = memberDays.size;
      const count = line.unit === "VISIT" ? line.visits : line.unit === "DAY" ? days : 0;
      return { ...line, days, amountCents: count * line.unitCents };
    });
}

export function sumCents(lines: readonly SettlementLine[]): number {
  return lines.reduce((sum, l) => sum + l.amountCents, 0);
}
