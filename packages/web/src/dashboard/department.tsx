import type { RouteProps } from "../app/route-types.ts";
import { Link } from "../app/router.ts";
import { t } from "../i18n/i18n.ts";
import { type Column, DataTable } from "../ui/data-table.tsx";
import { formatCount } from "../ui/format.ts";
import { type Health, HealthPage } from "./health-view.tsx";
import { DepartmentSpacesQuery } from "./queries.ts";
import { type Territory, territoriesOf } from "./territories.ts";
import { useQuery } from "./use-query.ts";

/** A department: its figures and trends, and every fabrique territory with a place there. */
export default function DepartmentPage({ params }: RouteProps) {
  const code = params.code ?? "";
  const spaces = useQuery(
    DepartmentSpacesQuery,
    { department: code },
    { refreshOn: (e) => e.kind.startsWith("SPACE_") && e.departmentCode === code },
  );
  const territories = territoriesOf((spaces.data?.spaces?.edges ?? []).map((e) => e.node));
  const find = (h: Health | undefined) => {
    for (const r of h?.regions ?? []) {
      const d = r.departments.find((x) => x.code === code);
      if (d) return { region: r, department: d };
    }
    return undefined;
  };
  const columns: Column<Territory>[] = [
    {
      key: "name",
      label: t("dashboard.fabrique"),
      value: (x) => x.fabrique.name,
      render: (x) => <Link to={`/territories/${x.fabrique.id}`}>{x.fabrique.name}</Link>,
      rowHeader: true,
    },
    {
      key: "commune",
      label: t("dashboard.commune"),
      value: ({ fabrique: { commune } }) =>
        commune.department.code === code
          ? commune.name
          : `${commune.name} (${commune.department.name})`,
    },
    {
      key: "rural",
      label: t("dashboard.rural"),
      value: (x) => (x.fabrique.rural ? t("dashboard.yes") : t("dashboard.no")),
    },
    {
      key: "places",
      label: t("dashboard.placesInDepartment"),
      value: (x) => x.places,
      render: (x) => formatCount(x.places),
      numeric: true,
    },
  ];
  return (
    <HealthPage
      scope={{ department: code }}
      title={(h) =>
        t("dashboard.departmentTitle", { name: find(h)?.department.name ?? code, code })
      }
      crumbs={(h) => {
        const found = find(h);
        return [
          { label: t("dashboard.france"), to: "/" },
          ...(found ? [{ label: found.region.name, to: `/regions/${found.region.code}` }] : []),
          { label: found?.department.name ?? code },
        ];
      }}
    >
      {() => (
        <section aria-labelledby="territories-h">
          <h2 id="territories-h">{t("dashboard.territories")}</h2>
          <p>{t("dashboard.territoriesExplained")}</p>
          <DataTable
            caption={t("dashboard.territoriesTable", { code })}
            columns={columns}
            rows={territories}
            csvName={`territoires-${code}`}
            rowKey={(x) => x.fabrique.id}
          />
        </section>
      )}
    </HealthPage>
  );
}
