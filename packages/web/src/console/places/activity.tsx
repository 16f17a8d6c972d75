import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ACTIVITY_CSV_COLUMNS } from "../../../../schema/src/csv.ts";
import { session } from "../../app/session.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { asApiError, errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDate, formatNumber, t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { TextAreaField, TextField } from "../../ui/field.tsx";
import { Loading } from "../../ui/loading.tsx";
import { addDays, todayInParis } from "../../ui/paris-date.ts";
import { useAgentQuery, useReady } from "../live.ts";
import { EMPTY, type FormField, type FormState, readActivityForm } from "./activity-form.ts";
import { PlaceHubBanner, randomKey, SpacePicker, useSpaces } from "./common.tsx";
import {
  attachErrors,
  type CsvPreview,
  importErrorsOf,
  importMessage,
  previewCsv,
} from "./csv-preview.ts";
import {
  ActivityQuery,
  ImportActivityMutation,
  ReportActivityMutation,
  WithdrawActivityMutation,
} from "./queries.ts";

type Report = NonNullable<ResultOf<typeof ActivityQuery>["activity"]>[number];

function fieldOfApi(field: string | undefined): FormField | undefined {
  const last = field?.split(".").pop();
  return (["date", "visitors", "events", "participants", "openHours", "note"] as const).find(
    (f) => f === last,
  );
}

