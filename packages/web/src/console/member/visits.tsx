import type { ResultOf } from "../../client/agent-graphql.ts";
import { formatDate, t } from "../../i18n/i18n.ts";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { Loading } from "../../ui/loading.tsx";
import { useAgentQuery, useReady, useSubscription } from "../live.ts";
import { formatTime, PlaceHubBanner } from "../places/common.tsx";
import { VisitRecordedSubscription } from "../places/queries.ts";
import { MyVisitsQuery } from "./queries.ts";

type Visit = NonNullable<ResultOf<typeof MyVisitsQuery>["myVisits"]>[number];

export default function MyVisitsPage() {
  const query = useAgentQuery(MyVisitsQuery, {});
  // A check-in or check-out at a desk (here, or brought from another node) shows at once.
  const refresh = () => void query.refetch();
  useSubscription(VisitRecordedSubscription, {}, { next: refresh, reconnected: refresh });
  useReady(Boolean(query.data || query.error));
  const columns: Column<Visit>[] = [
    {
      key: "day",
      label: t("places.col.day"),
      value: (v) => v.day,
      render: (v) => formatDate(v.day),
      rowHeader: true,
    },
    { key: "space", label: t("places.col.place"), value: (v) => v.space?.name ?? v.spaceId },
    {
      key: "arrivedAt",
      label: t("places.col.arrivedAt"),
      value: (v) => v.arrivedAt,
      render: (v) => formatTime(v.arrivedAt),
    },
    {
      key: "departedAt",
      label: t("places.col.departedAt"),
      value: (v) => v.departedAt ?? "",
      render: (v) => (v.departedAt ? formatTime(v.departedAt) : "—"),
    },
    {
      key: "method",
      label: t("places.col.method"),
      value: (v) => (v.method === "PASS" ? t("places.method.PASS") : t("places.method.SHORT_CODE")),
    },
  ];
  return (
    <section class="page places">
      <h1>{t("places.myVisits")}</h1>
      <PlaceHubBanner />
      <ErrorBanner error={query.error} />
      {query.data ? (
        <DataTable
          caption={t("places.myVisits.caption")}
          columns={columns}
          rows={query.data.myVisits ?? []}
          rowKey={(v) => v.id}
          csvName="mes-visites"
        />
      ) : (
        <Loading />
      )}
    </section>
  );
}
