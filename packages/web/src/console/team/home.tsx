import { useEffect, useRef, useState } from "preact/hooks";
import { Link } from "../../app/router.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { request } from "../../client/http.ts";
import { formatDateTime, t } from "../../i18n/i18n.ts";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { formatLag } from "../../ui/format.ts";
import { addDays, parisDay, parisInstant, parisTime } from "../../ui/paris-date.ts";
import { syncStatus, useAgentQuery, useReady, useSubscription } from "../live.ts";
import {
  BookingsQuery,
  BookingUpdatedSubscription,
  HomeQuery,
  ResourcesQuery,
} from "../queries.ts";
import { Loading, Page, useTeamSpaces } from "./parts.tsx";

type Resource = NonNullable<ResultOf<typeof ResourcesQuery>["resources"]>[number];
type Booking = NonNullable<ResultOf<typeof BookingsQuery>["bookings"]>[number];

/** The team's resources across its spaces (fabrique and satellites), one query per space. */
export async function loadTeamResources(spaceIds: readonly string[]): Promise<Resource[]> {
  const lists = await Promise.all(
    spaceIds.map((spaceId) => request(ResourcesQuery, { spaceId }).then((r) => r.resources ?? [])),
  );
  return lists.flat().filter((r) => r.owned);
}

function useTodayBookings(spaceIds: readonly string[], version: number) {
  const [state, setState] = useState<
    { rows: { booking: Booking; resource: Resource }[] } | { error: unknown } | undefined
  >(undefined);
  const key = spaceIds.join(",");
  useEffect(() => {
    if (!key) return;
    let live = true;
    const today = parisDay(new Date());
    const start = parisInstant(today);
    const end = parisInstant(addDays(today, 1));
    (async () => {
      const resources = await loadTeamResources(key.split(","));
      const all = await Promise.all(
        resources.map(async (resource) => {
          const { bookings } = await request(BookingsQuery, { id: resource.id });
          return (bookings ?? [])
            .filter(
              (b) =>
                b.status === "CONFIRMED" &&
                new Date(b.startsAt) < end &&
                new Date(b.endsAt) > start,
            )
            .map((booking) => ({ booking, resource }));
        }),
      );
      const rows = all.flat().sort((a, b) => a.booking.startsAt.localeCompare(b.booking.startsAt));
      if (live) setState({ rows });
    })().catch((error: unknown) => live && setState({ error }));
    return () => {
      live = false;
    };
  }, [key, version]);
  return state;
}

export default function TeamHome() {
  const spaces = useTeamSpaces();
  const [range] = useState(() => {
    const now = new Date();
    return { from: now.toISOString(), to: new Date(now.getTime() + 14 * 86_400_000).toISOString() };
  });
  const home = useAgentQuery(HomeQuery, range);
  const [version, setVersion] = useState(0);
  const today = useTodayBookings(
    spaces.spaces.map((s) => s.id),
    version,
  );
  // A burst of booking events (a pull brings several) refreshes the cards once.
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const refresh = () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      void home.refetch();
      setVersion((v) => v + 1);
    }, 500);
  };
  useSubscription(BookingUpdatedSubscription, {}, { next: refresh, reconnected: refresh });
  // Ready once every card has its answer (figures or an error).
  useReady(Boolean((home.data || home.error) && (today || spaces.error)));

  const pending = home.data?.bookingRequests ?? [];
  const incoming = pending.filter((r) => r.direction === "INCOMING").length;
  const outgoing = pending.filter((r) => r.direction === "OUTGOING").length;
  const trainings = (home.data?.trainings ?? []).filter(
    (tr) => tr.owned && tr.status === "SCHEDULED",
  );
  const sync = syncStatus.value;

  return (
    <Page title={t("console.home.title")}>
      <ErrorBanner error={home.error ?? spaces.error} />
      <div class="grid console-glance">
        <section class="card" aria-labelledby="glance-requests">
          <h2 id="glance-requests">{t("console.home.requests")}</h2>
          {home.data ? (
            <>
              <p class="figure-line" data-figure="requests.incoming">
                {t("console.home.incomingPending", { count: incoming })}
              </p>
              <p class="figure-line" data-figure="requests.outgoing">
                {t("console.home.outgoingPending", { count: outgoing })}
              </p>
            </>
          ) : (
            <Loading />
          )}
          <p>
            <Link to="/requests">{t("console.home.toRequests")}</Link>
          </p>
        </section>

        <section class="card" aria-labelledby="glance-today">
          <h2 id="glance-today">{t("console.home.today")}</h2>
          {!today ? (
            <Loading />
          ) : "error" in today ? (
            <ErrorBanner error={today.error} />
          ) : today.rows.length === 0 ? (
            <p>{t("console.home.noBookingToday")}</p>
          ) : (
            <ul class="plain-list">
              {today.rows.map(({ booking, resource }) => (
                <li key={booking.id}>
                  <Link to={`/resources/${resource.id}`}>{resource.name}</Link>{" "}
                  {parisTime(new Date(booking.startsAt))}–{parisTime(new Date(booking.endsAt))}
                  {booking.kind === "LOAN" ? ` (${t("console.kind.LOAN")})` : ""}
                </li>
              ))}
            </ul>
          )}
          <p>
            <Link to="/resources">{t("console.home.toResources")}</Link>
          </p>
        </section>

        <section class="card" aria-labelledby="glance-trainings">
          <h2 id="glance-trainings">{t("console.home.trainings")}</h2>
          {!home.data ? (
            <Loading />
          ) : trainings.length === 0 ? (
            <p>{t("console.home.noTraining")}</p>
          ) : (
            <ul class="plain-list">
              {trainings.slice(0, 6).map((tr) => (
                <li key={tr.id}>
                  <Link to={`/trainings/${tr.id}`}>{tr.title}</Link> — {formatDateTime(tr.startsAt)}{" "}
                  —{" "}
                  {t("console.trainings.seatsShort", {
                    taken: tr.seats.taken,
                    capacity: tr.seats.capacity,
                  })}
                </li>
              ))}
            </ul>
          )}
          <p>
            <Link to="/trainings">{t("console.home.toTrainings")}</Link>
          </p>
        </section>

        <section class="card" aria-labelledby="glance-sync">
          <h2 id="glance-sync">{t("console.home.sync")}</h2>
          {!sync ? (
            <Loading />
          ) : (
            <>
              <p>
                {sync.hubReachable === false
                  ? t("console.sync.hubDown")
                  : sync.hubReachable
                    ? t("console.sync.hubUp")
                    : t("console.sync.hubUnknown")}
              </p>
              <p>
                {t("console.sync.pendingLag", {
                  count: sync.outboxPending,
                  lag: formatLag(sync.lagSeconds),
                })}
              </p>
            </>
          )}
          <p>
            <Link to="/sync">{t("console.home.toSync")}</Link>
          </p>
        </section>
      </div>

      <nav aria-label={t("console.home.views")} class="console-views">
        <h2>{t("console.home.views")}</h2>
        <ul>
          <li>
            <Link to="/satellites">{t("console.nav.satellites")}</Link>
          </li>
          <li>
            <Link to="/resources">{t("console.nav.resources")}</Link>
          </li>
          <li>
            <Link to="/requests">{t("console.nav.requests")}</Link>
          </li>
          <li>
            <Link to="/trainings">{t("console.nav.trainings")}</Link>
          </li>
          <li>
            <Link to="/feeds">{t("console.nav.feeds")}</Link>
          </li>
          <li>
            <Link to="/sync">{t("console.nav.sync")}</Link>
          </li>
        </ul>
      </nav>
    </Page>
  );
}
