import { t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { hubConnection, useHubConnectionPolling } from "../live.ts";

/**
 * The plain offline notice of a console page: while the agent cannot reach the hub, "Hub
 * injoignable : le travail continue ici, N changements en attente d'envoi". Keeps the
 * hub-connection poll running while mounted (console/live.ts; every role may read it). Every
 * console view renders it under its h1.
 */
export function HubBanner() {
  useHubConnectionPolling();
  const status = hubConnection.value;
  return (
    <div class="hub-banner" aria-live="polite">
      {status && status.hubReachable === false ? (
        <Banner kind="warning">
          {t("console.hubUnreachable", { count: status.outboxPending })}
        </Banner>
      ) : null}
    </div>
  );
}
