import { useState } from "preact/hooks";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDateTime, t } from "../../i18n/i18n.ts";
import { DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { SelectField, TextField } from "../../ui/field.tsx";
import { useAgentQuery, useReady } from "../live.ts";
import {
  CalendarFeedsQuery,
  CreateCalendarFeedMutation,
  RevokeCalendarFeedMutation,
} from "../queries.ts";
import { feedTargetLabel } from "./labels.ts";
import { Loading, type Notice, NoticeBanner, Page, useTeamSpaces } from "./parts.tsx";
import { useTeamResources } from "./resources.tsx";

export default function FeedsPage() {
  const query = useAgentQuery(CalendarFeedsQuery, {});
  const spaces = useTeamSpaces();
  const resources = useTeamResources(spaces.spaces.map((s) => s.id));
  const [notice, setNotice] = useState<Notice>();
  const [created, setCreated] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useReady(Boolean(query.data || query.error));

  const resourceRows = resources && "rows" in resources ? resources.rows : [];
  const targetName = (target: string, id: string) => {
    if (target === "SPACE") return spaces.names.get(id) ?? id;
    if (target === "RESOURCE") return resourceRows.find((r) => r.id === id)?.name ?? id;
    return id;
  };
  const targets = [
    ...spaces.spaces.map((s) => ({
      value: `space:${s.id}`,
      label: t("console.feeds.ofSpace", { name: s.name }),
    })),
    ...resourceRows.map((r) => ({
      value: `resource:${r.id}`,
      label: t("console.feeds.ofResource", { name: r.name }),
    })),
  ];
  const fullUrl = (path: string) => new URL(path, window.location.origin).toString();

  const revoke = async (id: string, label: string) => {
    if (!window.confirm(t("console.feeds.revokeConfirm", { label }))) return;
    try {
      await request(RevokeCalendarFeedMutation, { id });
      setNotice({ kind: "success", text: t("console.feeds.revoked", { label }) });
      await query.refetch();
    } catch (e) {
      setNotice({ kind: "error", text: errorMessage(e) });
    }
  };

  return (
    <Page title={t("console.feeds.title")} lead={t("console.feeds.lead")}>
      <NoticeBanner notice={notice} />
      <ErrorBanner error={query.error} />
      {created ? (
        <section class="card feed-created" aria-labelledby="feed-url">
          <h2 id="feed-url">{t("console.feeds.createdTitle")}</h2>
          <p>{t("console.feeds.createdHint")}</p>
          <TextField
            label={t("console.feeds.url")}
            value={created}
            readOnly
            onFocus={(e) => e.currentTarget.select()}
          />
          <button
            type="button"
            onClick={() => {
              void navigator.clipboard?.writeText(created).then(
                () => setNotice({ kind: "success", text: t("console.feeds.copied") }),
                () => setNotice({ kind: "error", text: t("console.feeds.copyFailed") }),
              );
            }}
          >
            {t("console.feeds.copy")}
          </button>
        </section>
      ) : null}
      <section aria-labelledby="feed-create">
        <h2 id="feed-create">{t("console.feeds.create")}</h2>
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            const formEl = event.currentTarget;
            const form = new FormData(formEl);
            const [kind, targetId] = String(form.get("target") ?? "").split(":");
            const label = String(form.get("label") ?? "").trim() || undefined;
            setBusy(true);
            try {
              const result = await request(CreateCalendarFeedMutation, {
                label,
                spaceId: kind === "space" ? targetId : undefined,
                resourceId: kind === "resource" ? targetId : undefined,
              });
              if (result.createCalendarFeed) setCreated(fullUrl(result.createCalendarFeed.url));
              formEl.reset();
              await query.refetch();
            } catch (e) {
              setNotice({ kind: "error", text: errorMessage(e) });
            } finally {
              setBusy(false);
            }
          }}
        >
          <div class="form-grid">
            <SelectField
              label={t("console.feeds.target")}
              name="target"
              required
              options={targets}
            />
            <TextField label={t("console.feeds.label")} name="label" autoComplete="off" />
          </div>
          <button type="submit" disabled={busy || targets.length === 0}>
            {t("console.feeds.createSubmit")}
          </button>
        </form>
      </section>
      <section aria-labelledby="feed-list">
        <h2 id="feed-list">{t("console.feeds.list")}</h2>
        {!query.data ? (
          <Loading failed={query.error} />
        ) : (
          <DataTable
            caption={t("console.feeds.caption")}
            csvName="flux-agenda"
            rows={query.data.calendarFeeds ?? []}
            rowKey={(f) => f.id}
            columns={[
              {
                key: "label",
                label: t("console.feeds.label"),
                rowHeader: true,
                value: (f) => f.label ?? targetName(f.target, f.targetId),
              },
              {
                key: "target",
                label: t("console.feeds.target"),
                value: (f) => `${feedTargetLabel(f.target)} — ${targetName(f.target, f.targetId)}`,
              },
              {
                key: "createdAt",
                label: t("console.col.createdAt"),
                value: (f) => f.createdAt,
                render: (f) => formatDateTime(f.createdAt),
              },
              {
                key: "state",
                label: t("console.col.status"),
                value: (f) =>
                  f.revokedAt
                    ? t("console.feeds.revokedAt", { at: formatDateTime(f.revokedAt) })
                    : t("console.feeds.active"),
              },
              {
                key: "actions",
                label: t("console.col.actions"),
                value: () => "",
                render: (f) =>
                  f.revokedAt ? null : (
                    <button
                      type="button"
                      class="secondary"
                      aria-label={t("console.feeds.revokeNamed", {
                        label: f.label ?? targetName(f.target, f.targetId),
                      })}
                      onClick={() => void revoke(f.id, f.label ?? targetName(f.target, f.targetId))}
                    >
                      {t("console.feeds.revoke")}
                    </button>
                  ),
              },
            ]}
          />
        )}
      </section>
    </Page>
  );
}
