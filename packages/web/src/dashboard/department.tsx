import type { RouteProps } from "../app/route-types.ts";
import { Link } from "../app/router.ts";
import type { ResultOf } from "../client/hub-graphql.ts";
import { t } from "../i18n/i18n.ts";
import { type Column, DataTable } from "../ui/data-table.tsx";
import { type Health, HealthPage } from "./health-view.tsx";
import { FabriquesQuery } from "./queries.ts";
import { useQuery } from "./use-query.ts";

type Fabrique = NonNullable<ResultOf<typeof FabriquesQuery>["fabriques"]>[number];

/** A department: its figures and trends, and the fabrique territories based there. */
export default function DepartmentPage({ params }: RouteProps) {
  const code = params.code ?? "";
  const fabriques = useQuery(FabriquesQuery, {}, { refreshOn: (e) => e.kind.startsWith("SPACE_") });
  const here = (fabriques.data?.fabriques ?? []).filter((f) => f.commune.department.code === code);
  const find = (h: Health | undefined) => {
    for (const r of h?.regions ?? []) {
      const d = r.departments.find((x) => x.code === code);
      if (d) return { region: r, department: d };
    }
    return undefined;
  };
  const columns: Column<Fabrique>[] = [
    {
      key: "name",
      label: t("dashboard.fabrique"),
      value: (f) => f.name,
      render: (f) => <Link to={`/territories/${f.id}`}>{f.name}</Link>,
    },
    { key: "commune", label: t("dashboard.commune"), value: (f) => f.commune.name },
    {
      key: "rural",
      label: t("dashboard.rural"),
      value: (f) => (f.rural ? t("dashboard.yes") : t("dashboard.no")),
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
          <DataTable
            caption={t("dashboard.territoriesTable", { code })}
            columns={columns}
            rows={here}
            csvName={`territoires-${code}`}
            rowKey={(f) => f.id}
          />
        </section>
      )}
    </HealthPage>
  );
}
