import { useEffect, useState } from "preact/hooks";
import { Link } from "../../app/router.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { t } from "../../i18n/i18n.ts";
import { DataTable } from "../../ui/data-table.tsx";
import { useAgentQuery } from "../live.ts";
import { NetworkResourcesQuery, type ResourcesQuery } from "../queries.ts";
import { loadTeamResources } from "./home.tsx";
import { categoryLabel, resourceStatusLabel, scopeLabel } from "./labels.ts";
import { ErrorBanner, Loading, Page, useReady, useTeamSpaces } from "./parts.tsx";

type Resource = NonNullable<ResultOf<typeof ResourcesQuery>["resources"]>[number];

/** The team's own resources (loaded once the spaces are known). */
export function useTeamResources(spaceIds: readonly string[]) {
  const [state, setState] = useState<{ rows: Resource[] } | { error: unknown } | undefined>();
  const key = spaceIds.join(",");
  useEffect(() => {
    if (!key) return;
    let live = true;
    loadTeamResources(key.split(","))
      .then((rows) => live && setState({ rows }))
      .catch((error: unknown) => live && setState({ error }));
    return () => {
      live = false;
    };
  }, [key]);
  return state;
}

export default function ResourcesPage() {
  const spaces = useTeamSpaces();
  const resources = useTeamResources(spaces.spaces.map((s) => s.id));
  const network = useAgentQuery(NetworkResourcesQuery, {});
  useReady(Boolean(resources || spaces.error));
  const yes = t("console.yes");
  const no = t("console.no");

  return (
    <Page title={t("console.resources.title")}>
      <ErrorBanner error={spaces.error} />
      <section aria-labelledby="res-own">
        <h2 id="res-own">{t("console.resources.own")}</h2>
        {!resources ? (
          <Loading />
        ) : "error" in resources ? (
          <ErrorBanner error={resources.error} />
        ) : (
          <DataTable
            caption={t("console.resources.caption")}
            csvName="ressources"
            rows={resources.rows}
            rowKey={(r) => r.id}
            initialSort={{ key: "name" }}
            columns={[
              {
                key: "name",
                label: t("console.col.name"),
                rowHeader: true,
                value: (r) => r.name,
                render: (r) => (
                  <Link
                    to={`/resources/${r.id}`}
                    aria-label={t("console.resources.openWeek", { name: r.name })}
                  >
                    {r.name}
                  </Link>
                ),
              },
              {
                key: "category",
                label: t("console.col.category"),
                value: (r) => categoryLabel(r.category),
              },
              {
                key: "space",
                label: t("console.col.space"),
                value: (r) => spaces.names.get(r.spaceId) ?? r.spaceId,
              },
              {
                key: "status",
                label: t("console.col.status"),
                value: (r) => resourceStatusLabel(r.status),
              },
              {
                key: "movable",
                label: t("console.col.movable"),
                value: (r) => (r.movable ? yes : no),
              },
              {
                key: "approval",
                label: t("console.col.approval"),
                value: (r) => (r.approvalRequired ? yes : no),
              },
              {
                key: "scope",
                label: t("console.col.scope"),
                value: (r) => scopeLabel(r.sharingScope),
              },
            ]}
          />
        )}
      </section>
      <section aria-labelledby="res-network">
        <h2 id="res-network">{t("console.resources.network")}</h2>
        <p class="hint">{t("console.resources.networkHint")}</p>
        <ErrorBanner error={network.error} />
        {!network.data ? (
          network.error ? null : (
            <Loading />
          )
        ) : (
          <DataTable
            caption={t("console.resources.networkCaption")}
            csvName="ressources-reseau"
            rows={network.data.networkResources ?? []}
            rowKey={(r) => r.id}
            columns={[
              { key: "name", label: t("console.col.name"), rowHeader: true, value: (r) => r.name },
              {
                key: "category",
                label: t("console.col.category"),
                value: (r) => categoryLabel(r.category),
              },
              {
                key: "movable",
                label: t("console.col.movable"),
                value: (r) => (r.movable ? yes : no),
              },
              {
                key: "approval",
                label: t("console.col.approval"),
                value: (r) => (r.approvalRequired ? yes : no),
              },
              { key: "owner", label: t("console.col.ownerNode"), value: (r) => r.ownerNodeId },
            ]}
          />
        )}
      </section>
    </Page>
  );
}
