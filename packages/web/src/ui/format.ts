import { formatNumber, formatPercent, t } from "../i18n/i18n.ts";

export {
  formatDate,
  formatDateTime,
  formatMonth,
  formatNumber,
  formatPercent,
} from "../i18n/i18n.ts";

/** A count or "—" when absent. */
export function formatCount(value: number | null | undefined, digits = 0): string {
  return value == null ? "—" : formatNumber(value, { maximumFractionDigits: digits });
}

/**
 * A trend as the API gives it, a change in percent against the previous period (-10.4 =
 * −10,4 %), with its sign; "—" without a previous period.
 */
export function formatTrend(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return "—";
  const text = formatPercent(Math.abs(value) / 100, 1);
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

/** A duration in seconds as "12 s", "5 min", "3 h", "2 j". */
export function formatLag(seconds: number): string {
  if (seconds < 60) return `${formatNumber(seconds)} s`;
  if (seconds < 3600) return `${formatNumber(Math.round(seconds / 60))} min`;
  if (seconds < 86_400) return `${formatNumber(Math.round(seconds / 3600))} h`;
  return `${formatNumber(Math.round(seconds / 86_400))} ${t("app.daysShort")}`;
}
