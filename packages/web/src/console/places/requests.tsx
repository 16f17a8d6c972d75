import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { request } from "../../client/http.ts";
import { subscribe } from "../../client/sse.ts";
import { formatDate, type I18nKey, t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { errorText, formatTime, LiveState, useAgentQuery, useReady } from "./common.tsx";
import { BookingUpdatedSubscription, CancelRequestMutation, MyRequestsQuery } from "./queries.ts";

type BookingRequest = NonNullable<ResultOf<typeof MyRequestsQuery>["bookingRequests"]>[number];

/** A request's decision reason in words: its documented code, else the owner's text. */
export function reasonText(r: Pick<BookingRequest, "reasonCode" | "reason">): string {
  if (r.reasonCode) {
    const key = `places.reason.${r.reasonCode}`;
    const known = t(key as I18nKey);
    return known === key ? r.reasonCode : known;
  }
  return r.reason ?? "";
}

function upsert(list: readonly BookingRequest[] | null | undefined, item: BookingRequest) {
  const rest = (list ?? []).filter((r) => r.id !== item.id);
  return [...rest, item].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export default function RequestsPage() {
  const query = useAgentQuery(MyRequestsQuery, {});
  const [live, setLive] = useState<boolean | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [changed, setChanged] = useState<string | undefined>(undefined);
  useReady(Boolean(query.data || query.error));

  const names = useMemo(
    () => new Map((query.data?.networkResources ?? []).map((r) => [r.id, r.name])),
    [query.data],
  );
  const nameOf = (r: BookingRequest) => names.get(r.resourceId) ?? r.resourceId;
  const namesRef = useRef(names);
  namesRef.current = names;

  useEffect(
    () =>
      subscribe(
        BookingUpdatedSubscription,
        {},
        {
          next: (data) => {
            const item = data.bookingUpdated.request;
            if (item?.direction !== "OUTGOING") return;
            query.setData((current) =>
              current
                ? { ...current, bookingRequests: upsert(current.bookingRequests, item) }
                : current,
            );
            setChanged(
              t("places.requests.changed", {
                name: namesRef.current.get(item.resourceId) ?? item.resourceId,
                status: t(`places.status.${item.status}` as I18nKey),
              }),
            );
          },
          reconnected: () => void query.refetch(),
          connection: setLive,
        },
      ),
    [],
  );

  const cancel = async (r: BookingRequest) => {
    if (!window.confirm(t("places.requests.cancelConfirm", { name: nameOf(r) }))) return;
    setFailure(undefined);
    try {
      const result = await request(CancelRequestMutation, { id: r.id });
      const item = result.cancelBookingRequest;
      if (item)
        query.setData((current) =>
          current
            ? { ...current, bookingRequests: upsert(current.bookingRequests, item) }
            : current,
        );
    } catch (error) {
      setFailure(errorText(error));
    }
  };

  const rows = [...(query.data?.bookingRequests ?? [])].sort((a, b) =>
    b.createdAt.localeCompare(a.createdAt),
  );
  const columns: Column<BookingRequest>[] = [
    { key: "resource", label: t("places.col.resource"), value: nameOf, rowHeader: true },
    {
      key: "slot",
      label: t("places.col.slot"),
      value: (r) => r.startsAt,
      render: (r) =>
        `${formatDate(r.startsAt)}, ${formatTime(r.startsAt)} – ${formatTime(r.endsAt)}`,
    },
    {
      key: "kind",
      label: t("places.col.kind"),
      value: (r) => t(`places.kind.${r.kind}` as I18nKey),
    },
    {
      key: "status",
      label: t("places.col.status"),
      value: (r) => t(`places.status.${r.status}` as I18nKey),
      render: (r) => (
        <span class={`status status-${r.status.toLowerCase()}`}>
          {t(`places.status.${r.status}` as I18nKey)}
        </span>
      ),
    },
    { key: "reason", label: t("places.col.reason"), value: reasonText },
    {
      key: "actions",
      label: t("places.actions"),
      value: () => "",
      render: (r) =>
        r.status === "PENDING" || r.status === "CONFIRMED" ? (
          <button
            type="button"
            class="secondary"
            onClick={() => void cancel(r)}
            aria-label={t("places.requests.cancelOf", { name: nameOf(r) })}
          >
            {t("places.requests.cancel")}
          </button>
        ) : (
          ""
        ),
    },
  ];

  return (
    <section class="page places">
      <h1>{t("places.requests")}</h1>
      <LiveState open={live} />
      <div role="status">{changed ? <p class="success-text">{changed}</p> : null}</div>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
      {query.error ? <Banner kind="error">{errorText(query.error)}</Banner> : null}
      {query.data ? (
        <DataTable
          caption={t("places.requests.caption")}
          columns={columns}
          rows={rows}
          rowKey={(r) => r.id}
          csvName="demandes"
        />
      ) : (
        <p class="loading">{t("app.loading")}</p>
      )}
    </section>
  );
}
