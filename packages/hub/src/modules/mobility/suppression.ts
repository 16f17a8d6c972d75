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
  const present = (key: string) => cells.has(key);
  let changed = true;
  while (changed) {
    changed = false;
    for (const line of lines) {
      const entries = [...line.parts, line.total].filter(present);
      const hiddenCount = entries.filter((k) => hidden.has(k)).length;
      if (hiddenCount !== 1) continue;
      const candidates = line.parts
        .filter((k) => present(k) && !hidden.has(k))
        .sort(
          (x, y) =>
            (cells.get(x)?.members ?? 0) - (cells.get(y)?.members ?? 0) ||
            (cells.get(x)?.visits ?? 0) - (cells.get(y)?.visits ?? 0) ||
            (x < y ? -1 : 1),
        );
      const next = candidates[0] ?? (present(line.total) ? line.total : undefined);
      if (next === undefined || hidden.has(next)) continue;
      hidden.add(next);
      changed = true;
    }
  }
  return hidden;
}

/** A cell as callers see it (absent: nothing that month, zeros). */
export function shown(cell: CellFigures | undefined, hidden: boolean): Shown {
  if (hidden) return { visits: null, members: null, suppressed: true };
  return { visits: cell?.visits ?? 0, members: cell?.members ?? 0, suppressed: false };
}
