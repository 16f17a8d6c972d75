/**
 * What a member shows at a visited place: among the fields its pass carries (its consent),
 * those it ticks at that moment — none by default. The API's ConsentField values.
 */
export const CONSENT_FIELDS = ["FIRST_NAME", "EMAIL", "PHONE", "ORGANISATION"] as const;
export type ConsentField = (typeof CONSENT_FIELDS)[number];

/** The fields in the canonical order, without duplicates, kept only if `allowed` has them. */
export function normaliseFields(
  fields: Iterable<string>,
  allowed: Iterable<string> = CONSENT_FIELDS,
): ConsentField[] {
  const wanted = new Set(fields);
  const ok = new Set(allowed);
  return CONSENT_FIELDS.filter((f) => wanted.has(f) && ok.has(f));
}

/** The disclosure after ticking (on) or unticking a field; a field not consented is never added. */
export function toggleField(
  selected: readonly string[],
  field: ConsentField,
  on: boolean,
  consent: readonly string[],
): ConsentField[] {
  const next = new Set(selected);
  if (on) next.add(field);
  else next.delete(field);
  return normaliseFields(next, consent);
}

/** What changes between two consents (a change re-issues the pass). */
export function consentChange(
  current: readonly string[],
  next: readonly string[],
): { added: ConsentField[]; removed: ConsentField[]; changed: boolean } {
  const a = normaliseFields(current);
  const b = normaliseFields(next);
  const added = b.filter((f) => !a.includes(f));
  const removed = a.filter((f) => !b.includes(f));
  return { added, removed, changed: added.length + removed.length > 0 };
}

/** The member's value for a field, to show next to its checkbox (null: none recorded). */
export function fieldValue(
  member:
    | {
        firstName?: string | null;
        email?: string | null;
        phone?: string | null;
        organisation?: string | null;
      }
    | null
    | undefined,
  field: ConsentField,
): string | null {
  if (!member) return null;
  switch (field) {
    case "FIRST_NAME":
      return member.firstName ?? null;
    case "EMAIL":
      return member.email ?? null;
    case "PHONE":
      return member.phone ?? null;
    case "ORGANISATION":
      return member.organisation ?? null;
  }
}
