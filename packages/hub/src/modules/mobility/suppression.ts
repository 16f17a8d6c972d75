import { MOBILITY_SUPPRESSION_THRESHOLD } from "@maillage/schema";

/**
 * Small-cell suppression of mobility figures. A cell (visits and distinct members of one flow
 * and month) counting fewer than MOBILITY_SUPPRESSION_THRESHOLD distinct members is shown as
 * "< 5": both numbers null, `suppressed` true (primary suppression).
 *
 * Complementary suppression: the figures shown add up along lines — a territory's flows to
 * each destination and its total to anywhere, a destination's flows from each origin and its
 * total, the territories' totals and their region's or the scope's, the regions' and the
 * nation's. A line with exactly one hidden entry would give it away by difference with its
 * total (visits add up exactly; members bound it), so a second entry of that line is hidden:
 * its smallest shown part, or, when none is left, its total. Repeated until no line has
 * exactly one hidden entry (each round hides one more cell: it ends).
 */

export type CellFigures = { visits: number; members: number };

export type Shown = { visits: number | null; members: number | null; suppressed: boolean };

/** A line: parts that add up to a total (all keys of cells shown together). */
export type Line = { parts: string[]; total: string };

export function suppress(cells: Map<string, CellFigures>, lines: Line[]): Set<string> {
  const hidden = new Set<string>();
  for (const [key, cell] of cells) {
    if (cell.members < MOBILITY_SUPPRESSION_THRESHOLD) hidden.add(key);
  }
  // Each line's present parts, smallest first (the order complements are taken in), and how
  // many of its entries are hidden; each cell's lines.
  const order = (x: string, y: string) =>
    (cells.get(x)?.members ?? 0) - (cells.get(y)?.members ?? 0) ||
    (cells.get(x)?.visits ?? 0) - (cells.get(y)?.visits ?? 0) ||
    (x < y ? -1 : 1);
  const state = lines.map((line) => {
    const parts = line.parts.filter((k) => cells.has(k)).sort(order);
    const total = cells.has(line.total) ? line.total : undefined;
    const entries = total === undefined ? parts : [...parts, total];
    return { parts, total, entries, hiddenCount: entries.filter((k) => hidden.has(k)).length };
  });
  const linesOf = new Map<string, number[]>();
  state.forEach((line, i) => {
    for (const key of new Set(line.entries)) {
      const list = linesOf.get(key);
      if (list) list.push(i);
      else linesOf.set(key, [i]);
    }
  });
  // Lines with exactly one hidden entry, until there is none left (each step hides a cell).
  const queue = state.flatMap((line, i) => (line.hiddenCount === 1 ? [i] : [])).reverse();
  while (queue.length > 0) {
    const line = state[queue.pop() as number];
    if (line?.hiddenCount !== 1) continue;
    const next =
      line.parts.find((k) => !hidden.has(k)) ??
      (line.total !== undefined && !hidden.has(line.total) ? line.total : undefined);
    if (next === undefined) continue;
    hidden.add(next);
    for (const i of linesOf.get(next) ?? []) {
      const other = state[i] as (typeof state)[number];
      other.hiddenCount += countOf(other.entries, next);
      if (other.hiddenCount === 1) queue.push(i);
    }
  }
  return hidden;
}

/** How many times `key` stands in `entries` (a total may also be a part: the same cell). */
function countOf(entries: string[], key: string): number {
  let n = 0;
  for (const k of entries) if (k === key) n++;
  return n;
}

/** A cell as callers see it (absent: nothing that month, zeros). */
export function shown(cell: CellFigures | undefined, hidden: boolean): Shown {
  if (hidden) return { visits: null, members: null, suppressed: true };
  return { visits: cell?.visits ?? 0, members: cell?.members ?? 0, suppressed: false };
}
