/// <reference lib="dom" />
import type { BrowserContext, Page, Request } from "playwright-core";
import { READY } from "./browser.ts";

/** "1 234", "12,5 %", "3 456 h" (French formats, narrow no-break spaces) → 1234, 12.5, 3456. */
export function parseFrenchNumber(text: string): number {
  const cleaned = text.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
  const match = /-?\d+(\.\d+)?/.exec(cleaned);
  if (!match) throw new Error(`no number in "${text}"`);
  return Number(match[0]);
}

/** The value of a dashboard figure (its `data-figure` id, e.g. "activity.visitors"). */
export async function figure(page: Page, id: string): Promise<number> {
  const text = await page.locator(`[data-figure="${id}"] .value`).innerText();
  return parseFrenchNumber(text);
}

/**
 * Records, in the page, when main#main first gets data-ready="true" (ms since the navigation
 * started: performance.now() of the document) in window.__readyAt. Installed before any script
 * of every document of the context.
 */
export async function recordReadyTime(context: BrowserContext): Promise<void> {
  await context.addInitScript((ready) => {
    const w = window as unknown as { __readyAt?: number };
    const check = () => {
      if (w.__readyAt === undefined && document.querySelector(ready)) {
        w.__readyAt = performance.now();
      }
    };
    new MutationObserver(check).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["data-ready"],
    });
  }, READY);
}

export async function readyTime(page: Page): Promise<number | undefined> {
  return page.evaluate(() => (window as unknown as { __readyAt?: number }).__readyAt);
}

/**
 * What the current document loaded, from the page's Resource Timing entries (the document
 * itself included): bytes over the wire (`transferSize`: headers and encoded body) of the
 * responses ended by `until` (ms, performance.now() of the document; all when absent), by
 * initiator type. Exact about the cut-off, unlike events seen from outside the page.
 */
export async function loadedBytes(page: Page, until?: number) {
  return page.evaluate((cutoff) => {
    const entries = [
      ...performance.getEntriesByType("navigation"),
      ...performance.getEntriesByType("resource"),
    ] as PerformanceResourceTiming[];
    const ended = entries.filter((e) => cutoff === null || e.responseEnd <= cutoff);
    const byType: Record<string, number> = {};
    for (const e of ended)
      byType[e.initiatorType] = (byType[e.initiatorType] ?? 0) + e.transferSize;
    return {
      bytes: ended.reduce((sum, e) => sum + e.transferSize, 0),
      requests: ended.length,
      byType,
    };
  }, until ?? null);
}

/** Bytes over the wire (response headers + encoded body) of the requests a context finishes. */
export class TransferMeter {
  private pending: Promise<void>[] = [];
  private rows: { url: string; type: string; bytes: number; at: number }[] = [];

  constructor(context: BrowserContext) {
    context.on("requestfinished", (request) => {
      this.pending.push(this.add(request));
    });
  }

  private async add(request: Request): Promise<void> {
    const at = Date.now();
    try {
      const sizes = await request.sizes();
      this.rows.push({
        url: request.url(),
        type: request.resourceType(),
        bytes: sizes.responseBodySize + sizes.responseHeadersSize,
        at,
      });
    } catch {
      // the page closed before the sizes were known
    }
  }

  /** Totals of what finished up to `until` (epoch ms), by resource type. */
  async total(until = Number.POSITIVE_INFINITY) {
    await Promise.all(this.pending);
    const rows = this.rows.filter((row) => row.at <= until);
    const byType: Record<string, number> = {};
    for (const row of rows) byType[row.type] = (byType[row.type] ?? 0) + row.bytes;
    return {
      bytes: rows.reduce((sum, row) => sum + row.bytes, 0),
      requests: rows.length,
      byType,
    };
  }

  reset(): void {
    this.rows = [];
    this.pending = [];
  }
}

/**
 * Watches an element's text in the page and records (window.__changedAt, epoch ms) the first
 * moment it differs from what it is now. Returns the current text.
 */
export async function watchTextChange(page: Page, selector: string): Promise<string> {
  return page.evaluate((sel) => {
    const w = window as unknown as { __changedAt?: number; __changedTo?: string };
    const element = document.querySelector(sel);
    if (!element) throw new Error(`no element ${sel}`);
    const before = element.textContent ?? "";
    w.__changedAt = undefined;
    w.__changedTo = undefined;
    // The figure may be re-rendered as a new node: observe the document, read the selector again.
    const observer = new MutationObserver(() => {
      const now = document.querySelector(sel)?.textContent ?? "";
      if (now !== before && w.__changedAt === undefined) {
        w.__changedAt = Date.now();
        w.__changedTo = now;
        observer.disconnect();
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    return before;
  }, selector);
}

export async function textChangedAt(page: Page): Promise<number | undefined> {
  return page.evaluate(() => (window as unknown as { __changedAt?: number }).__changedAt);
}
