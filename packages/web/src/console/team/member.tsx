import { useState } from "preact/hooks";
import type { RouteProps } from "../../app/route-types.ts";
import { Link, navigate } from "../../app/router.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDate, formatDateTime, t } from "../../i18n/i18n.ts";
import { downloadText } from "../../ui/download.ts";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { useAgentQuery, useReady } from "../live.ts";
import {
  EraseMemberMutation,
  MemberExportQuery,
  MemberQuery,
  UpdateMemberMutation,
} from "../queries.ts";
import { credentialTypeLabel, enrolmentStatusLabel } from "./labels.ts";
import { Loading, type Notice, NoticeBanner, Page, useTeamSpaces } from "./parts.tsx";
import { MemberFields } from "./satellites.tsx";

/** "" → null (the API clears the field), else the trimmed text. */
const orNull = (form: FormData, name: string) => {
  const value = String(form.get(name) ?? "").trim();
  return value === "" ? null : value;
};

export default function MemberPage({ params }: RouteProps) {
  const id = params.id ?? "";
  const query = useAgentQuery(MemberQuery, { id });
  const spaces = useTeamSpaces();
  const [notice, setNotice] = useState<Notice>();
  const [editing, setEditing] = useState(false);
  const [confirmErase, setConfirmErase] = useState(false);
  const [busy, setBusy] = useState(false);
  useReady(Boolean(query.data || query.error));

  const member = query.data?.member;
  const title = member
    ? t("console.member.title", { name: member.displayName ?? t("console.members.unnamed") })
    : t("console.member.titleUnknown");

  const exportData = async () => {
    try {
      const data = await request(MemberExportQuery, { memberId: id });
      const json = data.memberDataExport ?? "{}";
      let pretty = json;
      try {
        pretty = JSON.stringify(JSON.parse(json), null, 2);
      } catch {
        // keep the text as the agent gave it
      }
      downloadText(`membre-${id}.json`, pretty);
      setNotice({ kind: "success", text: t("console.member.exported") });
    } catch (e) {
      setNotice({ kind: "error", text: errorMessage(e) });
    }
  };

  const erase = async () => {
    setBusy(true);
    try {
      await request(EraseMemberMutation, { id });
      navigate("/satellites");
    } catch (e) {
      setNotice({ kind: "error", text: errorMessage(e) });
      setBusy(false);
    }
  };

  return (
    <Page title={title}>
      <p>
        <Link to="/satellites">{t("console.member.back")}</Link>
      </p>
      <NoticeBanner notice={notice} />
      <ErrorBanner error={query.error} />
      {!query.data ? (
        <Loading failed={query.error} />
      ) : !member ? (
        <p>{t("console.member.notFound")}</p>
      ) : (
        <>
          <section aria-labelledby="member-personal">
            <h2 id="member-personal">{t("console.member.personal")}</h2>
            <p class="hint">{t("console.member.personalHint")}</p>
            {editing ? (
              <form
                onSubmit={async (event) => {
                  event.preventDefault();
                  const form = new FormData(event.currentTarget);
                  setBusy(true);
                  try {
                    await request(UpdateMemberMutation, {
                      id,
                      displayName: String(form.get("displayName") ?? "").trim(),
                      firstName: orNull(form, "firstName"),
                      email: orNull(form, "email"),
                      phone: orNull(form, "phone"),
                      organisation: orNull(form, "organisation"),
                      homeSpaceId: String(form.get("homeSpaceId") ?? member.homeSpaceId),
                    });
                    setEditing(false);
                    setNotice({ kind: "success", text: t("console.member.updated") });
                    await query.refetch();
                  } catch (e) {
                    setNotice({ kind: "error", text: errorMessage(e) });
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                <MemberFields
                  spaces={spaces.spaces.filter((s) => s.status === "OPEN")}
                  initial={member}
                />
                <div class="actions">
                  <button type="submit" disabled={busy}>
                    {t("console.member.save")}
                  </button>
                  <button type="button" class="secondary" onClick={() => setEditing(false)}>
                    {t("console.cancel")}
                  </button>
                </div>
              </form>
            ) : (
              <>
                <dl class="details">
                  <dt>{t("console.members.displayName")}</dt>
                  <dd>{member.displayName ?? "—"}</dd>
                  <dt>{t("console.col.firstName")}</dt>
                  <dd>{member.firstName ?? "—"}</dd>
                  <dt>{t("console.col.email")}</dt>
                  <dd>{member.email ?? "—"}</dd>
                  <dt>{t("console.col.phone")}</dt>
                  <dd>{member.phone ?? "—"}</dd>
                  <dt>{t("console.col.organisation")}</dt>
                  <dd>{member.organisation ?? "—"}</dd>
                  <dt>{t("console.col.home")}</dt>
                  <dd>{spaces.names.get(member.homeSpaceId) ?? member.homeSpaceId}</dd>
                  <dt>{t("console.member.id")}</dt>
                  <dd>
                    <code>{member.id}</code>
                  </dd>
                  <dt>{t("console.col.since")}</dt>
                  <dd>{formatDate(member.createdAt)}</dd>
                </dl>
                {member.owned ? (
                  <button type="button" onClick={() => setEditing(true)}>
                    {t("console.member.edit")}
                  </button>
                ) : null}
              </>
            )}
          </section>

          <section aria-labelledby="member-pass">
            <h2 id="member-pass">{t("console.member.pass")}</h2>
            {query.data.memberPass ? (
              <p>
                {t("console.member.passLine", {
                  code: query.data.memberPass.shortCode ?? "—",
                  until: formatDate(query.data.memberPass.validUntil),
                })}
              </p>
            ) : (
              <p>{t("console.member.noPass")}</p>
            )}
          </section>

          <section aria-labelledby="member-enrolments">
            <h2 id="member-enrolments">{t("console.member.enrolments")}</h2>
            {(query.data.enrolments ?? []).length === 0 ? (
              <p>{t("console.member.noEnrolment")}</p>
            ) : (
              <ul class="plain-list">
                {(query.data.enrolments ?? []).map((e) => (
                  <li key={e.id}>
                    <Link to={`/trainings/${e.trainingId}`}>
                      {e.training?.title ?? e.trainingId}
                    </Link>
                    {e.training ? ` — ${formatDateTime(e.training.startsAt)}` : ""} —{" "}
                    {enrolmentStatusLabel(e.status)}
                    {e.position
                      ? ` (${t("console.training.position", { position: e.position })})`
                      : ""}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section aria-labelledby="member-credentials">
            <h2 id="member-credentials">{t("console.member.credentials")}</h2>
            {(query.data.credentials ?? []).length === 0 ? (
              <p>{t("console.member.noCredential")}</p>
            ) : (
              <ul class="plain-list">
                {(query.data.credentials ?? []).map((c) => (
                  <li key={c.id}>
                    {credentialTypeLabel(c.type)} — {formatDate(c.issuedAt)}
                    {c.expiresAt ? ` → ${formatDate(c.expiresAt)}` : ""}
                  </li>
                ))}
              </ul>
            )}
          </section>

          {member.owned ? (
            <section aria-labelledby="member-rights">
              <h2 id="member-rights">{t("console.member.rights")}</h2>
              <p>{t("console.member.exportHint")}</p>
              <button type="button" class="secondary" onClick={() => void exportData()}>
                {t("console.member.export")}
              </button>
              <p>{t("console.member.eraseHint")}</p>
              {confirmErase ? (
                <fieldset class="confirm plain-fieldset">
                  <legend class="visually-hidden">{t("console.member.eraseConfirmTitle")}</legend>
                  <p>
                    <strong>
                      {t("console.member.eraseConfirm", {
                        name: member.displayName ?? member.id,
                      })}
                    </strong>
                  </p>
                  <button type="button" class="danger" disabled={busy} onClick={() => void erase()}>
                    {t("console.member.eraseYes")}
                  </button>
                  <button type="button" class="secondary" onClick={() => setConfirmErase(false)}>
                    {t("console.cancel")}
                  </button>
                </fieldset>
              ) : (
                <button type="button" class="danger" onClick={() => setConfirmErase(true)}>
                  {t("console.member.erase")}
                </button>
              )}
            </section>
          ) : null}
        </>
      )}
    </Page>
  );
}
