import { type I18nKey, t } from "../../i18n/i18n.ts";

export type EnrolmentStatus =
  | "ATTENDED"
  | "CANCELLED"
  | "DECLINED"
  | "ENROLLED"
  | "NO_SHOW"
  | "OFFERED"
  | "PENDING"
  | "WAITLISTED";

/** A booking request's state in words: "En attente", "Confirmée", "Refusée", "Annulée". */
export function requestStatusLabel(status: string): string {
  const key = `console.requestStatus.${status}` as I18nKey;
  return t(key);
}

/** A booking's or loan's state in words. */
export function bookingStatusLabel(status: string): string {
  return t(`console.bookingStatus.${status}` as I18nKey);
}

export function loanStatusLabel(status: string): string {
  return t(`console.loanStatus.${status}` as I18nKey);
}

/** An enrolment's state in words ("Inscrit", "Liste d'attente"…). */
export function enrolmentStatusLabel(status: string): string {
  return t(`console.enrolmentStatus.${status}` as I18nKey);
}

export function topicLabel(topic: string): string {
  return t(`console.topic.${topic}` as I18nKey);
}

export function categoryLabel(category: string): string {
  return t(`console.category.${category}` as I18nKey);
}

export function scopeLabel(scope: string): string {
  return t(`console.scope.${scope}` as I18nKey);
}

export function resourceStatusLabel(status: string): string {
  return t(`console.resourceStatus.${status}` as I18nKey);
}

export function feedTargetLabel(target: string): string {
  return t(`console.feedTarget.${target}` as I18nKey);
}

/** Why a request was declined or cancelled: the documented code in words, else the code. */
export function reasonCodeLabel(code: string | null | undefined): string {
  if (!code) return "";
  const key = `console.reasonCode.${code}` as I18nKey;
  const text = t(key);
  return text === key ? code : text;
}

/** A booking's kind in words ("Réservation", "Prêt"). */
export function bookingKindLabel(kind: string): string {
  return t(`console.kind.${kind}` as I18nKey);
}

/** A member pass's state in words ("Actif", "Révoqué"). */
export function passStatusLabel(status: string): string {
  return t(`places.passStatus.${status}` as I18nKey);
}

/** Why a pass was revoked, in words ("perdu", "remplacé"…). */
export function revocationLabel(reason: string): string {
  return t(`places.revocation.${reason}` as I18nKey);
}

/**
 * A credential type in words: its label when the API gives one, else the type humanised
 * ("laser-safety" → "Laser safety"), never the bare slug.
 */
export function credentialTypeLabel(type: string, label?: string | null): string {
  if (label?.trim()) return label.trim();
  const words = type
    .replace(/[-_.]+/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .trim()
    .toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : type;
}
