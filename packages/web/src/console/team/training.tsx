import { useState } from "preact/hooks";
import type { RouteProps } from "../../app/route-types.ts";
import { Link } from "../../app/router.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDateTime, t } from "../../i18n/i18n.ts";
import { DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { useAgentQuery, useReady, useSubscription } from "../live.ts";
import {
  CancelTrainingMutation,
  EnrolmentUpdatedSubscription,
  MarkAttendanceMutation,
  RemoveEnrolmentMutation,
  TrainingQuery,
  TrainingSeatsSubscription,
} from "../queries.ts";
import { enrolmentStatusLabel, reasonCodeLabel, scopeLabel, topicLabel } from "./labels.ts";
import { Loading, type Notice, NoticeBanner, Page, useMembers, useTeamSpaces } from "./parts.tsx";

type Enrolment = NonNullable<ResultOf<typeof TrainingQuery>["enrolments"]>[number];

const SEATED = new Set(["ENROLLED", "ATTENDED", "NO_SHOW"]);

export default function TrainingPage({ params }: RouteProps) {
  const id = params.id ?? "";
  const query = useAgentQuery(TrainingQuery, { id });
  const [notice, setNotice] = useState<Notice>();
  const [busy, setBusy] = useState<string | undefined>();
  const spaces = useTeamSpaces();
  const members = useMembers(
    spaces.spaces.map((s) => s.id),
    0,
  );
  const memberNames = new Map(
    members && "rows" in members ? members.rows.map((m) => [m.id, m.displayName ?? ""]) : [],
  );
  const refetch = () => void query.refetch();
  useSubscription(
    EnrolmentUpdatedSubscription,
    { trainingId: id },
    { next: refetch, reconnected: refetch },
  );
  useSubscription(
    TrainingSeatsSubscription,
    { trainingId: id },
    { next: refetch, reconnected: refetch },
  );
  useReady(Boolean(query.data || query.error));

  const training = query.data?.training;
  const enrolments = query.data?.enrolments ?? [];
  const seated = enrolments.filter((e) => SEATED.has(e.status));
  const waitlist = enrolments
    .filter((e) => e.status === "WAITLISTED" || e.status === "OFFERED")
    .sort((a, b) => (a.position ?? 1e9) - (b.position ?? 1e9));
  const others = enrolments.filter(
    (e) => !SEATED.has(e.status) && e.status !== "WAITLISTED" && e.status !== "OFFERED",
  );
  const started = training ? new Date(training.startsAt).getTime() <= Date.now() : false;

  const act = async (run: () => Promise<unknown>, done: string) => {
    try {
      await run();
      setNotice({ kind: "success", text: done });
      await query.refetch();
    } catch (error) {
      setNotice({ kind: "error", text: errorMessage(error) });
    }
  };

  const mark = async (e: Enrolment, status: "ATTENDED" | "NO_SHOW", name: string) => {
    setBusy(e.id);
    try {
      const result = await request(MarkAttendanceMutation, { id: e.id, status });
      const marked = result.markAttendance;
      if (marked) {
        query.setData((current) =>
          current
            ? {
                ...current,
                enrolments: (current.enrolments ?? []).map((x) =>
                  x.id === marked.id ? { ...x, status: marked.status } : x,
                ),
              }
            : current,
        );
      }
      setNotice({
        kind: "success",
        text: t(
          status === "ATTENDED"
            ? "console.training.markedPresent"
            : "console.training.markedAbsent",
          { name },
        ),
      });
      await query.refetch();
    } catch (error) {
      setNotice({ kind: "error", text: errorMessage(error) });
    } finally {
      setBusy(undefined);
    }
  };

  // A member homed here is named; another network's only by its place in the list.
  const participant = (e: Enrolment, i: number) =>
    (e.memberId && memberNames.get(e.memberId)) || t("console.training.participant", { n: i + 1 });

  return (
    <Page title={training ? training.title : t("console.training.titleUnknown")}>
      <p>
        <Link to="/trainings">{t("console.training.back")}</Link>
      </p>
      <NoticeBanner notice={notice} />
      <ErrorBanner error={query.error} />
      {!query.data ? (
        <Loading failed={query.error} />
      ) : !training ? (
        <p>{t("console.training.notFound")}</p>
      ) : (
        <>
          <dl class="details">
            <dt>{t("console.col.when")}</dt>
            <dd>
              {formatDateTime(training.startsAt)} → {formatDateTime(training.endsAt)}
            </dd>
            <dt>{t("console.col.topic")}</dt>
            <dd>{topicLabel(training.topic)}</dd>
            <dt>{t("console.col.venue")}</dt>
            <dd>
              {training.online ? t("console.training.online") : (training.venue?.name ?? "—")}
            </dd>
            <dt>{t("console.trainings.organiser")}</dt>
            <dd>{training.space?.name ?? "—"}</dd>
            <dt>{t("console.col.scope")}</dt>
            <dd>{scopeLabel(training.scope)}</dd>
            <dt>{t("console.col.status")}</dt>
            <dd>
              {training.status === "CANCELLED"
                ? `${t("console.training.cancelled")} ${reasonCodeLabel(training.cancelReasonCode)}`
                : t("console.training.scheduled")}
            </dd>
            <dt>{t("console.training.seats")}</dt>
            <dd data-figure="training.seats">
              {t("console.training.seatsLine", {
                taken: training.seats.taken,
                capacity: training.seats.capacity,
                left: training.seats.left,
                waitlisted: training.seats.waitlisted,
              })}
            </dd>
          </dl>
          {training.owned && training.status === "SCHEDULED" && !started ? (
            <button
              type="button"
              class="danger"
              onClick={() => {
                if (!window.confirm(t("console.training.cancelConfirm", { title: training.title })))
                  return;
                void act(
                  () => request(CancelTrainingMutation, { id: training.id }),
                  t("console.training.cancelDone"),
                );
              }}
            >
              {t("console.training.cancel")}
            </button>
          ) : null}

          <section aria-labelledby="tr-enrolled">
            <h2 id="tr-enrolled">{t("console.training.enrolled", { count: seated.length })}</h2>
            {!training.owned ? <p class="hint">{t("console.training.notOwned")}</p> : null}
            {training.owned && !started ? (
              <p class="hint">{t("console.training.notStarted")}</p>
            ) : null}
            <DataTable
              caption={t("console.training.enrolledCaption")}
              csvName={`inscriptions-${training.id}`}
              rows={seated}
              rowKey={(e) => e.id}
              columns={[
                {
                  key: "who",
                  label: t("console.col.participant"),
                  rowHeader: true,
                  value: (e) => participant(e, seated.indexOf(e)),
                },
                {
                  key: "member",
                  label: t("console.col.member"),
                  value: (e) => e.memberId ?? "",
                  render: (e) =>
                    e.memberId && memberNames.has(e.memberId) ? (
                      <Link to={`/members/${e.memberId}`}>{t("console.training.memberLink")}</Link>
                    ) : (
                      "—"
                    ),
                },
                {
                  key: "status",
                  label: t("console.col.status"),
                  value: (e) => enrolmentStatusLabel(e.status),
                },
                {
                  key: "attendance",
                  label: started ? t("console.col.attendance") : t("console.col.actions"),
                  value: () => "",
                  render: (e) => {
                    const name = participant(e, seated.indexOf(e));
                    if (training.owned && !started && e.status === "ENROLLED") {
                      return (
                        <button
                          type="button"
                          class="secondary"
                          aria-label={t("console.training.removeNamed", { name })}
                          onClick={() => {
                            if (!window.confirm(t("console.training.removeConfirm", { name })))
                              return;
                            void act(
                              () => request(RemoveEnrolmentMutation, { id: e.id }),
                              t("console.training.removed", { name }),
                            );
                          }}
                        >
                          {t("console.training.remove")}
                        </button>
                      );
                    }
                    if (!training.owned || !started || training.status === "CANCELLED") return "—";
                    return (
                      <fieldset class="actions plain-fieldset">
                        <legend class="visually-hidden">
                          {t("console.training.attendanceOf", { name })}
                        </legend>
                        <button
                          type="button"
                          aria-pressed={e.status === "ATTENDED"}
                          disabled={busy === e.id}
                          aria-label={t("console.training.presentNamed", { name })}
                          onClick={() => void mark(e, "ATTENDED", name)}
                        >
                          {t("console.training.present")}
                        </button>
                        <button
                          type="button"
                          class="secondary"
                          aria-pressed={e.status === "NO_SHOW"}
                          disabled={busy === e.id}
                          aria-label={t("console.training.absentNamed", { name })}
                          onClick={() => void mark(e, "NO_SHOW", name)}
                        >
                          {t("console.training.absent")}
                        </button>
                      </fieldset>
                    );
                  },
                },
              ]}
            />
          </section>

          <section aria-labelledby="tr-waitlist">
            <h2 id="tr-waitlist">{t("console.training.waitlist", { count: waitlist.length })}</h2>
            {waitlist.length === 0 ? (
              <p>{t("console.training.noWaitlist")}</p>
            ) : (
              <ol class="waitlist">
                {waitlist.map((e) => (
                  <li key={e.id}>
                    {(e.memberId && memberNames.get(e.memberId)) ||
                      t("console.training.otherMember")}{" "}
                    — {t("console.training.position", { position: e.position ?? "—" })} —{" "}
                    {enrolmentStatusLabel(e.status)}
                    {e.offerExpiresAt
                      ? ` (${t("console.training.offerUntil", { at: formatDateTime(e.offerExpiresAt) })})`
                      : ""}
                    {e.memberId && memberNames.has(e.memberId) ? (
                      <>
                        {" "}
                        —{" "}
                        <Link to={`/members/${e.memberId}`}>
                          {t("console.training.memberLink")}
                        </Link>
                      </>
                    ) : null}
                  </li>
                ))}
              </ol>
            )}
          </section>

          {others.length > 0 ? (
            <section aria-labelledby="tr-others">
              <h2 id="tr-others">{t("console.training.others")}</h2>
              <ul class="plain-list">
                {others.map((e) => (
                  <li key={e.id}>
                    {enrolmentStatusLabel(e.status)}
                    {e.reasonCode ? ` — ${reasonCodeLabel(e.reasonCode)}` : ""} —{" "}
                    {formatDateTime(e.createdAt)}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </>
      )}
    </Page>
  );
}
