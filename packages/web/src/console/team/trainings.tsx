import { useState } from "preact/hooks";
import { Link } from "../../app/router.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDateTime, t } from "../../i18n/i18n.ts";
import { DataTable } from "../../ui/data-table.tsx";
import { downloadText } from "../../ui/download.ts";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { SelectField, TextField } from "../../ui/field.tsx";
import { addDays, parisDay } from "../../ui/paris-date.ts";
import { useAgentQuery, useReady, useSubscription } from "../live.ts";
import {
  CreateTrainingMutation,
  TrainingSeatsSubscription,
  TrainingStatisticsCsvQuery,
  TrainingsQuery,
} from "../queries.ts";
import { scopeLabel, topicLabel } from "./labels.ts";
import {
  FormPanel,
  Loading,
  type Notice,
  NoticeBanner,
  Page,
  SlotFields,
  slotOf,
  useTeamSpaces,
} from "./parts.tsx";

export const TOPICS = [
  "DIGITAL_FABRICATION",
  "DIGITAL_MEDIATION",
  "DIGITAL_SKILLS",
  "ELECTRONICS",
  "ENTREPRENEURSHIP",
  "FACILITATION",
  "FOOD",
  "MACHINE_SAFETY",
  "SUSTAINABILITY",
  "TEXTILE",
  "WOODWORKING",
  "OTHER",
] as const;
export const SCOPES = ["LOCAL", "NETWORK", "NATIONAL"] as const;

export default function TrainingsPage() {
  const [from] = useState(() => new Date(Date.now() - 7 * 86_400_000).toISOString());
  const query = useAgentQuery(TrainingsQuery, { from });
  const spaces = useTeamSpaces();
  const [ownOnly, setOwnOnly] = useState(true);
  const [notice, setNotice] = useState<Notice>();
  useSubscription(
    TrainingSeatsSubscription,
    {},
    {
      next: (event) => {
        const changed = event.trainingSeatsChanged;
        query.setData((current) =>
          current
            ? {
                ...current,
                trainings: (current.trainings ?? []).map((tr) =>
                  tr.id === changed.id
                    ? { ...tr, status: changed.status, seats: changed.seats }
                    : tr,
                ),
              }
            : current,
        );
      },
      reconnected: () => void query.refetch(),
    },
  );
  useReady(Boolean(query.data || query.error));
  const rows = (query.data?.trainings ?? []).filter((tr) => !ownOnly || tr.owned);

  return (
    <Page title={t("console.trainings.title")}>
      <NoticeBanner notice={notice} />
      <ErrorBanner error={query.error} />
      <label class="checkbox">
        <input
          type="checkbox"
          checked={ownOnly}
          onChange={(e) => setOwnOnly(e.currentTarget.checked)}
        />{" "}
        {t("console.trainings.ownOnly")}
      </label>
      {!query.data ? (
        <Loading failed={query.error} />
      ) : (
        <DataTable
          caption={t("console.trainings.caption")}
          csvName="formations"
          rows={rows}
          rowKey={(tr) => tr.id}
          initialSort={{ key: "startsAt" }}
          columns={[
            {
              key: "title",
              label: t("console.col.title"),
              rowHeader: true,
              value: (tr) => tr.title,
              render: (tr) => <Link to={`/trainings/${tr.id}`}>{tr.title}</Link>,
            },
            {
              key: "startsAt",
              label: t("console.col.startsAt"),
              value: (tr) => tr.startsAt,
              render: (tr) => formatDateTime(tr.startsAt),
            },
            { key: "topic", label: t("console.col.topic"), value: (tr) => topicLabel(tr.topic) },
            {
              key: "venue",
              label: t("console.col.venue"),
              value: (tr) => (tr.online ? t("console.training.online") : (tr.venue?.name ?? "")),
            },
            {
              key: "capacity",
              label: t("console.col.capacity"),
              numeric: true,
              value: (tr) => tr.seats.capacity,
            },
            {
              key: "taken",
              label: t("console.col.taken"),
              numeric: true,
              value: (tr) => tr.seats.taken,
            },
            {
              key: "waitlisted",
              label: t("console.col.waitlisted"),
              numeric: true,
              value: (tr) => tr.seats.waitlisted,
            },
            {
              key: "status",
              label: t("console.col.status"),
              value: (tr) =>
                t(
                  tr.status === "CANCELLED"
                    ? "console.training.cancelled"
                    : "console.training.scheduled",
                ),
            },
            { key: "scope", label: t("console.col.scope"), value: (tr) => scopeLabel(tr.scope) },
          ]}
        />
      )}
      <StatisticsCsv onError={(text) => setNotice({ kind: "error", text })} />
      <CreateTraining
        spaces={spaces.spaces.filter((s) => s.status === "OPEN")}
        onCreated={(title) => {
          setNotice({ kind: "success", text: t("console.trainings.created", { title }) });
          void query.refetch();
        }}
      />
    </Page>
  );
}

