/// <reference lib="dom" />
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const AXE_SCRIPT = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

export type AxeFinding = { id: string; impact: string | null; help: string; targets: string[] };
export type AxeReport = { violations: AxeFinding[]; passes: number };

type AxeResult = {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown[] }[];
};
type AxeGlobal = {
  run(
    context: Document,
    options: { runOnly: { type: "tag"; values: string[] } },
  ): Promise<{ violations: AxeResult[]; passes: AxeResult[] }>;
};

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page as it is now. The page's context
 * needs bypassCSP: the app's CSP refuses the injected script.
 */
export async function runAxe(page: Page): Promise<AxeReport> {
  const present = await page.evaluate(() => "axe" in window);
  if (!present) await page.addScriptTag({ path: AXE_SCRIPT });
  return page.evaluate(async (values) => {
    const axe = (window as unknown as { axe: AxeGlobal }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values } });
    return {
      violations: result.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? null,
        help: v.help,
        targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
      })),
      passes: result.passes.length,
    };
  }, TAGS);
}

/** One line per violation, for a readable assertion message. */
export function describeViolations(report: AxeReport): string[] {
  return report.violations.map(
    (v) => `${v.id} (${v.impact ?? "?"}): ${v.help} — ${v.targets.join(" | ")}`,
  );
}
