import { useEffect, useState } from "preact/hooks";
import { session } from "../../app/session.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDate, type I18nKey, t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { downloadText } from "../../ui/download.ts";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { Loading } from "../../ui/loading.tsx";
import { useAgentQuery, useReady } from "../live.ts";
import { PlaceHubBanner } from "../places/common.tsx";
import { passStatusLabel, revocationLabel } from "../team/labels.ts";
import {
  CONSENT_FIELDS,
  type ConsentField,
  consentChange,
  fieldValue,
  normaliseFields,
  toggleField,
} from "./disclosure.ts";
import {
  MemberPassQuery,
  PresentationQuery,
  RenewPassMutation,
  SetConsentMutation,
} from "./queries.ts";

/** An SVG text as an image source (rendered by <img>: no script, no style leaks). */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

const fieldLabel = (f: ConsentField) => t(`places.field.${f}` as I18nKey);

/** The QR the member shows, with the fields chosen now (none by default). */
function Presentation({
  memberId,
  consent,
  passId,
  member,
}: {
  memberId: string;
  consent: readonly string[];
  passId: string;
  member: Parameters<typeof fieldValue>[0];
}) {
  const [chosen, setChosen] = useState<ConsentField[]>([]);
  const disclose = normaliseFields(chosen, consent);
  const shown = useAgentQuery(PresentationQuery, { memberId, disclose });
  useEffect(() => setChosen([]), [passId]);
  const presentation = shown.data?.memberPass?.presentation;
  const carried = normaliseFields(consent);
  const names = (presentation?.disclosed ?? []).map((f) => fieldLabel(f as ConsentField));

  return (
    <section class="card presentation">
      <h2 id="show-title">{t("places.pass.showTitle")}</h2>
      {carried.length ? (
        <fieldset class="checks">
          <legend>{t("places.pass.discloseLegend")}</legend>
          <p class="hint">{t("places.pass.discloseHint")}</p>
          {carried.map((f) => (
            <label key={f} class="check">
              <input
                type="checkbox"
                checked={disclose.includes(f)}
                onChange={(e) =>
                  setChosen(
                    toggleField(
                      disclose,
                      f,
                      (e.currentTarget as HTMLInputElement).checked,
                      consent,
                    ),
                  )
                }
              />
              {fieldLabel(f)}
              <span class="hint"> ({fieldValue(member, f) ?? t("places.consent.noValue")})</span>
            </label>
          ))}
        </fieldset>
      ) : (
        <p class="hint">{t("places.pass.nothingCarried")}</p>
      )}
      <ErrorBanner error={shown.error} />
      {presentation ? (
        <figure class="qr">
          <img
            src={svgDataUrl(presentation.qrSvg)}
            alt={
              names.length
                ? t("places.pass.qrAltWith", { fields: names.join(", ") })
                : t("places.pass.qrAlt")
            }
          />
          <figcaption role="status">
            {names.length
              ? t("places.pass.shows", { fields: names.join(", ") })
              : t("places.pass.showsNothing")}
          </figcaption>
        </figure>
      ) : (
        <Loading />
      )}
    </section>
  );
}

function ConsentForm({
  memberId,
  consent,
  member,
  onChanged,
}: {
  memberId: string;
  consent: readonly string[];
  member: Parameters<typeof fieldValue>[0];
  onChanged(): void;
}) {
  const [fields, setFields] = useState<ConsentField[]>(() => normaliseFields(consent));
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const change = consentChange(consent, fields);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!change.changed) return;
    setBusy(true);
    setFailure(undefined);
    try {
      await request(SetConsentMutation, { memberId, fields });
      onChanged();
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="consent-title">
      <h2 id="consent-title">{t("places.consent.title")}</h2>
      <fieldset class="checks">
        <legend>{t("places.consent.legend")}</legend>
        <p class="hint">{t("places.consent.hint")}</p>
        {CONSENT_FIELDS.map((f) => {
          const value = fieldValue(member, f);
          return (
            <label key={f} class="check">
              <input
                type="checkbox"
                checked={fields.includes(f)}
                onChange={(e) => {
                  const on = (e.currentTarget as HTMLInputElement).checked;
                  setFields((current) => toggleField(current, f, on, CONSENT_FIELDS));
                }}
              />
              {fieldLabel(f)}
              <span class="hint"> ({value ?? t("places.consent.noValue")})</span>
            </label>
          );
        })}
      </fieldset>
      {change.changed ? <p class="hint">{t("places.consent.reissue")}</p> : null}
      <button type="submit" class="big" disabled={busy || !change.changed}>
        {t("places.consent.submit")}
      </button>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
    </form>
  );
}

type PassRecord = NonNullable<ResultOf<typeof MemberPassQuery>["memberPasses"]>[number];

