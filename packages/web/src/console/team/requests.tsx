import { useState } from "preact/hooks";
import { Link } from "../../app/router.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDateTime, t } from "../../i18n/i18n.ts";
import { DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { useAgentQuery, useReady, useSubscription } from "../live.ts";
import {
  BookingRequestsQuery,
  BookingUpdatedSubscription,
  CancelBookingRequestMutation,
  DecideBookingRequestMutation,
  PendingEnrolmentsQuery,
} from "../queries.ts";
import { bookingKindLabel, reasonCodeLabel, requestStatusLabel } from "./labels.ts";
import { upsertById } from "./merge.ts";
import { Loading, type Notice, NoticeBanner, Page, useTeamSpaces } from "./parts.tsx";
import { useTeamResources } from "./resources.tsx";

type BookingRequest = NonNullable<ResultOf<typeof BookingRequestsQuery>["bookingRequests"]>[number];

export default function RequestsPage() {
  const query = useAgentQuery(BookingRequestsQuery, {});
  const enrolments = useAgentQuery(PendingEnrolmentsQuery, {});
  const spaces = useTeamSpaces();
  const own = useTeamResources(spaces.spaces.map((s) => s.id));
  const [notice, setNotice] = useState<Notice>();
  const [refusing, setRefusing] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();

  useSubscription(
    BookingUpdatedSubscription,
    {},
    {
      next: (event) => {
        const incoming = event.bookingUpdated.request;
        if (!incoming) return;
        query.setData((current) =>
          current
            ? {
                ...current,
                bookingRequests: upsertById(current.bookingRequests ?? [], incoming),
              }
            : current,
        );
      },
      reconnected: () => {
        void query.refetch();
        void enrolments.refetch();
      },
    },
  );
  useReady(Boolean(query.data || query.error));

  const names = new Map<string, string>();
  for (const r of query.data?.networkResources ?? []) names.set(r.id, r.name);
  if (own && "rows" in own) for (const r of own.rows) names.set(r.id, r.name);
  const resourceName = (r: BookingRequest) =>
    names.get(r.resourceId) ?? t("console.requests.unknownResource");
  const forWhom = (r: BookingRequest) =>
    r.forSpaceId
      ? (spaces.names.get(r.forSpaceId) ?? t("console.booking.otherSpace"))
      : t("console.booking.forMember");
  const all = query.data?.bookingRequests ?? [];
  const incoming = all.filter((r) => r.direction === "INCOMING");
  const outgoing = all.filter((r) => r.direction === "OUTGOING");
  const waiting = incoming.filter((r) => r.status === "PENDING");
  const decidedIncoming = incoming.filter((r) => r.status !== "PENDING");

  const decide = async (r: BookingRequest, accept: boolean, reason?: string) => {
    setBusy(r.id);
    try {
      const result = await request(DecideBookingRequestMutation, {
        id: r.id,
        accept,
        reason: reason || undefined,
      });
      const decided = result.decideBookingRequest;
      if (decided) {
        query.setData((current) =>
          current
            ? {
                ...current,
                bookingRequests: (current.bookingRequests ?? []).map((x) =>
                  x.id === decided.id ? { ...x, ...decided } : x,
                ),
              }
            : current,
        );
      }
      setRefusing(undefined);
      setNotice({
        kind: "success",
        text: t(accept ? "console.requests.accepted" : "console.requests.refused", {
          resource: resourceName(r),
        }),
      });
    } catch (e) {
      setNotice({ kind: "error", text: errorMessage(e) });
    } finally {
      setBusy(undefined);
    }
  };

  const cancel = async (r: BookingRequest) => {
    if (!window.confirm(t("console.requests.cancelConfirm", { resource: resourceName(r) }))) return;
    setBusy(r.id);
    try {
      await request(CancelBookingRequestMutation, { id: r.id });
      await query.refetch();
    } catch (e) {
      setNotice({ kind: "error", text: errorMessage(e) });
    } finally {
      setBusy(undefined);
    }
  };

  const when = (r: BookingRequest) => `${formatDateTime(r.startsAt)} → ${formatDateTime(r.endsAt)}`;
  const stateText = (r: BookingRequest) => {
    const label = requestStatusLabel(r.status);
    const why = reasonCodeLabel(r.reasonCode) || r.reason;
    return why && r.status !== "CONFIRMED" && r.status !== "PENDING" ? `${label} — ${why}` : label;
  };
  const common = [
    {
      key: "resource",
      label: t("console.col.resource"),
      rowHeader: true,
      value: (r: BookingRequest) => resourceName(r),
    },
    {
      key: "kind",
      label: t("console.col.kind"),
      value: (r: BookingRequest) => bookingKindLabel(r.kind),
    },
    {
      key: "when",
      label: t("console.col.when"),
      value: (r: BookingRequest) => r.startsAt,
      render: when,
    },
    { key: "for", label: t("console.col.for"), value: forWhom },
  ];
  const statusColumn = {
    key: "status",
    label: t("console.col.status"),
    value: stateText,
    render: (r: BookingRequest) => (
      <span class="request-state" data-request-id={r.id} data-status={r.status}>
        {stateText(r)}
      </span>
    ),
  };

  return (
    <Page title={t("console.requests.title")}>
      <NoticeBanner notice={notice} />
      <ErrorBanner error={query.error} />
      {!query.data ? (
        <Loading failed={query.error} />
      ) : (
        <>
          <section aria-labelledby="req-waiting">
            <h2 id="req-waiting">{t("console.requests.waiting", { count: waiting.length })}</h2>
            {waiting.length === 0 ? (
              <p>{t("console.requests.noneWaiting")}</p>
            ) : (
              <ul class="request-list">
                {waiting.map((r) => (
                  <li key={r.id} class="card request" data-request-id={r.id} data-status={r.status}>
                    <h3>{t("console.requests.rowTitle", { resource: resourceName(r) })}</h3>
                    <p>
                      {t(r.kind === "LOAN" ? "console.kind.LOAN" : "console.kind.BOOKING")} —{" "}
                      {when(r)} — {forWhom(r)}
                    </p>
                    <p class="request-state">
                      {t("console.requests.state")} <strong>{requestStatusLabel(r.status)}</strong>
                    </p>
                    {refusing === r.id ? (
                      <form
                        class="refuse-form"
                        onSubmit={(event) => {
                          event.preventDefault();
                          const reason = String(
                            new FormData(event.currentTarget).get("reason") ?? "",
                          ).trim();
                          void decide(r, false, reason);
                        }}
                      >
                        <label for={`reason-${r.id}`}>
                          {t("console.requests.reasonLabel", { resource: resourceName(r) })}
                        </label>
                        <input id={`reason-${r.id}`} name="reason" type="text" autoComplete="off" />
                        <div class="actions">
                          <button type="submit" class="danger" disabled={busy === r.id}>
                            {t("console.requests.confirmRefuse", { resource: resourceName(r) })}
                          </button>
                          <button
                            type="button"
                            class="secondary"
                            onClick={() => setRefusing(undefined)}
                          >
                            {t("console.cancel")}
                          </button>
                        </div>
                      </form>
                    ) : (
                      <div class="actions">
                        <button
                          type="button"
                          disabled={busy === r.id}
                          aria-label={t("console.requests.acceptNamed", {
                            resource: resourceName(r),
                          })}
                          onClick={() => void decide(r, true)}
                        >
                          {t("console.requests.accept")}
                        </button>
                        <button
                          type="button"
                          class="secondary"
                          disabled={busy === r.id}
                          aria-label={t("console.requests.refuseNamed", {
                            resource: resourceName(r),
                          })}
                          onClick={() => setRefusing(r.id)}
                        >
                          {t("console.requests.refuse")}
                        </button>
                      </div>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section aria-labelledby="req-outgoing">
            <h2 id="req-outgoing">{t("console.requests.outgoing")}</h2>
            <p class="hint">{t("console.requests.outgoingHint")}</p>
            <DataTable
              caption={t("console.requests.outgoingCaption")}
              csvName="demandes-envoyees"
              rows={outgoing}
              rowKey={(r) => r.id}
              initialSort={{ key: "when", descending: true }}
              columns={[
                ...common,
                statusColumn,
                {
                  key: "actions",
                  label: t("console.col.actions"),
                  value: () => "",
                  render: (r) =>
                    r.status === "PENDING" || r.status === "CONFIRMED" ? (
                      <button
                        type="button"
                        class="secondary"
                        disabled={busy === r.id}
                        aria-label={t("console.requests.cancelNamed", {
                          resource: resourceName(r),
                        })}
                        onClick={() => void cancel(r)}
                      >
                        {t("console.requests.cancel")}
                      </button>
                    ) : null,
                },
              ]}
            />
          </section>

          <section aria-labelledby="req-decided">
            <h2 id="req-decided">{t("console.requests.decided")}</h2>
            <DataTable
              caption={t("console.requests.decidedCaption")}
              csvName="demandes-recues"
              rows={decidedIncoming}
              rowKey={(r) => r.id}
              initialSort={{ key: "when", descending: true }}
              columns={[
                ...common,
                statusColumn,
                {
                  key: "decidedAt",
                  label: t("console.col.decidedAt"),
                  value: (r) => r.decidedAt ?? "",
                  render: (r) => (r.decidedAt ? formatDateTime(r.decidedAt) : "—"),
                },
              ]}
            />
          </section>

          <section aria-labelledby="req-enrolments">
            <h2 id="req-enrolments">{t("console.requests.enrolments")}</h2>
            <p class="hint">{t("console.requests.enrolmentsHint")}</p>
            <ErrorBanner error={enrolments.error} />
            {(enrolments.data?.enrolments ?? []).length === 0 ? (
              <p>{t("console.requests.noEnrolment")}</p>
            ) : (
              <ul class="plain-list">
                {(enrolments.data?.enrolments ?? []).map((e) => (
                  <li key={e.id}>
                    <Link to={`/trainings/${e.trainingId}`}>
                      {e.training?.title ?? e.trainingId}
                    </Link>
                    {e.training ? ` — ${formatDateTime(e.training.startsAt)}` : ""} —{" "}
                    {e.memberId ? (
                      <Link to={`/members/${e.memberId}`}>{t("console.requests.member")}</Link>
                    ) : null}{" "}
                    — {t("console.enrolmentStatus.PENDING")}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </Page>
  );
}
