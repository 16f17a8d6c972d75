import { useState } from "preact/hooks";
import { session } from "../../app/session.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDate, t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { downloadText } from "../../ui/download.ts";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { Loading } from "../../ui/loading.tsx";
import { useAgentQuery, useReady } from "../live.ts";
import { PlaceHubBanner } from "../places/common.tsx";
import { credentialTypeLabel } from "../team/labels.ts";
import { badgeFileContent, badgeFileName } from "./badge.ts";
import { CredentialsQuery, ExportOpenBadgeQuery } from "./queries.ts";

type Credential = NonNullable<ResultOf<typeof CredentialsQuery>["credentials"]>[number];

export default function CredentialsPage() {
  const memberId = session.value?.memberId ?? "";
  const query = useAgentQuery(CredentialsQuery, { memberId }, { skip: !memberId });
  const [done, setDone] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  useReady(Boolean(query.data || query.error || !memberId));

  const exportBadge = async (c: Credential) => {
    setDone(undefined);
    setFailure(undefined);
    try {
      const result = await request(ExportOpenBadgeQuery, { credentialId: c.id });
      const exported = result.exportOpenBadge;
      if (!exported) throw new Error("no export");
      const name = badgeFileName(c.type, c.id);
      downloadText(name, badgeFileContent(exported));
      setDone(t("places.credentials.exported", { file: name }));
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };

  const columns: Column<Credential>[] = [
    {
      key: "type",
      label: t("places.col.credential"),
      value: (c) => credentialTypeLabel(c.type),
      rowHeader: true,
    },
    {
      key: "issuedAt",
      label: t("places.col.issuedAt"),
      value: (c) => c.issuedAt,
      render: (c) => formatDate(c.issuedAt),
    },
    {
      key: "expiresAt",
      label: t("places.col.expiresAt"),
      value: (c) => c.expiresAt ?? "",
      render: (c) => (c.expiresAt ? formatDate(c.expiresAt) : t("places.credentials.noExpiry")),
    },
    {
      key: "origin",
      label: t("places.col.origin"),
      value: (c) =>
        c.trainingId ? t("places.credentials.fromTraining") : t("places.credentials.fromTeam"),
    },
    {
      key: "export",
      label: t("places.credentials.export"),
      value: () => "",
      render: (c) =>
        c.signed ? (
          <button
            type="button"
            class="secondary"
            onClick={() => void exportBadge(c)}
            aria-label={t("places.credentials.exportOf", { type: credentialTypeLabel(c.type) })}
          >
            {t("places.credentials.exportButton")}
          </button>
        ) : (
          t("places.credentials.unsigned")
        ),
    },
  ];
  return (
    <section class="page places">
      <h1>{t("places.credentials")}</h1>
      <PlaceHubBanner />
      <p class="hint">{t("places.credentials.help")}</p>
      <div role="status">{done ? <p class="success-text">{done}</p> : null}</div>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
      <ErrorBanner error={query.error} />
      {query.data ? (
        <DataTable
          caption={t("places.credentials.caption")}
          columns={columns}
          rows={query.data.credentials ?? []}
          rowKey={(c) => c.id}
          csvName="mes-attestations"
        />
      ) : (
        <Loading />
      )}
    </section>
  );
}
