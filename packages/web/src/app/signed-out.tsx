import { t } from "../i18n/i18n.ts";

/** Shown without a session: how to get a one-time sign-in link. */
export function SignedOut() {
  return (
    <main id="main" class="signed-out" data-ready="true">
      <h1>{t("app.signedOutTitle")}</h1>
      <p>{t("app.signedOutText")}</p>
      <ul>
        <li>
          {t("app.signedOutHub")} <code>maillage hub login-link</code>
        </li>
        <li>
          {t("app.signedOutAgent")} <code>maillage agent login-link</code>
        </li>
      </ul>
      <p>{t("app.signedOutNote")}</p>
    </main>
  );
}
