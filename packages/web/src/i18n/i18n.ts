import { effect, signal } from "@preact/signals";
import { commonEn } from "./common.en.ts";
import { commonFr } from "./common.fr.ts";
import { consoleEn } from "./console.en.ts";
import { consoleFr } from "./console.fr.ts";
import { dashboardEn } from "./dashboard.en.ts";
import { dashboardFr } from "./dashboard.fr.ts";
import { placesEn } from "./places.en.ts";
import { placesFr } from "./places.fr.ts";

export const fr = { ...commonFr, ...dashboardFr, ...consoleFr, ...placesFr };
export const en: typeof fr = { ...commonEn, ...dashboardEn, ...consoleEn, ...placesEn };

export type I18nKey = keyof typeof fr;
export type Lang = "fr" | "en";
export const LANGS: readonly Lang[] = ["fr", "en"];

const dictionaries: Record<Lang, Record<I18nKey, string>> = { fr, en };
const STORAGE_KEY = "maillage.lang";

function storedLang(): Lang {
  try {
    const value = globalThis.localStorage?.getItem(STORAGE_KEY);
    return value === "en" ? "en" : "fr";
  } catch {
    return "fr";
  }
}

/** The interface language: French by default, English second; kept in localStorage. */
export const lang = signal<Lang>(storedLang());

effect(() => {
  const value = lang.value;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, value);
  } catch {
    // private mode: the choice lasts for the page
  }
  if (typeof document !== "undefined") document.documentElement.lang = value;
});

/** The message `key` in the current language, `{name}` placeholders replaced from `params`. */
export function t(key: I18nKey, params?: Record<string, string | number>): string {
  const text = dictionaries[lang.value][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === "number" ? formatNumber(value) : value;
  });
}

const TIME_ZONE = "Europe/Paris";
const locale = () => (lang.value === "en" ? "en-GB" : "fr-FR");

/** A number in the current language (1 234,5 in French). */
export function formatNumber(value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale(), options).format(value);
}

/** A share 0..1 as a percentage (42 %). */
export function formatPercent(value: number | null | undefined, digits = 0): string {
  if (value == null || Number.isNaN(value)) return "—";
  return formatNumber(value, { style: "percent", maximumFractionDigits: digits });
}

function toDate(value: string | number | Date): Date {
  return value instanceof Date ? value : new Date(value);
}

/** A calendar date, in Paris time (7 déc. 2026). A plain "YYYY-MM-DD" is taken as that day. */
export function formatDate(
  value: string | number | Date,
  options?: Intl.DateTimeFormatOptions,
): string {
  const day = typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value);
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: "medium",
    ...options,
    timeZone: day ? "UTC" : TIME_ZONE,
  }).format(toDate(day ? `${value}T00:00:00Z` : value));
}

/** A date and time, in Paris time (7 déc. 2026, 14:05). */
export function formatDateTime(value: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: TIME_ZONE,
  }).format(toDate(value));
}

/** A month "2026-11" as "nov. 2026". */
export function formatMonth(month: string): string {
  return new Intl.DateTimeFormat(locale(), {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(`${month}-01T00:00:00Z`));
}
