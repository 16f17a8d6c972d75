import {
  type AvailabilityWindow,
  type Closure,
  type Interval,
  MaillageError,
  openIntervals,
  parisWallClock,
} from "@maillage/schema";

/**
 * Availability at the hub: the same rule as the contract's `freeSlots` (windows minus
 * confirmed bookings), split in two so that a page of resources pays the Europe/Paris
 * conversions once per distinct schedule rather than once per resource. Converting wall-clock
 * times through Intl costs tens of microseconds per call, about 0.3 ms for a week of one
 * resource; seeded and real networks share a handful of schedules (Tue–Sat 9–18…).
 */

/** The longest range availability is computed for, in days. */
export const MAX_RANGE_DAYS = 31;
const DAY_MS = 86_400_000;

export type Range = { from: Date; to: Date };
export type Schedule = { windows: readonly AvailabilityWindow[]; closures: readonly Closure[] };
/** A confirmed booking or loan of the range, in epoch milliseconds. */
export type Busy = { from: number; to: number };

/** BAD_USER_INPUT naming the field unless from < to and the range spans at most 31 days. */
export function checkRange(from: Date, to: Date, fields: { from: string; to: string }): Range {
  if (to.getTime() <= from.getTime()) {
    throw new MaillageError("BAD_USER_INPUT", `${fields.to}: must be after ${fields.from}`, {
      field: fields.to,
    });
  }
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new MaillageError(
      "BAD_USER_INPUT",
      `${fields.to}: the range from ${fields.from} spans at most ${MAX_RANGE_DAYS} days`,
      { field: fields.to, maxDays: MAX_RANGE_DAYS },
    );
  }
  return { from, to };
}

export function rangeKey(range: Range): string {
  return `${range.from.getTime()}/${range.to.getTime()}`;
}

/**
 * Opening intervals of schedules inside one range, memoised by schedule. Only the closures
 * that touch the range's Paris dates matter, so two resources with the same windows and no
 * closure that week share one entry.
 */
export function createOpeningCache(range: Range): (schedule: Schedule) => Interval[] {
  const firstDate = parisWallClock(range.from).date;
  const lastDate = parisWallClock(range.to).date;
  const cache = new Map<string, Interval[]>();
  return (schedule) => {
    const closures: Closure[] = [];
    for (const c of schedule.closures) {
      const to = c.to ?? c.from;
      if (to < firstDate || c.from > lastDate) continue;
      closures.push({
        from: c.from < firstDate ? firstDate : c.from,
        to: to > lastDate ? lastDate : to,
      });
    }
    const key = `${JSON.stringify(schedule.windows)}#${JSON.stringify(closures)}`;
    let open = cache.get(key);
    if (!open) {
      open = openIntervals({ windows: schedule.windows, closures }, range.from, range.to);
      cache.set(key, open);
    }
    return open;
  };
}

/**
 * Opening intervals minus the busy ones (any order, overlapping or not), keeping slots of at
 * least `minMinutes`: the contract's `freeSlots` on precomputed opening intervals.
 */
export function subtractBusy(
  open: readonly Interval[],
  busy: readonly Busy[],
  minMinutes: number,
): Interval[] {
  const taken = busy.length > 1 ? [...busy].sort((a, b) => a.from - b.from) : busy;
  const minimum = minMinutes * 60_000;
  const out: Interval[] = [];
  const push = (from: number, to: number) => {
    if (to - from >= minimum) out.push({ from: new Date(from), to: new Date(to) });
  };
  for (const interval of open) {
    let cursor = interval.from.getTime();
    const end = interval.to.getTime();
    for (const b of taken) {
      if (b.to <= cursor) continue;
      if (b.from >= end) break;
      if (b.from > cursor) push(cursor, b.from);
      cursor = Math.max(cursor, b.to);
      if (cursor >= end) break;
    }
    if (cursor < end) push(cursor, end);
  }
  return out;
}

/** Whether a slot of at least `minutes` exists. */
export function hasSlotOf(slots: readonly Interval[], minutes: number): boolean {
  const minimum = minutes * 60_000;
  return slots.some((s) => s.to.getTime() - s.from.getTime() >= minimum);
}