function CreateTraining({
  spaces,
  onCreated,
}: {
  spaces: readonly { id: string; name: string }[];
  onCreated(title: string): void;
}) {
  return (
    <FormPanel
      summary={t("console.trainings.create")}
      submitLabel={t("console.trainings.createSubmit")}
      submit={async (form) => {
        const title = String(form.get("title") ?? "").trim();
        await request(CreateTrainingMutation, {
          input: {
            title,
            topic: String(form.get("topic")) as (typeof TOPICS)[number],
            spaceId: String(form.get("spaceId")),
            venueSpaceId: String(form.get("venueSpaceId")),
            ...slotOf(form),
            capacity: Number(form.get("capacity")),
            scope: String(form.get("scope")) as (typeof SCOPES)[number],
          },
        });
        return () => onCreated(title);
      }}
    >
      <div class="form-grid">
        <TextField label={t("console.col.title")} name="title" required autoComplete="off" />
        <SelectField
          label={t("console.col.topic")}
          name="topic"
          required
          options={TOPICS.map((v) => ({ value: v, label: topicLabel(v) }))}
        />
        <SelectField
          label={t("console.trainings.organiser")}
          name="spaceId"
          required
          options={spaces.map((s) => ({ value: s.id, label: s.name }))}
        />
        <SelectField
          label={t("console.col.venue")}
          name="venueSpaceId"
          required
          options={spaces.map((s) => ({ value: s.id, label: s.name }))}
        />
        <SlotFields />
        <TextField
          label={t("console.col.capacity")}
          name="capacity"
          type="number"
          min={1}
          defaultValue="12"
          required
        />
        <SelectField
          label={t("console.col.scope")}
          name="scope"
          options={SCOPES.map((v) => ({ value: v, label: scopeLabel(v) }))}
        />
      </div>
    </FormPanel>
  );
}

/** The statistics of this node's trainings as CSV, by session date (Paris), for a period. */
function StatisticsCsv({ onError }: { onError(text: string): void }) {
  const today = parisDay(new Date());
  const [busy, setBusy] = useState(false);
  return (
    <details class="form-panel">
      <summary>{t("console.trainings.statistics")}</summary>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          const from = String(form.get("from"));
          const to = String(form.get("to"));
          setBusy(true);
          try {
            const data = await request(TrainingStatisticsCsvQuery, { from, to });
            downloadText(
              `formations-${from}-${to}.csv`,
              data.trainingStatisticsCsv ?? "",
              "text/csv",
            );
          } catch (e) {
            onError(errorMessage(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="form-grid">
          <TextField
            label={t("console.trainings.statsFrom")}
            name="from"
            type="date"
            required
            defaultValue={addDays(today, -90)}
          />
          <TextField
            label={t("console.trainings.statsTo")}
            name="to"
            type="date"
            required
            defaultValue={today}
          />
        </div>
        <button type="submit" disabled={busy}>
          {t("console.trainings.statsDownload")}
        </button>
      </form>
    </details>
  );
}
