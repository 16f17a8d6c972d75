import { fr, type I18nKey, t } from "../i18n/i18n.ts";
import { formatDateTime } from "../ui/format.ts";

export function livenessLabel(value: string): string {
  if (value === "ONLINE") return t("dashboard.online");
  if (value === "STALE") return t("dashboard.stale");
  if (value === "SILENT") return t("dashboard.silent");
  return value;
}

/** An enum value in words: the message `<prefix>.<value>` when there is one, else the value. */
function enumLabel(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return key in fr ? t(key as I18nKey) : value;
}

/** A network event's kind in words (ACTIVITY → « Activité »). */
export const eventKindLabel = (kind: string) => enumLabel("dashboard.eventKind", kind);

/** A node's status in words (ACTIVE → « Actif »). */
export const nodeStatusLabel = (status: string) => enumLabel("dashboard.nodeStatusValue", status);

export function dateTimeOrNever(value: string | null | undefined): string {
  return value ? formatDateTime(value) : t("dashboard.never");
}

const TOPIC_KEYS: Record<string, I18nKey> = {
  DIGITAL_FABRICATION: "topic.DIGITAL_FABRICATION",
  DIGITAL_MEDIATION: "topic.DIGITAL_MEDIATION",
  DIGITAL_SKILLS: "topic.DIGITAL_SKILLS",
  ELECTRONICS: "topic.ELECTRONICS",
  ENTREPRENEURSHIP: "topic.ENTREPRENEURSHIP",
  FACILITATION: "topic.FACILITATION",
  FOOD: "topic.FOOD",
  MACHINE_SAFETY: "topic.MACHINE_SAFETY",
  OTHER: "topic.OTHER",
  SUSTAINABILITY: "topic.SUSTAINABILITY",
  TEXTILE: "topic.TEXTILE",
  WOODWORKING: "topic.WOODWORKING",
};

export function topicLabel(topic: string): string {
  const key = TOPIC_KEYS[topic];
  return key ? t(key) : topic;
}
