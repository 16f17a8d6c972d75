import { useEffect } from "preact/hooks";
import { markReady } from "../app/status.ts";
import { t } from "../i18n/i18n.ts";
import { startLive } from "./live.ts";
import { LiveStatus, LiveTable } from "./live-feed.tsx";
import { Breadcrumb } from "./parts.tsx";

/** The network's live feed since the dashboard opened (resumed from its cursor after a drop). */
export default function LivePage() {
  useEffect(() => {
    startLive();
    markReady();
  }, []);
  return (
    <div class="page">
      <Breadcrumb
        crumbs={[{ label: t("dashboard.france"), to: "/" }, { label: t("dashboard.live") }]}
      />
      <h1>{t("dashboard.liveTitle")}</h1>
      <p class="hint">{t("dashboard.liveExplained")}</p>
      <LiveStatus />
      <LiveTable />
    </div>
  );
}
