/// <reference lib="dom" />
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AxeReport, describeViolations, runAxe } from "./support/axe.ts";
import {
  launchBrowser,
  newRecordedContext,
  type RecordedContext,
  screenshot,
  signIn,
  UI_TIMEOUT,
  waitReady,
} from "./support/browser.ts";
import { type DemoLinkTarget, startWebDemo, type WebDemo } from "./support/demo.ts";
import { recordMeasure } from "./support/measure.ts";
import { figure, parseFrenchNumber, textChangedAt, watchTextChange } from "./support/page.ts";

/**
 * The fabrique console at the demo's two agents, with the national dashboard beside it, in
 * headless Chromium: accessibility of the team's, a satellite's and a member's screens, a
 * booking request decided by one team and seen live at the other agent, a satellite's report
 * reaching the national dashboard live, and the console working on with the hub stopped (last:
 * the hub does not come back). No request leaves 127.0.0.1; each console talks to its own agent.
 */
describe("fabrique console (browser)", () => {
  let web: WebDemo;
  let browser: Browser;
  const contexts: { recorded: RecordedContext; origin: string }[] = [];

  beforeAll(async () => {
    [web, browser] = await Promise.all([startWebDemo(), launchBrowser()]);
    console.log(`[browser] demo network started in ${web.startMs} ms`);
  });

  afterAll(async () => {
    for (const { recorded } of contexts) await recorded.close().catch(() => {});
    await browser?.close().catch(() => {});
    await web?.stop();
  });

  // Each test's contexts are closed after it (their recorded requests are kept), with a
  // screenshot of each of their pages when it failed.
  afterEach(async (test) => {
    const failed = test.task.result?.state === "fail";
    for (const [index, { recorded }] of contexts.entries()) {
      if (failed) {
        for (const error of recorded.errors) console.log(`[page error] ${error}`);
        for (const page of recorded.context.pages()) {
          await screenshot(page, `FAILED-console-${slug(test.task.name).slice(0, 40)}-${index}`);
        }
      }
      await recorded.close().catch(() => {});
    }
  });

  /** A fresh context signed in with a fresh one-time link; its page on the first view. */
  async function open(target: DemoLinkTarget, label: string): Promise<Page> {
    const link = await web.demo.loginLink(target);
    const origin = new URL(link).origin;
    const recorded = await newRecordedContext(browser, { label });
    contexts.push({ recorded, origin });
    const page = await recorded.context.newPage();
    await signIn(page, link);
    // Marks this document: a reload would lose it (checked by `notReloaded`).
    await page.evaluate(() => {
      (window as unknown as { __sameDocument?: boolean }).__sameDocument = true;
    });
    return page;
  }

  const nav = (page: Page) => page.getByRole("navigation", { name: "Navigation principale" });

  /** Follows a link of the main navigation (no reload) and waits for the view's data. */
  async function go(page: Page, link: string, heading: string | RegExp): Promise<void> {
    await nav(page).getByRole("link", { name: link, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: heading }).waitFor();
    await waitReady(page);
  }

  async function notReloaded(page: Page): Promise<boolean> {
    return page.evaluate(
      () => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true,
    );
  }

  /** axe on each screen (a nav link and its h1), all screens checked before asserting. */
  async function auditScreens(
    page: Page,
    prefix: string,
    screens: readonly [link: string, heading: string | RegExp][],
  ): Promise<void> {
    const found: Record<string, string[]> = {};
    for (const [link, heading] of screens) {
      await go(page, link, heading);
      const report: AxeReport = await runAxe(page);
      expect(report.passes, `${link}: axe ran its rules`).toBeGreaterThan(10);
      found[link] = describeViolations(report);
      await screenshot(page, `${prefix}-${slug(link)}`);
    }
    expect(found).toEqual(Object.fromEntries(screens.map(([link]) => [link, []])));
  }

  it("team console: signed in with a link, no axe violations on its screens, skip link and nav by keyboard", async () => {
    const page = await open({ server: "agent", agent: 0, role: "FABRIQUE_ADMIN" }, "team-1");
    await page.getByRole("heading", { level: 1, name: "Console de l'équipe" }).waitFor();
    const fabrique = web.demo.agents[0]?.fabrique as string;
    expect(await page.locator("header").innerText()).toContain(fabrique);
    expect(await page.locator("header").innerText()).toContain("Équipe de la fabrique");

    // Keyboard: the skip link comes first and moves the focus to the content; then the nav.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe(
      "Aller au contenu",
    );
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("main");
    // From the top of a fresh load: the skip link, then the main navigation's first link.
    await page.reload();
    await waitReady(page);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => ({
      nav: document.activeElement?.closest("nav")?.getAttribute("aria-label"),
      text: document.activeElement?.textContent?.trim(),
    }));
    expect(focused).toEqual({ nav: "Navigation principale", text: "Accueil" });
    await page.evaluate(() => {
      (window as unknown as { __sameDocument?: boolean }).__sameDocument = true;
    });

    await auditScreens(page, "console-team", [
      ["Accueil", "Console de l'équipe"],
      ["Satellites et adhérents", "Satellites et adhérents"],
      ["Ressources", "Ressources"],
      ["Demandes", "Demandes"],
      ["Formations", "Formations"],
      ["Agendas", "Agendas"],
      ["Synchronisation", "Synchronisation"],
      ["Accueil d'un visiteur", "Accueil d'un visiteur"],
      ["Activité", "Activité"],
    ]);

    // In English, then back to French, without leaving the page.
    await go(page, "Accueil", "Console de l'équipe");
    await page.getByRole("button", { name: /English/ }).click();
    await page.getByRole("heading", { level: 1, name: "Team console" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page
      .getByRole("navigation", { name: "Main navigation" })
      .getByRole("link", { name: "Home", exact: true })
      .waitFor();
    await screenshot(page, "console-team-home-en");
    await page.getByRole("button", { name: /Français/ }).click();
    await page.getByRole("heading", { level: 1, name: "Console de l'équipe" }).waitFor();
    expect(await notReloaded(page)).toBe(true);
  });

  it("satellite's and member's views: no axe violations", async () => {
    const satellite = await open({ server: "agent", agent: 0, role: "SATELLITE" }, "satellite-1");
    expect(await satellite.locator("header").innerText()).toContain("Tiers-lieu satellite");
    await auditScreens(satellite, "console-satellite", [
      ["Accueil", /.+/],
      ["Accueil d'un visiteur", "Accueil d'un visiteur"],
      ["Activité", "Activité"],
      ["Réserver une ressource", "Réserver une ressource"],
      ["Mes demandes", "Mes demandes"],
    ]);

    const member = await open({ server: "agent", agent: 0, role: "MEMBER" }, "member-1");
    expect(await member.locator("header").innerText()).toContain("Membre");
    await auditScreens(member, "console-member", [
      ["Mon pass", "Mon pass"],
      ["Mes visites", "Mes visites"],
      ["Mes réservations", "Mes réservations"],
      ["Mes formations", "Mes formations"],
      ["Mes attestations", "Mes attestations"],
    ]);
  });

  it("a satellite's screens fit a tablet and a phone: nothing wider than the screen, axe clean", async () => {
    const satellite = await open(
      { server: "agent", agent: 0, role: "SATELLITE" },
      "satellite-tablet",
    );
    const overflow = () =>
      satellite.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
    const found: Record<string, { overflow: number; axe: string[] }> = {};
    for (const [name, size] of [
      ["tablet", { width: 768, height: 1024 }],
      ["phone", { width: 390, height: 844 }],
    ] as const) {
      await satellite.setViewportSize(size);
      for (const [path, heading] of [
        ["/", /.+/],
        ["/check-in", "Accueil d'un visiteur"],
        ["/activity", "Activité"],
        ["/book", "Réserver une ressource"],
      ] as const) {
        // Straight to the screen: on a phone the navigation may sit behind a menu button.
        await satellite.goto(`${new URL(satellite.url()).origin}/app${path}`);
        await satellite.getByRole("heading", { level: 1, name: heading }).waitFor();
        await waitReady(satellite);
        const report: AxeReport = await runAxe(satellite);
        found[`${name}: ${path}`] = { overflow: await overflow(), axe: describeViolations(report) };
        await screenshot(satellite, `console-satellite-${name}-${slug(path) || "home"}`);
      }
    }
    for (const [screen, result] of Object.entries(found)) {
      expect(result.overflow, `${screen}: horizontal overflow in px`).toBeLessThanOrEqual(0);
      expect(result.axe, screen).toEqual([]);
    }
  });

  it("a team decides a booking request; the other agent's consoles show the decision live", async () => {
    const resource = "Brodeuse numérique";
    // The owner's team (agent 1) and the requester's team (agent 2), already on their requests.
    const owner = await open({ server: "agent", agent: 0, role: "FABRIQUE_ADMIN" }, "team-1");
    await go(owner, "Demandes", "Demandes");
    const requester = await open({ server: "agent", agent: 1, role: "FABRIQUE_ADMIN" }, "team-2");
    await go(requester, "Demandes", "Demandes");
    // The demo made one request of the same resource already (next week, 10:00): ours is told
    // apart by its time.
    const slot = "13:15";
    const sent = requester
      .getByRole("table", { name: "Demandes envoyées" })
      .getByRole("row")
      .filter({ hasText: resource })
      .filter({ hasText: slot });
    expect(await sent.count()).toBe(0);

    // A satellite of agent 2 asks for agent 1's approval-required resource from its console.
    const satellite = await open({ server: "agent", agent: 1, role: "SATELLITE" }, "satellite-2");
    await go(satellite, "Réserver une ressource", "Réserver une ressource");
    await satellite.getByRole("button", { name: `Choisir ${resource}` }).click();
    await satellite.getByRole("heading", { level: 2, name: `Réserver : ${resource}` }).waitFor();
    // The booking form's fields are the only ones of the page with these names.
    const form = satellite.getByRole("main");
    await form.getByRole("textbox", { name: /^Jour/ }).fill(nextWeekday());
    await form.getByRole("textbox", { name: /^Début/ }).fill(slot);
    await form.getByRole("textbox", { name: /^Fin/ }).fill("15:45");
    await form.getByRole("button", { name: "Envoyer la demande" }).click();
    await form
      .getByRole("status")
      .getByText(/^Demande envoyée : Brodeuse numérique/)
      .waitFor();
    await go(satellite, "Mes demandes", "Mes demandes");
    const mine = satellite
      .getByRole("table", { name: "Mes demandes de réservation" })
      .getByRole("row")
      .filter({ hasText: resource })
      .filter({ hasText: slot });
    await expect.poll(() => mine.innerText()).toContain("En attente");

    // The request reaches the owner's open page live, and the requester's team's list.
    const waiting = owner
      .getByRole("listitem")
      .filter({ hasText: `Demande de ${resource}` })
      .filter({ hasText: slot });
    const accept = waiting.getByRole("button", { name: `Accepter la demande de ${resource}` });
    await accept.waitFor({ timeout: UI_TIMEOUT });
    await expect.poll(() => sent.innerText(), { timeout: UI_TIMEOUT }).toContain("En attente");
    await screenshot(owner, "console-team-request-waiting");

    const decidedAt = Date.now();
    await accept.click();
    await owner.getByText(`Demande de ${resource} acceptée.`).waitFor();
    await expect
      .poll(
        () =>
          owner
            .getByRole("table", { name: "Demandes reçues traitées" })
            .getByRole("row")
            .filter({ hasText: resource })
            .filter({ hasText: slot })
            .innerText(),
        { timeout: UI_TIMEOUT },
      )
      .toContain("Confirmée");

    // Agent 2's pages, open since before the decision, flip to confirmed without a reload.
    await expect
      .poll(() => sent.innerText(), { timeout: UI_TIMEOUT, interval: 250 })
      .toContain("Confirmée");
    const seenByTeamAt = Date.now();
    await expect
      .poll(() => mine.innerText(), { timeout: UI_TIMEOUT, interval: 250 })
      .toContain("Confirmée");
    for (const page of [owner, requester, satellite]) expect(await notReloaded(page)).toBe(true);
    await screenshot(requester, "console-team-request-confirmed");
    await screenshot(satellite, "console-satellite-request-confirmed");
    await recordMeasure("console.decisionToOtherAgent", {
      decisionToRequesterTeamPageMs: seenByTeamAt - decidedAt,
    });
  });

  it("a satellite reports activity in its console; the national dashboard's figure changes live", async () => {
    const dashboard = await open({ server: "hub", role: "NATIONAL" }, "dashboard");
    await dashboard.getByRole("status").filter({ hasText: "Fil en direct connecté" }).waitFor();
    const satellite = await open({ server: "agent", agent: 0, role: "SATELLITE" }, "satellite-1");
    // A fresh demo: nothing reported today yet at this satellite.
    const tile = satellite.getByRole("link", { name: /Déclarer l'activité du jour/ });
    expect(await tile.innerText()).toContain("Pas encore déclarée");
    await tile.click();
    await satellite.getByRole("heading", { level: 1, name: "Activité" }).waitFor();
    await waitReady(satellite);

    const visitors = 613;
    const form = satellite.getByRole("form", { name: "Déclarer l'activité d'une journée" });
    await form.getByLabel("Visiteurs").fill(String(visitors));
    await form.getByLabel("Événements").fill("3");
    await form.getByLabel("Participants").fill("41");
    await form.getByLabel("Heures d'ouverture").fill("6,5");

    const before = await figure(dashboard, "activity.visitors");
    await watchTextChange(dashboard, '[data-figure="activity.visitors"] .value');
    const submittedAt = Date.now();
    await form.getByRole("button", { name: "Enregistrer l'activité" }).click();
    await form
      .getByRole("status")
      .getByText(/^Activité du .* enregistrée pour /)
      .waitFor();
    const savedAt = Date.now();
    await expect
      .poll(() => figure(dashboard, "activity.visitors"), { timeout: UI_TIMEOUT, interval: 250 })
      .toBe(before + visitors);
    const changedAt = await textChangedAt(dashboard);
    expect(await notReloaded(dashboard)).toBe(true);
    // The satellite's own list shows today's report.
    const recent = satellite.getByRole("table", { name: /^Déclarations récentes/ });
    await expect.poll(() => recent.innerText()).toContain("613");
    await screenshot(satellite, "console-satellite-activity-reported");
    await screenshot(dashboard, "dashboard-after-satellite-report");
    await recordMeasure("dashboard.refreshAfterSatelliteReport", {
      via: "satellite console (Enregistrer l'activité)",
      submitToSavedMs: savedAt - submittedAt,
      submitToDashboardFigureMs: changedAt === undefined ? null : changedAt - submittedAt,
    });
  });

  it("a member's pass code, typed at the other fabrique's satellite, checks the member in", async () => {
    const member = await open({ server: "agent", agent: 0, role: "MEMBER" }, "member-1");
    await member.getByRole("heading", { level: 1, name: "Mon pass" }).waitFor();
    const issue = member.getByRole("button", { name: "Obtenir mon pass" });
    if (await issue.isVisible()) await issue.click();
    const codeCell = member.locator("dd.short-code");
    await expect.poll(() => codeCell.innerText()).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const code = await codeCell.innerText();
    await screenshot(member, "console-member-pass");

    const satellite = await open({ server: "agent", agent: 1, role: "SATELLITE" }, "satellite-2");
    await go(satellite, "Accueil d'un visiteur", "Accueil d'un visiteur");
    const visits = satellite.getByRole("table", { name: "Visites du jour" });
    const typed = visits.getByRole("row").filter({ hasText: "Code saisi" });
    const before = await typed.count();
    // The pass reaches this agent through the hub (a new pass takes a moment): the check-in is
    // tried again while it is refused.
    const field = satellite.getByRole("textbox", { name: /^Code du pass/ });
    const submit = satellite.getByRole("button", { name: "Enregistrer l'arrivée" });
    const welcomed = satellite.getByText(/^Arrivée enregistrée : /);
    const answered = satellite.getByText(/^(Arrivée enregistrée|Pass refusé)/).first();
    await expect
      .poll(
        async () => {
          await field.fill(code);
          await submit.click();
          await answered.waitFor({ timeout: 10_000 }).catch(() => {});
          return welcomed.isVisible();
        },
        { timeout: UI_TIMEOUT, interval: 1000 },
      )
      .toBe(true);
    // Today's visits list it (live), as typed, disclosing nothing.
    await expect.poll(() => typed.count()).toBe(before + 1);
    expect(await typed.last().innerText()).toContain("Rien de communiqué");
    await screenshot(satellite, "console-satellite-check-in");

    // The same member at that fabrique's own place, checked in by its team: the welcome names
    // the member's home network, which comes with the check-in's answer (no list of visits'
    // homes fetched again after it).
    const team = await open({ server: "agent", agent: 1, role: "FABRIQUE_ADMIN" }, "team-2");
    const operations: string[] = [];
    team.on("request", (request) => {
      const name = /"query":"\s*(?:query|mutation|subscription)\s+(\w+)/.exec(
        request.postData() ?? "",
      )?.[1];
      if (name) operations.push(name);
    });
    await go(team, "Accueil d'un visiteur", "Accueil d'un visiteur");
    const teamField = team.getByRole("textbox", { name: /^Code du pass/ });
    const teamWelcome = team.getByText(/^Arrivée enregistrée : /);
    const seen = operations.length;
    await teamField.fill(code);
    await team.getByRole("button", { name: "Enregistrer l'arrivée" }).click();
    await expect.poll(() => teamWelcome.innerText()).toMatch(/^Arrivée enregistrée : Membre de /);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // what a refetch would send
    expect(operations.slice(seen).filter((name) => name === "PlaceVisitHomes")).toEqual([]);
  });

  it("keeps working with the hub stopped: offline shown plainly, a report and a booking still succeed", async () => {
    const dashboard = await open({ server: "hub", role: "NATIONAL" }, "dashboard");
    const team = await open({ server: "agent", agent: 0, role: "FABRIQUE_ADMIN" }, "team-1");
    const satellite = await open({ server: "agent", agent: 0, role: "SATELLITE" }, "satellite-1");
    const banner = team.getByText(/^Hub injoignable : le travail continue ici/);
    expect(await banner.count()).toBe(0);

    await web.demo.stopHub();

    // The dashboard lost its server; the team's console says the hub is unreachable.
    await dashboard
      .getByText("Connexion au serveur perdue", { exact: false })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    await banner.waitFor({ timeout: 90_000 });
    const pendingBefore = parseFrenchNumber((await banner.innerText()).split(",")[1] ?? "");
    await screenshot(team, "console-team-offline");
    await screenshot(dashboard, "dashboard-hub-stopped");

    // A report by the team, for one of its places.
    await go(team, "Activité", "Activité");
    const form = team.getByRole("form", { name: "Déclarer l'activité d'une journée" });
    await form.getByLabel("Visiteurs").fill("58");
    await form.getByLabel("Événements").fill("1");
    await form.getByLabel("Participants").fill("12");
    await form.getByLabel("Heures d'ouverture").fill("5");
    await form.getByRole("button", { name: "Enregistrer l'activité" }).click();
    await form
      .getByRole("status")
      .getByText(/^Activité du .* enregistrée pour /)
      .waitFor();
    await screenshot(team, "console-team-offline-report");
    // Waiting for the hub: one more change in the outbox, said on the team's pages.
    await go(team, "Accueil", "Console de l'équipe");
    await expect
      .poll(
        async () =>
          parseFrenchNumber(
            (await team.getByText(/^Hub injoignable : le travail/).innerText()).split(",")[1] ?? "",
          ),
        { timeout: UI_TIMEOUT, interval: 500 },
      )
      .toBeGreaterThan(pendingBefore);

    // A local booking by a satellite: its own network's resource, confirmed at once. Its pages
    // say plainly that the hub is unreachable too.
    await go(satellite, "Réserver une ressource", "Réserver une ressource");
    await satellite
      .getByText(/^Hub injoignable : le travail continue ici/)
      .waitFor({ timeout: 90_000 });
    const kit = "Valise de 12 ordinateurs portables";
    await satellite.getByRole("button", { name: `Choisir ${kit}` }).click();
    await satellite.getByRole("heading", { level: 2, name: `Réserver : ${kit}` }).waitFor();
    const booking = satellite.getByRole("main");
    await booking.getByRole("textbox", { name: /^Jour/ }).fill(nextWeekday());
    await booking.getByRole("textbox", { name: /^Début/ }).fill("14:00");
    await booking.getByRole("textbox", { name: /^Fin/ }).fill("16:00");
    await booking.getByRole("button", { name: "Réserver", exact: true }).click();
    await booking
      .getByRole("status")
      .getByText(/^Réservation confirmée : Valise/)
      .waitFor();
    await screenshot(satellite, "console-satellite-offline-booking");
  });

  it("made no request outside 127.0.0.1, and each console only talked to its own agent", () => {
    const all = contexts.flatMap((c) => c.recorded.requests);
    expect(all.length).toBeGreaterThan(50);
    expect(contexts.flatMap((c) => c.recorded.leaving())).toEqual([]);
    for (const { recorded, origin } of contexts) {
      const elsewhere = recorded.requests.filter(
        (r) => !r.url.startsWith("data:") && new URL(r.url).port !== new URL(origin).port,
      );
      expect(elsewhere, `${recorded.requests[0]?.page}: only ${origin}`).toEqual([]);
    }
  });
});

function slug(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function parisDay(offsetDays: number): Date {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(new Date());
  const date = new Date(`${today}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + offsetDays);
  return date;
}

/** The next Monday-to-Friday after today (Paris), YYYY-MM-DD: the demo resources' open days. */
function nextWeekday(): string {
  for (let offset = 1; ; offset++) {
    const day = parisDay(offset);
    if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) return day.toISOString().slice(0, 10);
  }
}
