import { t } from "../i18n/i18n.ts";
import type { Column } from "../ui/data-table.tsx";
import { formatDateTime, formatLag } from "../ui/format.ts";
import { enumLabel } from "../ui/labels.ts";

export function livenessLabel(value: string): string {
  if (value === "ONLINE") return t("dashboard.online");
  if (value === "STALE") return t("dashboard.stale");
  if (value === "SILENT") return t("dashboard.silent");
  return value;
}

/** A network event's kind in words (ACTIVITY → « Activité »). */
export const eventKindLabel = (kind: string) => enumLabel("dashboard.eventKind", kind);

/** A node's status in words (ACTIVE → « Actif »). */
export const nodeStatusLabel = (status: string) => enumLabel("dashboard.nodeStatusValue", status);

export function dateTimeOrNever(value: string | null | undefined): string {
  return value ? formatDateTime(value) : t("dashboard.never");
}

/** A node's state (liveness, sync lag, pending changes, last seen) as table columns. */
export function nodeStateColumns<
  T extends { liveness: string; lagSeconds: number; pending: number; lastSeenAt?: string | null },
>(): Column<T>[] {
  return [
    {
      key: "liveness",
      label: t("dashboard.livenessState"),
      value: (r) => livenessLabel(r.liveness),
    },
    {
      key: "lag",
      label: t("dashboard.lag"),
      value: (r) => r.lagSeconds,
      render: (r) => formatLag(r.lagSeconds),
      numeric: true,
    },
    { key: "pending", label: t("dashboard.pending"), value: (r) => r.pending, numeric: true },
    {
      key: "lastSeenAt",
      label: t("dashboard.lastSeenAt"),
      value: (r) => r.lastSeenAt ?? "",
      render: (r) => dateTimeOrNever(r.lastSeenAt),
    },
  ];
}
