import { useState } from "preact/hooks";
import { ApiError, errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDateTime, formatNumber, t } from "../../i18n/i18n.ts";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { formatLag } from "../../ui/format.ts";
import { refreshSyncStatus, syncError, syncStatus, useReady } from "../live.ts";
import { RetryPoisonedMutation } from "../queries.ts";
import { Loading, type Notice, NoticeBanner, Page } from "./parts.tsx";

const when = (value: string | null | undefined) =>
  value ? formatDateTime(value) : t("console.sync.never");

export default function SyncPage() {
  const status = syncStatus.value;
  const [notice, setNotice] = useState<Notice>();
  const [busy, setBusy] = useState(false);
  useReady(Boolean(status || syncError.value));

  const retry = async (seq: number) => {
    setBusy(true);
    try {
      await request(RetryPoisonedMutation, { seq });
      setNotice({ kind: "success", text: t("console.sync.retried") });
      await refreshSyncStatus();
    } catch (e) {
      setNotice({ kind: "error", text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title={t("console.sync.title")} lead={t("console.sync.lead")}>
      <NoticeBanner notice={notice} />
      {!status ? (
        syncError.value ? (
          <ErrorBanner error={syncError.value} />
        ) : (
          <Loading />
        )
      ) : (
        <>
          <section aria-labelledby="sync-state">
            <h2 id="sync-state">{t("console.sync.state")}</h2>
            <dl class="details sync-figures">
              <dt>{t("console.sync.hub")}</dt>
              <dd data-figure="sync.hub">
                {status.hubReachable === false
                  ? t("console.sync.hubDown")
                  : status.hubReachable
                    ? t("console.sync.hubUp")
                    : t("console.sync.hubUnknown")}
              </dd>
              <dt>{t("console.sync.outbox")}</dt>
              <dd data-figure="sync.outbox">{formatNumber(status.outboxPending)}</dd>
              <dt>{t("console.sync.lag")}</dt>
              <dd data-figure="sync.lag">{formatLag(status.lagSeconds)}</dd>
              <dt>{t("console.sync.oldestPending")}</dt>
              <dd>{status.oldestPendingAt ? formatDateTime(status.oldestPendingAt) : "—"}</dd>
              <dt>{t("console.sync.lastPush")}</dt>
              <dd data-figure="sync.lastPush">{when(status.lastPushAt)}</dd>
              <dt>{t("console.sync.lastPull")}</dt>
              <dd data-figure="sync.lastPull">{when(status.lastPullAt)}</dd>
              <dt>{t("console.sync.lastError")}</dt>
              <dd>
                {status.lastError
                  ? `${status.lastError}${status.lastErrorAt ? ` (${formatDateTime(status.lastErrorAt)})` : ""}`
                  : "—"}
              </dd>
              <dt>{t("console.sync.node")}</dt>
              <dd>
                <code>{status.nodeId}</code>
              </dd>
            </dl>
            <p class="hint">{t("console.sync.pollHint")}</p>
            {syncError.value ? <ErrorBanner error={syncError.value} /> : null}
          </section>
          <section aria-labelledby="sync-poisoned">
            <h2 id="sync-poisoned">{t("console.sync.poisoned")}</h2>
            {status.poisoned ? (
              <div class="card">
                <p>{t("console.sync.poisonedHint")}</p>
                <dl class="details">
                  <dt>{t("console.sync.seq")}</dt>
                  <dd>{status.poisoned.seq}</dd>
                  <dt>{t("console.sync.entity")}</dt>
                  <dd>
                    <code>{status.poisoned.entity}</code> <code>{status.poisoned.entityId}</code>
                  </dd>
                  <dt>{t("console.sync.reason")}</dt>
                  <dd>
                    {errorMessage(new ApiError(status.poisoned.code, status.poisoned.message))}
                  </dd>
                  <dt>{t("console.sync.message")}</dt>
                  <dd>
                    <code>{status.poisoned.code}</code> <code>{status.poisoned.message}</code>
                  </dd>
                </dl>
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => {
                    const seq = status.poisoned?.seq;
                    if (seq != null) void retry(seq);
                  }}
                >
                  {t("console.sync.retry")}
                </button>
              </div>
            ) : (
              <p>{t("console.sync.noPoisoned")}</p>
            )}
          </section>
        </>
      )}
    </Page>
  );
}
