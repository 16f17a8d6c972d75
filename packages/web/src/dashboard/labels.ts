import { t } from "../i18n/i18n.ts";
import { formatDateTime } from "../ui/format.ts";
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