function ActivityForm({
  spaceId,
  spaceName,
  onSaved,
  editing,
}: {
  spaceId: string;
  spaceName: string;
  onSaved(report: Report): void;
  editing: Report | undefined;
}) {
  const today = todayInParis();
  const [form, setForm] = useState<FormState>(EMPTY(today));
  const [errors, setErrors] = useState<Partial<Record<FormField, string>>>({});
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const key = useRef(randomKey());
  const lastEditing = useRef<Report | undefined>(undefined);
  useEffect(() => {
    if (!editing) return;
    const input = document.getElementById("activity-date");
    input?.scrollIntoView?.({ block: "center" });
    input?.focus();
  }, [editing]);
  if (editing && editing !== lastEditing.current) {
    lastEditing.current = editing;
    key.current = randomKey();
    setForm({
      date: editing.date,
      visitors: String(editing.visitors),
      events: String(editing.events),
      participants: String(editing.participants),
      openHours: String(editing.openHours),
      note: editing.note ?? "",
    });
  }
  const set = (field: FormField) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    setForm((f) => ({ ...f, [field]: value }));
    key.current = randomKey();
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(undefined);
    setFailure(undefined);
    const read = readActivityForm(form, today);
    if (!read.ok) {
      setErrors(read.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const result = await request(ReportActivityMutation, {
        input: { ...read.value, spaceId, idempotencyKey: key.current },
      });
      key.current = randomKey();
      if (result.reportActivity) {
        onSaved(result.reportActivity);
        setSaved(
          t("places.activity.saved", { date: formatDate(read.value.date), space: spaceName }),
        );
        setForm(EMPTY(today));
      }
    } catch (error) {
      const e = asApiError(error);
      const field = fieldOfApi(e.field);
      if (field) setErrors({ [field]: errorMessage(e) });
      setFailure(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const numberProps = { type: "number", inputMode: "numeric", min: 0, step: 1 } as const;
  /** A count of the day (visitors, events, participants): a required whole number. */
  const countField = (key: "visitors" | "events" | "participants") => (
    <TextField
      label={t(`places.activity.${key}`)}
      {...numberProps}
      required
      value={form[key]}
      error={errors[key]}
      onInput={set(key)}
    />
  );
  return (
    <form class="card activity-form" onSubmit={submit} noValidate aria-labelledby="report-title">
      <h2 id="report-title">{t("places.activity.formTitle")}</h2>
      <div class="form-grid">
        <TextField
          id="activity-date"
          label={t("places.activity.date")}
          type="date"
          max={today}
          required
          value={form.date}
          error={errors.date}
          onInput={set("date")}
        />
        {countField("visitors")}
        {countField("events")}
        {countField("participants")}
        <TextField
          label={t("places.activity.openHours")}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          hint={t("places.activity.openHoursHint")}
          required
          value={form.openHours}
          error={errors.openHours}
          onInput={set("openHours")}
        />
      </div>
      <TextAreaField
        label={t("places.activity.note")}
        hint={t("places.activity.noteHint")}
        rows={2}
        maxLength={1000}
        value={form.note}
        error={errors.note}
        onInput={set("note")}
      />
      <button type="submit" class="big" disabled={busy}>
        {t("places.activity.submit")}
      </button>
      <div role="status" class="form-status">
        {saved ? <p class="success-text">{saved}</p> : null}
      </div>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
    </form>
  );
}

function ImportCsv({ spaceId, onImported }: { spaceId: string; onImported(): void }) {
  const [fileName, setFileName] = useState<string | undefined>(undefined);
  const [text, setText] = useState<string | undefined>(undefined);
  const [preview, setPreview] = useState<CsvPreview | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const choose = async (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    setDone(undefined);
    setFailure(undefined);
    if (!file) {
      setText(undefined);
      setPreview(undefined);
      return;
    }
    const content = await file.text();
    setFileName(file.name);
    setText(content);
    setPreview(previewCsv(content));
  };

  const send = async () => {
    if (!text || !preview) return;
    setBusy(true);
    setDone(undefined);
    setFailure(undefined);
    try {
      const result = await request(ImportActivityMutation, { csv: text });
      setPreview(attachErrors(previewCsv(text), []));
      setDone(
        t("places.import.done", {
          imported: result.importActivity?.imported ?? 0,
          emitted: result.importActivity?.emitted ?? 0,
        }),
      );
      onImported();
    } catch (error) {
      const e = asApiError(error);
      const lineErrors = importErrorsOf(e.errors);
      setPreview(attachErrors(previewCsv(text), lineErrors));
      setFailure(
        lineErrors.length
          ? t("places.import.failed", { count: lineErrors.length })
          : errorMessage(e),
      );
    } finally {
      setBusy(false);
    }
  };

  const shown = preview?.columns.length ? preview.columns : [...ACTIVITY_CSV_COLUMNS];
  const errorLines = preview?.rows.filter((r) => r.errors.length).length ?? 0;
  return (
    <section class="card">
      <h2 id="import-title">{t("places.import.title")}</h2>
      <p class="hint">{t("places.import.help")}</p>
      <pre class="csv-sample">
        space_id,date,visitors,events,participants,open_hours,note{"\n"}
        {`${spaceId},2026-12-01,12,1,8,7.5,atelier vélo`}
      </pre>
      <TextField
        label={t("places.import.file")}
        type="file"
        accept=".csv,text/csv"
        onChange={(e) => void choose(e)}
      />
      {preview ? (
        <>
          <p>{t("places.import.preview", { count: preview.rows.length, file: fileName ?? "" })}</p>
          {preview.missingColumns.length ? (
            <Banner kind="warning">
              {t("places.import.missing", { columns: preview.missingColumns.join(", ") })}
            </Banner>
          ) : null}
          {preview.unknownColumns.length ? (
            <p class="hint">
              {t("places.import.unknown", { columns: preview.unknownColumns.join(", ") })}
            </p>
          ) : null}
          {preview.fileErrors.length ? (
            <ul class="file-errors" aria-label={t("places.import.fileErrors")}>
              {preview.fileErrors.map((e) => (
                <li key={`${e.line}-${e.field}-${e.message}`}>
                  {t("places.import.lineError", {
                    line: e.line,
                    field: e.field ?? "—",
                    message: importMessage(e.message),
                  })}
                </li>
              ))}
            </ul>
          ) : null}
          <section
            class="table-scroll csv-preview"
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
            tabIndex={0}
            aria-label={t("places.import.table")}
          >
            <table>
              <caption>
                {t("places.import.table")}
                {errorLines ? ` — ${t("places.import.errorLines", { count: errorLines })}` : ""}
              </caption>
              <thead>
                <tr>
                  <th scope="col" class="num">
                    {t("places.import.line")}
                  </th>
                  <th scope="col">{t("places.import.errors")}</th>
                  {shown.map((c) => (
                    <th scope="col" key={c}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.slice(0, 200).map((row) => (
                  <tr key={row.line} class={row.errors.length ? "row-error" : undefined}>
                    <th scope="row" class="num">
                      {formatNumber(row.line)}
                    </th>
                    <td class="errors-cell">
                      {row.errors.length ? (
                        <ul class="line-errors">
                          {row.errors.map((e) => (
                            <li key={`${e.field}-${e.message}`}>
                              {e.field ? <strong>{e.field}</strong> : null}
                              {e.field ? " : " : ""}
                              {importMessage(e.message)}
                            </li>
                          ))}
                        </ul>
                      ) : (
                        ""
                      )}
                    </td>
                    {shown.map((c) => (
                      <td
                        key={c}
                        class={row.errors.some((e) => e.field === c) ? "cell-error" : undefined}
                      >
                        {row.cells[c] ?? ""}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          {preview.rows.length > 200 ? (
            <p class="hint">{t("places.import.more", { count: preview.rows.length - 200 })}</p>
          ) : null}
          <button
            type="button"
            class="big"
            onClick={() => void send()}
            disabled={busy || preview.rows.length === 0}
          >
            {t("places.import.submit", { count: preview.rows.length })}
          </button>
        </>
      ) : null}
      <div role="status">{done ? <p class="success-text">{done}</p> : null}</div>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
    </section>
  );
}

export default function ActivityPage() {
  const { spaces, spaceId, setSpaceId, error: spacesError, loading } = useSpaces();
  const today = todayInParis();
  const from = addDays(today, -30);
  const reports = useAgentQuery(
    ActivityQuery,
    { spaceId: spaceId ?? "", from, to: today },
    { skip: !spaceId },
  );
  const [editing, setEditing] = useState<Report | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [withdrawn, setWithdrawn] = useState<string | undefined>(undefined);
  const isTeam = session.value?.role === "FABRIQUE_ADMIN";
  const space = spaces.find((s) => s.id === spaceId);
  useReady(Boolean(reports.data || reports.error || spacesError || (!loading && !spaceId)));

  const rows = useMemo(
    () => [...(reports.data?.activity ?? [])].sort((a, b) => b.date.localeCompare(a.date)),
    [reports.data],
  );

  const withdraw = async (report: Report) => {
    if (!window.confirm(t("places.activity.withdrawConfirm", { date: formatDate(report.date) })))
      return;
    setFailure(undefined);
    try {
      await request(WithdrawActivityMutation, { spaceId: report.spaceId, date: report.date });
      setWithdrawn(t("places.activity.withdrawn", { date: formatDate(report.date) }));
      await reports.refetch();
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };

  const columns: Column<Report>[] = [
    {
      key: "date",
      label: t("places.activity.date"),
      value: (r) => r.date,
      render: (r) => formatDate(r.date),
      rowHeader: true,
    },
    {
      key: "visitors",
      label: t("places.activity.visitors"),
      value: (r) => r.visitors,
      numeric: true,
    },
    { key: "events", label: t("places.activity.events"), value: (r) => r.events, numeric: true },
    {
      key: "participants",
      label: t("places.activity.participants"),
      value: (r) => r.participants,
      numeric: true,
    },
    {
      key: "openHours",
      label: t("places.activity.openHours"),
      value: (r) => r.openHours,
      numeric: true,
    },
    { key: "note", label: t("places.activity.noteShort"), value: (r) => r.note ?? "" },
    {
      key: "actions",
      label: t("places.actions"),
      value: () => "",
      render: (r) => (
        <span class="row-actions">
          <button
            type="button"
            class="secondary"
            onClick={() => setEditing({ ...r })}
            aria-label={t("places.activity.editOf", { date: formatDate(r.date) })}
          >
            {t("places.activity.edit")}
          </button>
          {isTeam ? (
            <button
              type="button"
              class="secondary danger"
              onClick={() => void withdraw(r)}
              aria-label={t("places.activity.withdrawOf", { date: formatDate(r.date) })}
            >
              {t("places.activity.withdraw")}
            </button>
          ) : null}
        </span>
      ),
    },
  ];

  return (
    <section class="page places">
      <h1>{t("places.activity")}</h1>
      <PlaceHubBanner />
      <SpacePicker spaces={spaces} spaceId={spaceId} onChange={setSpaceId} />
      <ErrorBanner error={spacesError} />
      {spaceId ? (
        <ActivityForm
          key={spaceId}
          spaceId={spaceId}
          spaceName={space?.name ?? spaceId}
          editing={editing}
          onSaved={() => void reports.refetch()}
        />
      ) : null}
      <h2>{t("places.activity.recent")}</h2>
      <div role="status">{withdrawn ? <p class="success-text">{withdrawn}</p> : null}</div>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
      <ErrorBanner error={reports.error} />
      {reports.data ? (
        <DataTable
          caption={t("places.activity.recentCaption", { space: space?.name ?? "" })}
          columns={columns}
          rows={rows}
          rowKey={(r) => r.date}
          csvName={`activite-${today}`}
        />
      ) : spaceId ? (
        <Loading />
      ) : null}
      <ImportCsv spaceId={spaceId ?? "…"} onImported={() => void reports.refetch()} />
    </section>
  );
}
