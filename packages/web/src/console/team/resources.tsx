import { useEffect, useState } from "preact/hooks";
import { Link } from "../../app/router.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { SelectField, TextField } from "../../ui/field.tsx";
import { useAgentQuery, useReady } from "../live.ts";
import {
  NetworkResourcesQuery,
  RequestBookingMutation,
  RequestLoanMutation,
  type ResourcesQuery,
} from "../queries.ts";
import { loadTeamResources } from "./home.tsx";
import { categoryLabel, requestStatusLabel, resourceStatusLabel, scopeLabel } from "./labels.ts";
import { Loading, type Notice, Page, SlotFields, slotOf, useTeamSpaces } from "./parts.tsx";

type Resource = NonNullable<ResultOf<typeof ResourcesQuery>["resources"]>[number];
type NetworkResource = NonNullable<
  ResultOf<typeof NetworkResourcesQuery>["networkResources"]
>[number];

/** The columns both resource tables show in words: movable, approval required (Oui / Non). */
function flagColumns<T extends { movable: boolean; approvalRequired: boolean }>(): Column<T>[] {
  const yes = t("console.yes");
  const no = t("console.no");
  return [
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
  ];
}

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
  const [asking, setAsking] = useState<NetworkResource | undefined>();
  useReady(Boolean(resources || spaces.error));

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
              ...flagColumns<Resource>(),
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
          <Loading failed={network.error} />
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
              ...flagColumns<NetworkResource>(),
              { key: "owner", label: t("console.col.ownerNode"), value: (r) => r.ownerNodeId },
              {
                key: "actions",
                label: t("console.col.actions"),
                value: () => "",
                render: (r) => (
                  <button
                    type="button"
                    class="secondary"
                    aria-label={t("console.ask.named", { name: r.name })}
                    aria-expanded={asking?.id === r.id}
                    onClick={() => setAsking(asking?.id === r.id ? undefined : r)}
                  >
                    {t("console.ask.button")}
                  </button>
                ),
              },
            ]}
          />
        )}
        {asking ? (
          <AskForm
            key={asking.id}
            resource={asking}
            spaces={spaces.spaces.filter((s) => s.status === "OPEN")}
            onClose={() => setAsking(undefined)}
          />
        ) : null}
      </section>
    </Page>
  );
}

/** Asks another node for its resource: a booking for a place or a member, or a loan. */
function AskForm({
  resource,
  spaces,
  onClose,
}: {
  resource: NetworkResource;
  spaces: readonly { id: string; name: string }[];
  onClose(): void;
}) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Notice>();
  return (
    <section class="card ask-form" aria-labelledby="ask-title">
      <h3 id="ask-title">{t("console.ask.title", { name: resource.name })}</h3>
      <p class="hint">
        {resource.approvalRequired ? t("console.ask.approvalHint") : t("console.ask.rulesHint")}
      </p>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          const { startsAt, endsAt } = slotOf(form);
          const spaceId = String(form.get("spaceId"));
          const member = String(form.get("forMemberId") ?? "").trim();
          const loan = form.get("kind") === "LOAN";
          setBusy(true);
          try {
            const answer = loan
              ? (
                  await request(RequestLoanMutation, {
                    resourceId: resource.id,
                    startsAt,
                    endsAt,
                    toSpaceId: spaceId,
                  })
                ).requestLoan
              : (
                  await request(RequestBookingMutation, {
                    resourceId: resource.id,
                    startsAt,
                    endsAt,
                    forSpaceId: member ? undefined : spaceId,
                    forMemberId: member || undefined,
                  })
                ).requestBooking;
            setResult({
              kind: "success",
              text: t("console.ask.sent", {
                name: resource.name,
                status: requestStatusLabel(answer?.status ?? "PENDING"),
              }),
            });
          } catch (e) {
            setResult({ kind: "error", text: errorMessage(e) });
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="form-grid">
          {resource.movable ? (
            <SelectField
              label={t("console.col.kind")}
              name="kind"
              options={[
                { value: "BOOKING", label: t("console.kind.BOOKING") },
                { value: "LOAN", label: t("console.kind.LOAN") },
              ]}
            />
          ) : null}
          <SlotFields />
          <SelectField
            label={t("console.ask.forSpace")}
            name="spaceId"
            required
            options={spaces.map((s) => ({ value: s.id, label: s.name }))}
          />
          <TextField
            label={t("console.book.forMember")}
            hint={t("console.book.forMemberHint")}
            name="forMemberId"
            autoComplete="off"
          />
        </div>
        <div aria-live="polite">
          {result ? (
            <Banner kind={result.kind}>
              {result.text}{" "}
              {result.kind === "success" ? (
                <Link to="/requests">{t("console.home.toRequests")}</Link>
              ) : null}
            </Banner>
          ) : null}
        </div>
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t("console.ask.submit")}
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            {t("console.ask.close")}
          </button>
        </div>
      </form>
    </section>
  );
}
