import { useEffect } from "preact/hooks";
import { markReady } from "../app/status.ts";
import { t } from "../i18n/i18n.ts";

export default function ConsolePlaceholder() {
  useEffect(markReady, []);
  return (
    <section class="page">
      <h1>{t("console.home")}</h1>
    </section>
  );
}
