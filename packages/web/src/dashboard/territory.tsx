import type { RouteProps } from "../app/route-types.ts";
import { t } from "../i18n/i18n.ts";
import { HealthPage } from "./health-view.tsx";
import { NodesTable } from "./nodes.tsx";
import { FabriquesQuery } from "./queries.ts";
import { useQuery } from "./use-query.ts";

/** A fabrique's territory (itself and its satellites): figures, trends, its node. */
export default function TerritoryPage({ params }: RouteProps) {
  const id = params.id ?? "";
  const fabriques = useQuery(FabriquesQuery, {}, { refreshOn: (e) => e.kind.startsWith("SPACE_") });
  const fabrique = fabriques.data?.fabriques?.find((f) => f.id === id);
  const name = fabrique?.name ?? t("dashboard.territory");
  return (
    <HealthPage
      scope={{ fabriqueId: id }}
      title={() => t("dashboard.territoryTitle", { name })}
      crumbs={() => [
        { label: t("dashboard.france"), to: "/" },
        ...(fabrique
          ? [
              {
                label: fabrique.commune.region.name,
                to: `/regions/${fabrique.commune.region.code}`,
              },
              {
                label: fabrique.commune.department.name,
                to: `/departments/${fabrique.commune.department.code}`,
              },
            ]
          : []),
        { label: name },
      ]}
    >
      {() => (
        <section aria-labelledby="node-h">
          <h2 id="node-h">{t("dashboard.territoryNode")}</h2>
          <NodesTable fabriqueId={id} />
        </section>
      )}
    </HealthPage>
  );
}
