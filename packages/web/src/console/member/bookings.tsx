import { useEffect, useMemo } from "preact/hooks";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { subscribe } from "../../client/sse.ts";
import { formatDate, t } from "../../i18n/i18n.ts";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { Loading } from "../../ui/loading.tsx";
import { useAgentQuery, useReady } from "../live.ts";
import { formatTime, PlaceHubBanner } from "../places/common.tsx";
import { reasonText, requestStatusLabel } from "../team/labels.ts";
import { MemberBookingUpdatedSubscription, MyBookingsQuery } from "./queries.ts";

type Request = NonNullable<ResultOf<typeof MyBookingsQuery>["bookingRequests"]>[number];

export default function MyBookingsPage() {
  const query = useAgentQuery(MyBookingsQuery, {});
  useReady(Boolean(query.data || query.error));
  useEffect(
    () =>
      subscribe(
        MemberBookingUpdatedSubscription,
        {},
        { next: () => void query.refetch(), reconnected: () => void query.refetch() },
      ),
    [],
  );
  const names = useMemo(
    () => new Map((query.data?.networkResources ?? []).map((r) => [r.id, r.name])),
    [query.data],
  );
  const columns: Column<Request>[] = [
    {
      key: "resource",
      label: t("places.col.resource"),
      value: (r) => names.get(r.resourceId) ?? r.resourceId,
      rowHeader: true,
    },
    {
      key: "slot",
      label: t("places.col.slot"),
      value: (r) => r.startsAt,
      render: (r) =>
        `${formatDate(r.startsAt)}, ${formatTime(r.startsAt)} – ${formatTime(r.endsAt)}`,
    },
    {
      key: "status",
      label: t("places.col.status"),
      value: (r) => requestStatusLabel(r.status),
    },
    { key: "reason", label: t("places.col.reason"), value: reasonText },
  ];
  const rows = [...(query.data?.bookingRequests ?? [])].sort((a, b) =>
    b.startsAt.localeCompare(a.startsAt),
  );
  return (
    <section class="page places">
      <h1>{t("places.myBookings")}</h1>
      <PlaceHubBanner />
      <ErrorBanner error={query.error} />
      {query.data ? (
        <DataTable
          caption={t("places.myBookings.caption")}
          columns={columns}
          rows={rows}
          rowKey={(r) => r.id}
          csvName="mes-reservations"
        />
      ) : (
        <Loading />
      )}
    </section>
  );
}
