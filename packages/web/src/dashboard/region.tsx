import type { RouteProps } from "../app/route-types.ts";
import { t } from "../i18n/i18n.ts";
import { FranceMap, mapDepartments } from "./france-map.tsx";
import { DepartmentsTable, HealthPage } from "./health-view.tsx";

/** A region: its figures, trends, departments (map and table). */
export default function RegionPage({ params }: RouteProps) {
  const code = params.code ?? "";
  return (
    <HealthPage
      scope={{ region: code }}
      title={(h) =>
        t("dashboard.regionTitle", { name: h?.regions.find((r) => r.code === code)?.name ?? code })
      }
      crumbs={(h) => [
        { label: t("dashboard.france"), to: "/" },
        { label: h?.regions.find((r) => r.code === code)?.name ?? code },
      ]}
    >
      {(health) => {
        const region = health.regions.find((r) => r.code === code);
        const departments = region?.departments ?? [];
        return (
          <>
            <section aria-labelledby="departments-h">
              <h2 id="departments-h">{t("dashboard.departments")}</h2>
              <DepartmentsTable
                departments={departments}
                caption={t("dashboard.departmentsTable", { name: region?.name ?? code })}
              />
            </section>
            <FranceMap departments={mapDepartments(region ? [region] : [])} zoom />
          </>
        );
      }}
    </HealthPage>
  );
}
