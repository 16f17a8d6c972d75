/// <reference lib="dom" />
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Screenshots and measures land here (gitignored: test-results/). */
export const ARTIFACTS = fileURLToPath(new URL("../../../test-results/web", import.meta.url));

/** Debian's Chromium (.ci/run installs it when missing). */
export const CHROMIUM = "/usr/bin/chromium";

/** Generous: two shared cores, a demo network and a browser on them. */
export const UI_TIMEOUT = 60_000;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** One request (or WebSocket) a page of the context made. */
export type RecordedRequest = { url: string; kind: string; page: string };

/**
 * A fresh browser context (its own cookie jar and cache) that records every request of every
 * page, WebSockets included, and the first moment each page's main#main gets data-ready.
 */
export type RecordedContext = {
  context: BrowserContext;
  requests: RecordedRequest[];
  /** Uncaught errors of the context's pages (printed when a test fails). */
  errors: string[];
  /** The recorded URLs that do not go to 127.0.0.1 (nor are data: or blob:). */
  leaving(): RecordedRequest[];
  close(): Promise<void>;
};

export async function newRecordedContext(
  browser: Browser,
  options: { label: string; bypassCSP?: boolean; locale?: string } = { label: "page" },
): Promise<RecordedContext> {
  const context = await browser.newContext({
    // axe-core is injected as an inline script, which the app's CSP refuses.
    bypassCSP: options.bypassCSP ?? true,
    locale: options.locale ?? "fr-FR",
    timezoneId: "Europe/Paris",
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  context.setDefaultNavigationTimeout(UI_TIMEOUT);
  const requests: RecordedRequest[] = [];
  const errors: string[] = [];
  context.on("request", (request) => {
    requests.push({ url: request.url(), kind: request.resourceType(), page: options.label });
  });
  context.on("page", (page) => {
    page.on("websocket", (socket) => {
      requests.push({ url: socket.url(), kind: "websocket", page: options.label });
    });
    page.on("pageerror", (error) => {
      errors.push(`${options.label} ${page.url()}: ${error.message}`);
    });
  });
  return {
    context,
    requests,
    errors,
    leaving: () => requests.filter((request) => !isLocal(request.url)),
    close: () => context.close(),
  };
}

/** True for an URL whose host is 127.0.0.1 (http, ws), or a data: or blob: URL. */
export function isLocal(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === "data:" || parsed.protocol === "blob:") return true;
  return parsed.hostname === "127.0.0.1";
}

/**
 * The signed-in view's main landmark once its first figures are shown (the signed-out page's
 * own <main> has data-ready too).
 */
export const READY = 'main#main[data-ready="true"]:not(.signed-out)';

/** Waits for the current view's first figures. */
export async function waitReady(page: Page, timeout = UI_TIMEOUT): Promise<void> {
  await page.locator(READY).waitFor({ state: "attached", timeout });
}

/**
 * Opens a one-time sign-in link and waits for the first view's figures. The link's page may
 * redirect to /app/ at once, or show a "Se connecter" button whose form POSTs the link (so that
 * a link scanner opening it uses nothing up): then the button is pressed.
 */
export async function signIn(page: Page, link: string): Promise<void> {
  const response = await page.goto(link, { waitUntil: "domcontentloaded" });
  if (!response?.ok()) {
    throw new Error(`the sign-in link answered ${response?.status()}: ${await response?.text()}`);
  }
  if (new URL(page.url()).pathname === "/login") {
    await Promise.all([
      page.waitForURL((url) => url.pathname.startsWith("/app/"), { waitUntil: "domcontentloaded" }),
      page.getByRole("button", { name: "Se connecter" }).click(),
    ]);
  }
  if (!new URL(page.url()).pathname.startsWith("/app/")) {
    throw new Error(`the sign-in link led to ${page.url()}, not the web app`);
  }
  await waitReady(page);
}

/** A full-page screenshot, test-results/web/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
  return file;
}
