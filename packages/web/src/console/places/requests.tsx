import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { session } from "../../app/session.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { subscribe } from "../../client/sse.ts";
import { formatDate, t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { Loading } from "../../ui/loading.tsx";
import { useAgentQuery, useReady, withItem } from "../live.ts";
import {
  BookingUpdatedSubscription,
  CancelBookingMutation,
  CancelBookingRequestMutation,
} from "../queries.ts";
import {
  bookingKindLabel,
  bookingStatusLabel,
  reasonText,
  requestStatusLabel,
} from "../team/labels.ts";
import {
  formatTime,
  LiveState,
  PlaceHubBanner,
  releaseConnection,
  trackConnection,
} from "./common.tsx";
import { BookableResourcesQuery, MyRequestsQuery, ResourceBookingsQuery } from "./queries.ts";

type LocalBooking = NonNullable<ResultOf<typeof ResourceBookingsQuery>["bookings"]>[number];

type BookingRequest = NonNullable<ResultOf<typeof MyRequestsQuery>["bookingRequests"]>[number];

function upsert(list: readonly BookingRequest[] | null | undefined, item: BookingRequest) {
  return withItem(list, item).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * The bookings this satellite made of its own network's resources (confirmed at once by book):
 * those for its space, from today on, with their cancellation.
 */
function LocalBookings({ version }: { version: number }) {
  const s = session.value;
  const spaceId = s?.spaceId ?? "";
  const resources = useAgentQuery(
    BookableResourcesQuery,
    { spaceId, fabriqueId: s?.fabriqueId ?? spaceId },
    { skip: !spaceId },
  );
  const [bookings, setBookings] = useState<LocalBooking[] | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const owned = useMemo(() => {
    const map = new Map<string, string>();
    for (const r of [...(resources.data?.own ?? []), ...(resources.data?.fabrique ?? [])])
      if (r.owned) map.set(r.id, r.name);
    return map;
  }, [resources.data]);

  useEffect(() => {
    if (!resources.data) return;
    let live = true;
    const since = new Date(Date.now() - 86_400_000).toISOString();
    Promise.all(
      [...owned.keys()].map((resourceId) =>
        request(ResourceBookingsQuery, { resourceId }).then((r) => r.bookings ?? []),
      ),
    )
      .then((lists) => {
        if (!live) return;
        setBookings(
          lists
            .flat()
            .filter((b) => b.forSpaceId === spaceId && b.kind === "BOOKING" && b.endsAt >= since)
            .sort((a, b) => a.startsAt.localeCompare(b.startsAt)),
        );
      })
      .catch((error) => live && setFailure(errorMessage(error)));
    return () => {
      live = false;
    };
  }, [owned, version]);

  const cancel = async (b: LocalBooking) => {
    const name = owned.get(b.resourceId) ?? b.resourceId;
    if (!window.confirm(t("places.requests.cancelConfirm", { name }))) return;
    setFailure(undefined);
    try {
      const result = await request(CancelBookingMutation, { id: b.id });
      const status = result.cancelBooking?.status;
      if (status) setBookings((list) => list?.map((x) => (x.id === b.id ? { ...x, status } : x)));
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };

  if (!spaceId) return null;
  const columns: Column<LocalBooking>[] = [
    {
      key: "resource",
      label: t("places.col.resource"),
      value: (b) => owned.get(b.resourceId) ?? b.resourceId,
      rowHeader: true,
    },
    {
      key: "slot",
      label: t("places.col.slot"),
      value: (b) => b.startsAt,
      render: (b) =>
        `${formatDate(b.startsAt)}, ${formatTime(b.startsAt)} – ${formatTime(b.endsAt)}`,
    },
    {
      key: "status",
      label: t("places.col.status"),
      value: (b) => bookingStatusLabel(b.status),
    },
    {
      key: "actions",
      label: t("places.actions"),
      value: () => "",
      render: (b) =>
        b.status === "CONFIRMED" ? (
          <button
            type="button"
            class="secondary"
            onClick={() => void cancel(b)}
            aria-label={t("places.requests.cancelBookingOf", {
              name: owned.get(b.resourceId) ?? b.resourceId,
              date: formatDate(b.startsAt),
            })}
          >
            {t("places.requests.cancel")}
          </button>
        ) : (
          ""
        ),
    },
  ];
  return (
    <>
      <h2>{t("places.requests.localTitle")}</h2>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
      <ErrorBanner error={resources.error} />
      {bookings ? (
        <DataTable
          caption={t("places.requests.localCaption")}
          columns={columns}
          rows={bookings}
          rowKey={(b) => b.id}
          csvName="reservations"
        />
      ) : (
        <Loading />
      )}
    </>
  );
}

export default function RequestsPage() {
  const query = useAgentQuery(MyRequestsQuery, {});
  const [bookingsVersion, setBookingsVersion] = useState(0);
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
      releaseConnection(
        subscribe(
          BookingUpdatedSubscription,
          {},
          {
            next: (data) => {
              if (data.bookingUpdated.booking) setBookingsVersion((v) => v + 1);
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
                  status: requestStatusLabel(item.status),
                }),
              );
            },
            reconnected: () => {
              void query.refetch();
              setBookingsVersion((v) => v + 1);
            },
            connection: trackConnection(setLive),
          },
        ),
      ),
    [],
  );

  const cancel = async (r: BookingRequest) => {
    if (!window.confirm(t("places.requests.cancelConfirm", { name: nameOf(r) }))) return;
    setFailure(undefined);
    try {
      const result = await request(CancelBookingRequestMutation, { id: r.id });
      const item = result.cancelBookingRequest;
      if (item)
        query.setData((current) =>
          current
            ? { ...current, bookingRequests: upsert(current.bookingRequests, item) }
            : current,
        );
    } catch (error) {
      setFailure(errorMessage(error));
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
      value: (r) => bookingKindLabel(r.kind),
    },
    {
      key: "status",
      label: t("places.col.status"),
      value: (r) => requestStatusLabel(r.status),
      render: (r) => (
        <span class={`status status-${r.status.toLowerCase()}`}>
          {requestStatusLabel(r.status)}
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
      <PlaceHubBanner />
      <LiveState open={live} />
      <div role="status">{changed ? <p class="success-text">{changed}</p> : null}</div>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
      <ErrorBanner error={query.error} />
      <h2>{t("places.requests.remoteTitle")}</h2>
      {query.data ? (
        <DataTable
          caption={t("places.requests.caption")}
          columns={columns}
          rows={rows}
          rowKey={(r) => r.id}
          csvName="demandes"
        />
      ) : (
        <Loading />
      )}
      <LocalBookings version={bookingsVersion} />
    </section>
  );
}
