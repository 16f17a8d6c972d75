/// <reference lib="dom" />
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { describeViolations, runAxe } from "./support/axe.ts";
import {
  launchBrowser,
  newRecordedContext,
  type RecordedContext,
  screenshot,
  signIn,
  UI_TIMEOUT,
  waitReady,
} from "./support/browser.ts";
import { agentGraphQL, startWebDemo, type WebDemo } from "./support/demo.ts";
import { recordMeasure } from "./support/measure.ts";
import {
  figure,
  loadedBytes,
  parseFrenchNumber,
  readyTime,
  recordReadyTime,
  TransferMeter,
  textChangedAt,
  watchTextChange,
} from "./support/page.ts";

/**
 * The national dashboard at the hub, in headless Chromium, on the demo network: the NATIONAL
 * sign-in link, the map and charts with the demo's figures, accessibility (axe, keyboard), a
 * satellite's report arriving live, the first load's measures, and no request leaving
 * 127.0.0.1.
 */
describe("national dashboard (browser)", () => {
  let web: WebDemo;
  let browser: Browser;
  const contexts: RecordedContext[] = [];
  /** The NATIONAL dashboard, signed in by the first test and kept open. */
  let dashboard: Page;

  beforeAll(async () => {
    [web, browser] = await Promise.all([startWebDemo(), launchBrowser()]);
    console.log(`[browser] demo network started in ${web.startMs} ms`);
  });

  afterAll(async () => {
    for (const recorded of contexts) await recorded.close().catch(() => {});
    await browser?.close().catch(() => {});
    await web?.stop();
  });

  afterEach(async (test) => {
    if (test.task.result?.state !== "fail") return;
    for (const error of contexts.flatMap((c) => c.errors)) console.log(`[page error] ${error}`);
    const pages = contexts.flatMap((c) => c.context.pages());
    for (const [index, page] of pages.entries()) {
      await screenshot(page, `FAILED-dashboard-${test.task.name.slice(0, 40)}-${index}`).catch(
        () => {},
      );
    }
  });

  async function context(label: string): Promise<RecordedContext> {
    const recorded = await newRecordedContext(browser, { label });
    contexts.push(recorded);
    return recorded;
  }

  /** Samples of the dashboard's first load (cold cache, fresh context). */
  const firstLoads: FirstLoad[] = [];

  /**
   * Signs in with `link` in a fresh context (empty cache) and measures the load: bytes over the
   * wire until the overview's figures are shown and once the network settles, and the time from
   * the navigation's start to main#main[data-ready="true"].
   */
  async function coldLoad(link: string, label: string) {
    const recorded = await context(label);
    await recordReadyTime(recorded.context);
    const meter = new TransferMeter(recorded.context);
    const page = await recorded.context.newPage();
    const started = Date.now();
    await signIn(page, link);
    const readyAt = Date.now();
    const tti = await readyTime(page);
    await page.waitForLoadState("networkidle").catch(() => {});
    const untilReady = await loadedBytes(page, tti);
    const settled = await loadedBytes(page);
    const sample: FirstLoad = {
      timeToInteractiveMs: tti === undefined ? null : Math.round(tti),
      linkToReadyWallMs: readyAt - started,
      bytesUntilReady: untilReady.bytes,
      requestsUntilReady: untilReady.requests,
      bytesUntilReadyByType: untilReady.byType,
      bytesSettled: settled.bytes,
      requestsSettled: settled.requests,
      // Seen from outside: every response of the context, the link's page included.
      wireBytesWithSignIn: (await meter.total()).bytes,
    };
    return { page, recorded, sample };
  }

  it("signs the national body in with the banner's link: map, charts and non-zero figures", async () => {
    const link = web.demo.banner.webLinks?.find((l) => l.label === "Tableau de bord national");
    expect(link?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?t=/);
    const first = await coldLoad(link?.url as string, "dashboard");
    dashboard = first.page;
    firstLoads.push(first.sample);

    await expect
      .poll(() => dashboard.getByRole("heading", { level: 1 }).innerText())
      .toBe("Tableau de bord national");
    // The shell: who is signed in, the navigation.
    const nav = dashboard.getByRole("navigation", { name: "Navigation principale" });
    await expect.poll(() => nav.getByRole("link").count()).toBeGreaterThanOrEqual(4);
    expect(await dashboard.locator("header").innerText()).toContain("Instance nationale");

    // Key figures of the last 30 days, from the demo's year of history.
    for (const id of [
      "coverage.spaces",
      "coverage.fabriques",
      "coverage.satellites",
      "activity.visitors",
      "activity.reports",
      "mutualisation.bookings",
      "mutualisation.resources",
    ]) {
      expect(await figure(dashboard, id), id).toBeGreaterThan(0);
    }
    // The two agents of the demo are online.
    expect(await figure(dashboard, "liveness.online")).toBeGreaterThanOrEqual(1);

    // The map: every metropolitan department a link, those with places coloured.
    const map = dashboard.getByRole("group", { name: /^Carte de France par département/ });
    await map.waitFor();
    const departments = map.getByRole("link");
    expect(await departments.count()).toBeGreaterThanOrEqual(90);
    const covered = await map.evaluate((svg) =>
      [...svg.querySelectorAll("a")]
        .map((a) => a.getAttribute("aria-label") ?? "")
        .filter((label) => !label.includes("aucun lieu")),
    );
    expect(covered.length).toBeGreaterThan(0);
    const coveredCount = parseFrenchNumber(covered[0]?.split(" : ")[1] ?? "");
    expect(coveredCount).toBeGreaterThan(0);
    const fills = await map.evaluate(
      (svg) => new Set([...svg.querySelectorAll("path")].map((p) => getComputedStyle(p).fill)).size,
    );
    expect(fills, "departments in more than one colour").toBeGreaterThan(1);

    // The trend charts: SVG images with marks, their data tables with non-zero months.
    const visitorsChart = dashboard.getByRole("img", { name: "Visiteurs par mois" });
    await visitorsChart.waitFor();
    expect(await visitorsChart.locator("rect").count()).toBeGreaterThanOrEqual(12);
    for (const name of [
      "Réservations, réservations entre fabriques et prêts par mois",
      "Places de formation offertes et pourvues par mois",
    ]) {
      const chart = dashboard.getByRole("img", { name });
      await chart.waitFor();
      expect(await chart.locator("path").count(), name).toBeGreaterThan(0);
    }
    // (in a closed <details>: hidden from the accessibility tree until opened)
    const visitorsTable = dashboard.getByRole("table", {
      name: "Visiteurs par mois",
      includeHidden: true,
    });
    const monthly = await visitorsTable.evaluate((table) =>
      [...table.querySelectorAll("tbody tr")].map((row) => row.children[1]?.textContent ?? ""),
    );
    expect(monthly.length).toBe(12);
    expect(monthly.map(parseFrenchNumber).filter((n) => n > 0).length).toBeGreaterThanOrEqual(10);

    await screenshot(dashboard, "dashboard-overview");

    expect(first.recorded.leaving()).toEqual([]);
  });

  it("loads cold twice more, in fresh contexts (the first load's measures)", async () => {
    for (let i = 0; i < 2; i++) {
      const link = await web.demo.loginLink({ server: "hub", role: "NATIONAL" });
      const load = await coldLoad(link, `dashboard-cold-${i + 2}`);
      expect(await figure(load.page, "coverage.spaces")).toBeGreaterThan(0);
      firstLoads.push(load.sample);
      await load.recorded.close();
    }
    const pick = (key: keyof FirstLoad) => firstLoads.map((sample) => sample[key] as number);
    await recordMeasure("dashboard.firstLoad", {
      samples: firstLoads,
      medianTimeToInteractiveMs: median(pick("timeToInteractiveMs")),
      medianBytesUntilReady: median(pick("bytesUntilReady")),
      medianBytesSettled: median(pick("bytesSettled")),
      demoStartMs: web.startMs,
    });
  });

  it("reloads from the browser's cache (measure) and switches to English and back", async () => {
    const page = dashboard;
    await page.reload({ waitUntil: "domcontentloaded" });
    await waitReady(page);
    const tti = await readyTime(page);
    await recordMeasure("dashboard.reload", {
      timeToInteractiveMs: tti === undefined ? null : Math.round(tti),
    });

    await page.getByRole("button", { name: /English/ }).click();
    await page.getByRole("heading", { level: 1, name: "National dashboard" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page.getByRole("navigation", { name: "Main navigation" }).waitFor();
    await screenshot(page, "dashboard-overview-en");
    await page.getByRole("button", { name: /Français/ }).click();
    await page.getByRole("heading", { level: 1, name: "Tableau de bord national" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("fr");
  });

  it("has no axe violations (WCAG 2.1 A/AA) on the dashboard's screens, reached by links", async () => {
    const page = dashboard;
    const nav = page.getByRole("navigation", { name: "Navigation principale" });
    const checked: string[] = [];
    const check = async (name: string) => {
      await waitReady(page);
      const report = await runAxe(page);
      expect(report.passes, `${name}: axe ran its rules`).toBeGreaterThan(10);
      expect(describeViolations(report), name).toEqual([]);
      await screenshot(page, `dashboard-${name}`);
      checked.push(name);
    };

    await nav.getByRole("link", { name: "Vue d'ensemble" }).click();
    await check("overview");

    // Drill-down: a region from the regions table, then a department of it from its table.
    const regions = page.getByRole("table", { name: "Chiffres par région" });
    const region = regions.getByRole("link").first();
    const regionName = await region.innerText();
    await region.click();
    await page.getByRole("heading", { level: 1, name: new RegExp(regionName) }).waitFor();
    await check("region");
    const department = page.locator("main table a").first();
    await department.click();
    await page.getByRole("heading", { level: 1, name: /^Département / }).waitFor();
    await check("department");

    await nav.getByRole("link", { name: "Nœuds" }).click();
    await page.getByRole("heading", { level: 1, name: "État des nœuds" }).waitFor();
    await check("nodes");

    await nav.getByRole("link", { name: "Mobilité" }).click();
    await page.getByRole("heading", { level: 1, name: "Mobilité des membres" }).waitFor();
    await check("mobility");

    await nav.getByRole("link", { name: "Fil en direct" }).click();
    await page.getByRole("heading", { level: 1, name: "Fil en direct du réseau" }).waitFor();
    await check("live");

    expect(checked).toEqual(["overview", "region", "department", "nodes", "mobility", "live"]);
  });

  it("is usable with the keyboard: the skip link first, then the navigation", async () => {
    const page = dashboard;
    await page.goto(new URL("/app/", page.url()).href);
    await waitReady(page);

    await page.keyboard.press("Tab");
    const first = await page.evaluate(() => document.activeElement?.textContent?.trim());
    expect(first).toBe("Aller au contenu");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("main");
    expect(new URL(page.url()).hash).toBe("#main");

    // From the top of a fresh load: Tab reaches the main navigation's links, in order.
    await page.reload();
    await waitReady(page);
    const reached: string[] = [];
    for (let i = 0; i < 15 && reached.length < 2; i++) {
      await page.keyboard.press("Tab");
      const inNav = await page.evaluate(() => {
        const active = document.activeElement;
        return active?.closest("nav")?.getAttribute("aria-label") === "Navigation principale"
          ? (active.textContent ?? "")
          : undefined;
      });
      if (inNav !== undefined) reached.push(inNav.trim());
    }
    expect(reached).toEqual(["Vue d'ensemble", "Nœuds"]);
    // Enter on a focused link navigates.
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "État des nœuds" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/app/nodes");
  });

  it("shows a satellite's activity report live: the national figure changes without a reload", async () => {
    const page = dashboard;
    await page
      .getByRole("navigation", { name: "Navigation principale" })
      .getByRole("link", { name: "Vue d'ensemble" })
      .click();
    await waitReady(page);
    await page.getByRole("status").filter({ hasText: "Fil en direct connecté" }).waitFor();
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url());
    });

    // Three satellites of the first agent report today, one after another (three samples).
    const { satellites } = await agentGraphQL<{ satellites: { id: string; owned: boolean }[] }>(
      web.demo,
      0,
      "{ satellites { id owned } }",
    );
    const owned = satellites.filter((s) => s.owned).map((s) => s.id);
    expect(owned.length).toBeGreaterThanOrEqual(3);
    const samples: number[] = [];
    for (const [index, spaceId] of owned.slice(0, 3).entries()) {
      const visitors = 737 + index;
      const before = await figure(page, "activity.visitors");
      await watchTextChange(page, '[data-figure="activity.visitors"] .value');
      const reportedAt = Date.now();
      await agentGraphQL(
        web.demo,
        0,
        "mutation Report($i: ReportActivityInput!) { reportActivity(input: $i) { date visitors } }",
        {
          i: { spaceId, date: parisToday(), visitors, events: 2, participants: 30, openHours: 7 },
        },
      );
      await expect
        .poll(() => figure(page, "activity.visitors"), { timeout: UI_TIMEOUT, interval: 250 })
        .toBe(before + visitors);
      const changedAt = await textChangedAt(page);
      if (changedAt !== undefined) samples.push(changedAt - reportedAt);
    }
    expect(navigations, "no reload").toEqual([]);
    // The live feed lists the reports.
    await page
      .getByRole("list", { name: "Derniers événements" })
      .getByText(/rapport\(s\) d'activité/)
      .first()
      .waitFor();
    await screenshot(page, "dashboard-after-report");
    await recordMeasure("dashboard.refreshAfterReport", {
      via: "agent API (reportActivity), 3 reports in a row",
      reportToFigureMs: samples,
      medianMs: median(samples),
    });
  });

  it("made no request outside 127.0.0.1 (every page, WebSockets included)", () => {
    const all = contexts.flatMap((c) => c.requests);
    expect(all.length).toBeGreaterThan(20);
    expect(all.some((r) => r.kind === "websocket")).toBe(true);
    expect(contexts.flatMap((c) => c.leaving())).toEqual([]);
  });
});

type FirstLoad = {
  timeToInteractiveMs: number | null;
  linkToReadyWallMs: number;
  bytesUntilReady: number;
  requestsUntilReady: number;
  bytesUntilReadyByType: Record<string, number>;
  bytesSettled: number;
  requestsSettled: number;
  wireBytesWithSignIn: number;
};

function median(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return null;
  const sorted = [...known].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Today in Paris, YYYY-MM-DD (the day a report is for). */
function parisToday(): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "Europe/Paris",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date());
}