function PassHistory({ passes }: { passes: readonly PassRecord[] }) {
  const columns: Column<PassRecord>[] = [
    {
      key: "createdAt",
      label: t("places.pass.issuedOn"),
      value: (p) => p.createdAt,
      render: (p) => formatDate(p.createdAt),
      rowHeader: true,
    },
    {
      key: "validUntil",
      label: t("places.pass.validity"),
      value: (p) => p.validUntil,
      render: (p) =>
        t("places.pass.validRange", {
          from: formatDate(p.validFrom),
          until: formatDate(p.validUntil),
        }),
    },
    {
      key: "status",
      label: t("places.pass.status"),
      value: (p) =>
        p.revocationReason
          ? `${passStatusLabel(p.status)} (${revocationLabel(p.revocationReason)})`
          : passStatusLabel(p.status),
    },
    {
      key: "consent",
      label: t("places.pass.carries"),
      value: (p) =>
        p.consent.length
          ? normaliseFields(p.consent).map(fieldLabel).join(", ")
          : t("places.pass.carriesNothing"),
    },
  ];
  return (
    <DataTable
      caption={t("places.pass.history")}
      columns={columns}
      rows={passes}
      rowKey={(p) => p.id}
      csvName="mes-pass"
    />
  );
}

export default function PassPage() {
  const memberId = session.value?.memberId ?? "";
  const query = useAgentQuery(MemberPassQuery, { memberId }, { skip: !memberId });
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  useReady(Boolean(query.data || query.error || !memberId));
  const pass = query.data?.memberPass;

  const renew = async () => {
    if (pass && !window.confirm(t("places.pass.renewConfirm"))) return;
    setBusy(true);
    setFailure(undefined);
    setDone(undefined);
    try {
      await request(RenewPassMutation, { memberId });
      setDone(pass ? t("places.pass.renewed") : t("places.pass.issued"));
      await query.refetch();
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  const printCard = () => {
    document.body.classList.add("print-card");
    const done = () => {
      document.body.classList.remove("print-card");
      window.removeEventListener("afterprint", done);
    };
    window.addEventListener("afterprint", done);
    window.print();
  };

  return (
    <section class="page places member-pass">
      <h1>{t("places.pass")}</h1>
      <PlaceHubBanner />
      <div role="status">{done ? <p class="success-text">{done}</p> : null}</div>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
      <ErrorBanner error={query.error} />
      {query.data && !pass ? (
        <section class="card">
          <p>{t("places.pass.none")}</p>
          <button type="button" class="big" onClick={() => void renew()} disabled={busy}>
            {t("places.pass.issue")}
          </button>
        </section>
      ) : null}
      {pass ? (
        <>
          <div class="pass-layout">
            <section class="card">
              <h2 id="pass-title">{t("places.pass.details")}</h2>
              <dl class="figures">
                <div class="figure">
                  <dt>{t("places.pass.status")}</dt>
                  <dd>{passStatusLabel(pass.status)}</dd>
                </div>
                <div class="figure">
                  <dt>{t("places.pass.validity")}</dt>
                  <dd>
                    {t("places.pass.validRange", {
                      from: formatDate(pass.validFrom),
                      until: formatDate(pass.validUntil),
                    })}
                  </dd>
                </div>
                <div class="figure">
                  <dt>{t("places.pass.shortCode")}</dt>
                  <dd class="short-code">{pass.shortCode ?? "—"}</dd>
                </div>
              </dl>
              <p class="hint">{t("places.pass.shortCodeHint")}</p>
              <button type="button" class="secondary" onClick={() => void renew()} disabled={busy}>
                {t("places.pass.renew")}
              </button>
            </section>
            <Presentation
              memberId={memberId}
              consent={pass.consent}
              passId={pass.id}
              member={query.data?.member}
            />
          </div>
          <section class="card pass-card">
            <h2 id="card-title">{t("places.pass.card")}</h2>
            <img src={svgDataUrl(pass.cardSvg)} alt={t("places.pass.cardAlt")} class="card-image" />
            <div class="row-actions">
              <button type="button" onClick={printCard}>
                {t("places.pass.print")}
              </button>
              <button
                type="button"
                class="secondary"
                onClick={() => downloadText("pass-maillage.svg", pass.cardSvg, "image/svg+xml")}
              >
                {t("places.pass.downloadCard")}
              </button>
            </div>
          </section>
          <ConsentForm
            key={pass.id}
            memberId={memberId}
            consent={pass.consent}
            member={query.data?.member}
            onChanged={() => {
              setDone(t("places.consent.saved"));
              void query.refetch();
            }}
          />
          <PassHistory passes={query.data?.memberPasses ?? []} />
        </>
      ) : null}
    </section>
  );
}
