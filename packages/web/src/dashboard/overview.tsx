import { session } from "../app/session.ts";
import { t } from "../i18n/i18n.ts";
import { FranceMap, mapDepartments } from "./france-map.tsx";
import { HealthPage, RegionsTable } from "./health-view.tsx";
import { LiveFeed } from "./live-feed.tsx";

/** The landing page: the caller's whole view (France for NATIONAL, its territory otherwise). */
export default function Overview() {
  const national = session.value?.role === "NATIONAL";
  const title = national ? t("dashboard.titleNational") : t("dashboard.titleTerritory");
  return (
    <HealthPage
      scope={{}}
      title={() => title}
      crumbs={() => [{ label: t("dashboard.france") }]}
      beforeTrends={() => <LiveFeed />}
    >
      {(health) => (
        <>
          <FranceMap departments={mapDepartments(health.regions)} />
          <RegionsTable regions={health.regions} />
        </>
      )}
    </HealthPage>
  );
}
