import { useEffect, useState } from "preact/hooks";
import { markReady } from "../app/status.ts";
import type { ResultOf } from "../client/hub-graphql.ts";
import { t } from "../i18n/i18n.ts";
import { type Column, DataTable } from "../ui/data-table.tsx";
import { ErrorBanner } from "../ui/error-banner.tsx";
import { SelectField } from "../ui/field.tsx";
import { Loading } from "../ui/loading.tsx";
import { dateTimeOrNever, nodeStateColumns, nodeStatusLabel } from "./labels.ts";
import { LiveStatus } from "./live-feed.tsx";
import { Breadcrumb } from "./parts.tsx";
import { NodesQuery } from "./queries.ts";
import { useQuery } from "./use-query.ts";

type Node = NonNullable<ResultOf<typeof NodesQuery>["nodes"]>[number];
type Liveness = "ONLINE" | "STALE" | "SILENT";

/** The node agents (optionally of one fabrique or one state), refreshed on NODE_STATUS events. */
export function NodesTable({
  fabriqueId,
  liveness,
  onLoaded,
}: {
  fabriqueId?: string;
  liveness?: Liveness;
  onLoaded?: () => void;
}) {
  const { data, error } = useQuery(
    NodesQuery,
    { liveness: liveness ?? null },
    { refreshOn: (e) => e.kind === "NODE_STATUS" || e.kind === "ACTIVITY", debounceMs: 1000 },
  );
  useEffect(() => {
    if (data) onLoaded?.();
  }, [data]);
  if (error) return <ErrorBanner error={error} />;
  if (!data) return <Loading />;
  const rows = (data.nodes ?? []).filter((n) => !fabriqueId || n.fabrique.id === fabriqueId);
  const columns: Column<Node>[] = [
    { key: "fabrique", label: t("dashboard.fabrique"), value: (n) => n.fabrique.name },
    ...nodeStateColumns<Node>(),
    {
      key: "lastPushAt",
      label: t("dashboard.lastPushAt"),
      value: (n) => n.lastPushAt ?? "",
      render: (n) => dateTimeOrNever(n.lastPushAt),
    },
    { key: "status", label: t("dashboard.nodeStatus"), value: (n) => nodeStatusLabel(n.status) },
  ];
  return (
    <DataTable
      caption={t("dashboard.nodesTable")}
      columns={columns}
      rows={rows}
      csvName="noeuds"
      rowKey={(n) => n.id}
      initialSort={{ key: "lag", descending: true }}
    />
  );
}

/** Node liveness: every node agent, filterable by state. */
export default function NodesPage() {
  const [liveness, setLiveness] = useState<Liveness | "">("");
  return (
    <div class="page">
      <Breadcrumb
        crumbs={[{ label: t("dashboard.france"), to: "/" }, { label: t("dashboard.nodes") }]}
      />
      <h1>{t("dashboard.nodesTitle")}</h1>
      <p class="hint">{t("dashboard.livenessExplained")}</p>
      <LiveStatus />
      <SelectField
        label={t("dashboard.livenessFilter")}
        value={liveness}
        options={[
          { value: "", label: t("dashboard.all") },
          { value: "ONLINE", label: t("dashboard.online") },
          { value: "STALE", label: t("dashboard.stale") },
          { value: "SILENT", label: t("dashboard.silent") },
        ]}
        onChange={(e) => setLiveness((e.currentTarget as HTMLSelectElement).value as Liveness | "")}
      />
      <NodesTable liveness={liveness || undefined} onLoaded={markReady} />
    </div>
  );
}
