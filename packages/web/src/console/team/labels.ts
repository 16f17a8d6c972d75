import { enumLabel } from "../../ui/labels.ts";

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
  return enumLabel("console.requestStatus", status);
}

/** A booking's or loan's state in words. */
export function bookingStatusLabel(status: string): string {
  return enumLabel("console.bookingStatus", status);
}

export function loanStatusLabel(status: string): string {
  return enumLabel("console.loanStatus", status);
}

/** An enrolment's state in words ("Inscrit", "Liste d'attente"…). */
export function enrolmentStatusLabel(status: string): string {
  return enumLabel("console.enrolmentStatus", status);
}

/** A training's topic in words: the shared one (ui/labels.ts, `topic.*` in common). */
export { topicLabel } from "../../ui/labels.ts";

export function categoryLabel(category: string): string {
  return enumLabel("console.category", category);
}

export function scopeLabel(scope: string): string {
  return enumLabel("console.scope", scope);
}

export function resourceStatusLabel(status: string): string {
  return enumLabel("console.resourceStatus", status);
}

export function feedTargetLabel(target: string): string {
  return enumLabel("console.feedTarget", target);
}

/** Why a request was declined or cancelled: the documented code in words, else the code. */
export function reasonCodeLabel(code: string | null | undefined): string {
  return code ? enumLabel("console.reasonCode", code) : "";
}

/** A booking's kind in words ("Réservation", "Prêt"). */
export function bookingKindLabel(kind: string): string {
  return enumLabel("console.kind", kind);
}

/** A member pass's state in words ("Actif", "Révoqué"). */
export function passStatusLabel(status: string): string {
  return enumLabel("places.passStatus", status);
}

/** Why a pass was revoked, in words ("perdu", "remplacé"…). */
export function revocationLabel(reason: string): string {
  return enumLabel("places.revocation", reason);
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

/**
 * Why the member's or the place's own request or enrolment ended, in words from the asker's
 * side (« annulée par vous »): its documented code, else the owner's text.
 */
export function reasonText(r: { reasonCode?: string | null; reason?: string | null }): string {
  return r.reasonCode ? enumLabel("places.reason", r.reasonCode) : (r.reason ?? "");
}
