import { useEffect, useState } from "preact/hooks";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { subscribe } from "../../client/sse.ts";
import { formatDateTime, t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { Loading } from "../../ui/loading.tsx";
import { useAgentQuery, useReady, withItem } from "../live.ts";
import { PlaceHubBanner } from "../places/common.tsx";
import { EnrolmentUpdatedSubscription } from "../queries.ts";
import { enrolmentStatusLabel, reasonText } from "../team/labels.ts";
import { AcceptOfferMutation, CancelEnrolmentMutation, MyEnrolmentsQuery } from "./queries.ts";

type Enrolment = NonNullable<ResultOf<typeof MyEnrolmentsQuery>["myEnrolments"]>[number];

const LIVE = new Set(["PENDING", "ENROLLED", "WAITLISTED", "OFFERED"]);

/** The enrolment's state in words: position in line, offer deadline, reason. */
export function enrolmentState(e: Enrolment): string {
  const status = enrolmentStatusLabel(e.status);
  if (e.status === "WAITLISTED" && e.position != null)
    return t("places.enrolment.position", { status, position: e.position });
  if (e.status === "OFFERED" && e.offerExpiresAt)
    return t("places.enrolment.offerUntil", { status, until: formatDateTime(e.offerExpiresAt) });
  return e.reasonCode ? `${status} (${reasonText(e)})` : status;
}

function upsert(list: readonly Enrolment[] | null | undefined, item: Enrolment) {
  return withItem(list, item).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export default function MyEnrolmentsPage() {
  const query = useAgentQuery(MyEnrolmentsQuery, {});
  const [done, setDone] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  useReady(Boolean(query.data || query.error));
  useEffect(
    () =>
      subscribe(
        EnrolmentUpdatedSubscription,
        {},
        {
          next: (data) =>
            query.setData((current) => ({
              myEnrolments: upsert(current?.myEnrolments, data.enrolmentUpdated),
            })),
          reconnected: () => void query.refetch(),
        },
      ),
    [],
  );

  const act = async (e: Enrolment, accept: boolean) => {
    const title = e.training?.title ?? e.trainingId;
    if (!accept && !window.confirm(t("places.enrolment.cancelConfirm", { title }))) return;
    setDone(undefined);
    setFailure(undefined);
    try {
      const result = accept
        ? (await request(AcceptOfferMutation, { id: e.id })).acceptEnrolmentOffer
        : (await request(CancelEnrolmentMutation, { id: e.id })).cancelEnrolment;
      if (result)
        query.setData((current) => ({ myEnrolments: upsert(current?.myEnrolments, result) }));
      setDone(
        accept
          ? t("places.enrolment.accepted", { title })
          : t("places.enrolment.cancelled", { title }),
      );
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };

  const columns: Column<Enrolment>[] = [
    {
      key: "training",
      label: t("places.col.training"),
      value: (e) => e.training?.title ?? e.trainingId,
      rowHeader: true,
    },
    {
      key: "date",
      label: t("places.col.date"),
      value: (e) => e.training?.startsAt ?? "",
      render: (e) => (e.training ? formatDateTime(e.training.startsAt) : "—"),
    },
    {
      key: "place",
      label: t("places.col.place"),
      value: (e) =>
        e.training?.online ? t("places.enrolment.online") : (e.training?.venue?.name ?? "—"),
    },
    { key: "status", label: t("places.col.status"), value: enrolmentState },
    {
      key: "actions",
      label: t("places.actions"),
      value: () => "",
      render: (e) => {
        const title = e.training?.title ?? e.trainingId;
        return (
          <span class="row-actions">
            {e.status === "OFFERED" ? (
              <button
                type="button"
                onClick={() => void act(e, true)}
                aria-label={t("places.enrolment.acceptOf", { title })}
              >
                {t("places.enrolment.accept")}
              </button>
            ) : null}
            {LIVE.has(e.status) ? (
              <button
                type="button"
                class="secondary"
                onClick={() => void act(e, false)}
                aria-label={t("places.enrolment.cancelOf", { title })}
              >
                {t("places.enrolment.cancel")}
              </button>
            ) : null}
          </span>
        );
      },
    },
  ];
  const rows = [...(query.data?.myEnrolments ?? [])].sort((a, b) =>
    (b.training?.startsAt ?? b.createdAt).localeCompare(a.training?.startsAt ?? a.createdAt),
  );
  return (
    <section class="page places">
      <h1>{t("places.myEnrolments")}</h1>
      <PlaceHubBanner />
      <div role="status">{done ? <p class="success-text">{done}</p> : null}</div>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
      <ErrorBanner error={query.error} />
      {query.data ? (
        <DataTable
          caption={t("places.myEnrolments.caption")}
          columns={columns}
          rows={rows}
          rowKey={(e) => e.id}
          csvName="mes-formations"
        />
      ) : (
        <Loading />
      )}
    </section>
  );
}
