import { fr, type I18nKey, t } from "../i18n/i18n.ts";

/**
 * An API enum value in words: the message `<prefix>.<value>` when the dictionaries have one,
 * else the value as sent (a value newer than this app).
 */
export function enumLabel(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return Object.hasOwn(fr, key) ? t(key as I18nKey) : value;
}

/** A training's topic in words (WOODWORKING → « Travail du bois »), `topic.*` in common.*.ts. */
export const topicLabel = (topic: string) => enumLabel("topic", topic);
