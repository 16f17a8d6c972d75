import { describe, expect, it } from "vitest";
import { mobilityDeltas, type VisitFact } from "./mobility-rollup.repository.ts";
import { type CellFigures, type Line, suppress } from "./suppression.ts";

/** A 2 × 3 table with row, column and grand totals, as the mobility section shows one. */
function table(values: Record<string, CellFigures>) {
  const cells = new Map(Object.entries(values));
  const lines: Line[] = [
    { parts: ["a>x", "a>y", "a>z"], total: "a>*" },
    { parts: ["b>x", "b>y", "b>z"], total: "b>*" },
    { parts: ["a>x", "b>x"], total: "*>x" },
    { parts: ["a>y", "b>y"], total: "*>y" },
    { parts: ["a>z", "b>z"], total: "*>z" },
    { parts: ["a>*", "b>*"], total: "*>*" },
    { parts: ["*>x", "*>y", "*>z"], total: "*>*" },
  ];
  return { cells, lines };
}

const c = (visits: number, members: number): CellFigures => ({ visits, members });

/** What a reader can recompute by difference: each line with exactly one hidden entry. */
function recomputable(cells: Map<string, CellFigures>, lines: Line[], hidden: Set<string>) {
  return lines.filter(
    (l) => [...l.parts, l.total].filter((k) => cells.has(k) && hidden.has(k)).length === 1,
  );
}

describe("mobility suppression", () => {
  it("hides every cell under 5 distinct members, and a second cell of each line so that no total gives one away", () => {
    const { cells, lines } = table({
      "a>x": c(40, 12),
      "a>y": c(3, 2),
      "a>z": c(30, 9),
      "b>x": c(25, 8),
      "b>y": c(22, 7),
      "b>z": c(50, 20),
      "a>*": c(73, 21),
      "b>*": c(97, 30),
      "*>x": c(65, 20),
      "*>y": c(25, 9),
      "*>z": c(80, 29),
      "*>*": c(170, 51),
    });
    const hidden = suppress(cells, lines);
    expect(hidden.has("a>y")).toBe(true);
    // Without complementary suppression, a>y = a>* − a>x − a>z = 3 visits.
    expect(recomputable(cells, lines, new Set(["a>y"])).length).toBeGreaterThan(0);
    expect(recomputable(cells, lines, hidden)).toEqual([]);
    // The second cell of row a is its smallest other part (a>z), of column y b>y; then row b
    // and columns z need a second one too.
    expect([...hidden].sort()).toEqual(["a>y", "a>z", "b>y", "b>z"]);
    // Totals stay shown: nothing in them tells any hidden cell apart.
    for (const total of ["a>*", "b>*", "*>x", "*>y", "*>z", "*>*"])
      expect(hidden.has(total)).toBe(false);
  });

  it("hides a line's total when its only other part is hidden", () => {
    const cells = new Map([
      ["a>x", c(2, 1)],
      ["a>*", c(2, 1)],
      ["b>x", c(60, 30)],
      ["b>*", c(60, 30)],
      ["*>x", c(62, 31)],
    ]);
    const lines: Line[] = [
      { parts: ["a>x"], total: "a>*" },
      { parts: ["b>x"], total: "b>*" },
      { parts: ["a>x", "b>x"], total: "*>x" },
    ];
    const hidden = suppress(cells, lines);
    // a>* is itself under 5; column x: a>x hidden, so b>x (its only other part) goes too, and
    // then row b's total, which would give b>x back.
    expect([...hidden].sort()).toEqual(["a>*", "a>x", "b>*", "b>x"]);
    expect(recomputable(cells, lines, hidden)).toEqual([]);
  });

  it("shows every cell of 5 members or more when none is small", () => {
    const { cells, lines } = table({
      "a>x": c(10, 5),
      "a>*": c(10, 5),
      "*>x": c(10, 5),
      "*>*": c(10, 5),
    });
    expect(suppress(cells, lines).size).toBe(0);
  });
});

describe("mobility rollup deltas", () => {
  const v = (
    id: string,
    member: string | null,
    month: string,
    o: string,
    d: string,
  ): VisitFact => ({
    id,
    member_id: member,
    month,
    o,
    d,
    od: `D${o}`,
    or: `R${o}`,
    dd: `D${d}`,
    dr: `R${d}`,
  });
  const row = (r: {
    month: string;
    origin_level: string;
    origin_id: string;
    dest_level: string;
    dest_id: string;
  }) => `${r.month}|${r.origin_level}|${r.origin_id}|${r.dest_level}|${r.dest_id}`;

  it("counts a member once per flow and month, writes presence rows and rollup rows in key order", () => {
    const d = mobilityDeltas(
      [],
      [
        v("1", "M", "2031-03-01", "A", "B"),
        v("2", "M", "2031-03-01", "A", "B"),
        v("3", "N", "2031-03-01", "A", "C"),
      ],
      [],
    );
    const nation = d.rollup.find((r) => row(r) === "2031-03-01|ALL|FR|ALL|FR");
    expect(nation).toMatchObject({ visits: 3, members: 2 });
    expect(d.rollup.find((r) => row(r) === "2031-03-01|NETWORK|A|NETWORK|B")).toMatchObject({
      visits: 2,
      members: 1,
    });
    expect(d.presence.map((p) => [p.member_id, p.d, p.visits])).toEqual([
      ["M", "B", 2],
      ["N", "C", 1],
    ]);
    const keys = d.rollup.map(row);
    expect(keys).toEqual([...keys].sort());
  });

  it("leaves an erased member's counts as they are", () => {
    const presence = [
      {
        month: "2031-03-01",
        member_id: "M",
        o: "A",
        d: "B",
        od: "DA",
        or: "RA",
        dd: "DB",
        dr: "RB",
        visits: 1,
      },
    ];
    const d = mobilityDeltas(
      [v("1", "M", "2031-03-01", "A", "B")],
      [v("1", null, "2031-03-01", "A", "B")],
      presence,
      new Set(["M"]),
    );
    expect(d).toEqual({ presence: [], rollup: [] });
  });
});
