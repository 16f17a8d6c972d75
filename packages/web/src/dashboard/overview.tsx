import { session } from "../app/session.ts";
import { t } from "../i18n/i18n.ts";
import { FranceMap, mapDepartments } from "./france-map.tsx";
import { DepartmentsTable, HealthPage, RegionsTable } from "./health-view.tsx";
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
          {health.scope === "NATION" ? (
            <RegionsTable regions={health.regions} />
          ) : (
            <section aria-labelledby="departments-h">
              <h2 id="departments-h">{t("dashboard.departments")}</h2>
              <DepartmentsTable
                departments={health.regions.flatMap((r) => r.departments)}
                caption={t("dashboard.departments")}
              />
            </section>
          )}
        </>
      )}
    </HealthPage>
  );
}
