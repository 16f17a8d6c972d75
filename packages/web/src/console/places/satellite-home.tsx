import { Link } from "../../app/router.ts";
import { session } from "../../app/session.ts";
import { formatDate, formatNumber, t } from "../../i18n/i18n.ts";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { todayInParis } from "../../ui/paris-date.ts";
import { useAgentQuery, useReady, useSubscription } from "../live.ts";
import { BookingUpdatedSubscription } from "../queries.ts";
import { PlaceHubBanner, useSpaces } from "./common.tsx";
import {
  ActivityQuery,
  MyRequestsQuery,
  PlaceVisitsQuery,
  VisitRecordedSubscription,
} from "./queries.ts";

/** The satellite's home: today at a glance and its four everyday actions, as large tiles. */
export default function SatelliteHome() {
  const { spaces, spaceId, error: spacesError, loading } = useSpaces();
  const today = todayInParis();
  const skip = !spaceId;
  const activity = useAgentQuery(
    ActivityQuery,
    { spaceId: spaceId ?? "", from: today, to: today },
    { skip },
  );
  const visits = useAgentQuery(PlaceVisitsQuery, { spaceId: spaceId ?? "", first: 200 }, { skip });
  const requests = useAgentQuery(MyRequestsQuery, {});
  // Today's figures follow the desk and the requests' decisions without a reload.
  const refreshVisits = () => void visits.refetch();
  const refreshRequests = () => void requests.refetch();
  useSubscription(
    VisitRecordedSubscription,
    { spaceId: spaceId ?? "" },
    { next: refreshVisits, reconnected: refreshVisits },
    { skip },
  );
  useSubscription(
    BookingUpdatedSubscription,
    {},
    {
      next: (event) => {
        if (event.bookingUpdated.request) refreshRequests();
      },
      reconnected: () => {
        refreshRequests();
        refreshVisits();
        void activity.refetch();
      },
    },
  );
  useReady(
    Boolean(
      (activity.data && visits.data && requests.data) ||
        activity.error ||
        spacesError ||
        (!loading && !spaceId),
    ),
  );
  const space = spaces.find((s) => s.id === spaceId);
  const report = activity.data?.activity?.find((r) => r.date === today);
  const visitsToday = (visits.data?.visits ?? []).filter((v) => v.day === today).length;
  const pending = (requests.data?.bookingRequests ?? []).filter(
    (r) => r.status === "PENDING",
  ).length;

  return (
    <section class="page places satellite-home">
      <h1>{space?.name ?? session.value?.fabriqueName ?? t("places.satelliteHome")}</h1>
      <PlaceHubBanner />
      <p class="period">{t("places.home.today", { date: formatDate(today) })}</p>
      <ErrorBanner error={spacesError} />
      <ul class="tiles">
        <li>
          <Link to="/activity" class="tile">
            <span class="tile-title">{t("places.home.report")}</span>
            <span class="tile-state">
              {report
                ? t("places.home.reported", { visitors: formatNumber(report.visitors) })
                : t("places.home.notReported")}
            </span>
          </Link>
        </li>
        <li>
          <Link to="/check-in" class="tile">
            <span class="tile-title">{t("places.home.welcome")}</span>
            <span class="tile-state">{t("places.home.visits", { count: visitsToday })}</span>
          </Link>
        </li>
        <li>
          <Link to="/book" class="tile">
            <span class="tile-title">{t("places.home.book")}</span>
            <span class="tile-state">{t("places.home.bookHint")}</span>
          </Link>
        </li>
        <li>
          <Link to="/requests" class="tile">
            <span class="tile-title">{t("places.home.requests")}</span>
            <span class="tile-state">{t("places.home.pending", { count: pending })}</span>
          </Link>
        </li>
      </ul>
    </section>
  );
}
