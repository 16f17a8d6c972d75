import { t } from "../../i18n/i18n.ts";

/** The activity form: its fields as typed, checked as the contract does before sending. */
export type FormField = "date" | "visitors" | "events" | "participants" | "openHours" | "note";
export type FormState = Record<FormField, string>;

export const EMPTY = (date: string): FormState => ({
  date,
  visitors: "",
  events: "",
  participants: "",
  openHours: "",
  note: "",
});

/** Checks the form as the contract does; returns the input or the errors by field. */
export function readActivityForm(
  form: FormState,
  today: string,
):
  | { ok: true; value: Omit<ReportInput, "spaceId" | "idempotencyKey"> }
  | { ok: false; errors: Partial<Record<FormField, string>> } {
  const errors: Partial<Record<FormField, string>> = {};
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.date)) errors.date = t("places.activity.dateInvalid");
  else if (form.date > today) errors.date = t("places.activity.dateFuture");
  const count = (field: "visitors" | "events" | "participants") => {
    const text = form[field].trim();
    if (!/^\d+$/.test(text)) {
      errors[field] = t("places.activity.countInvalid");
      return 0;
    }
    return Number(text);
  };
  const visitors = count("visitors");
  const events = count("events");
  const participants = count("participants");
  const hoursText = form.openHours.trim().replace(",", ".");
  const openHours = Number(hoursText);
  if (!/^\d+(\.\d+)?$/.test(hoursText) || openHours > 24)
    errors.openHours = t("places.activity.hoursInvalid");
  if (Object.keys(errors).length) return { ok: false, errors };
  const note = form.note.trim();
  return {
    ok: true,
    value: {
      date: form.date,
      visitors,
      events,
      participants,
      openHours,
      ...(note ? { note } : {}),
    },
  };
}

export interface ReportInput {
  spaceId: string;
  date: string;
  visitors: number;
  events: number;
  participants: number;
  openHours: number;
  note?: string;
  idempotencyKey?: string;
}
