import { t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { syncStatus, useSyncPolling } from "../live.ts";

/**
 * The plain offline notice of a console page: while the agent cannot reach the hub, "Hub
 * injoignable : le travail continue ici, N changements en attente d'envoi". Keeps the sync poll
 * running while mounted (console/live.ts). Any console view may render it under its h1.
 */
export function HubBanner() {
  useSyncPolling();
  const status = syncStatus.value;
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
