import { t } from "../i18n/i18n.ts";

/** "Chargement…" while the first answer is awaited; nothing once `failed` (an error shown instead). */
export function Loading({ failed }: { failed?: unknown }) {
  return failed ? null : <p class="loading">{t("app.loading")}</p>;
}
