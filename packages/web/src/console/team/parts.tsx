import type { ComponentChildren } from "preact";
import { session } from "../../app/session.ts";
import type { ApiError } from "../../client/errors.ts";
import { errorMessage } from "../../client/errors.ts";
import { t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { useAgentQuery, useSyncPolling } from "../live.ts";
import { SpacesQuery } from "../queries.ts";
import { HubBanner } from "./hub-banner.tsx";
import "./team.css";

/** A team console page: its h1, the hub banner, then the content (the sync state polled). */
export function Page({
  title,
  lead,
  children,
}: {
  title: string;
  lead?: ComponentChildren;
  children: ComponentChildren;
}) {
  useSyncPolling();
  return (
    <section class="page console-page">
      <h1>{title}</h1>
      <HubBanner />
      {lead ? <p class="lead">{lead}</p> : null}
      {children}
    </section>
  );
}

export { useReady } from "../live.ts";

export function ErrorBanner({ error }: { error: ApiError | unknown | undefined }) {
  if (!error) return null;
  return <Banner kind="error">{errorMessage(error)}</Banner>;
}

/** "Chargement…" while the first answer is awaited. */
export function Loading() {
  return <p class="loading">{t("app.loading")}</p>;
}

/** The fabrique's own space and its satellites (the team's spaces), and a name lookup. */
export function useTeamSpaces(includeClosed = false) {
  const fabriqueId = session.value?.fabriqueId ?? "";
  const query = useAgentQuery(SpacesQuery, { fabriqueId, includeClosed }, { skip: !fabriqueId });
  const spaces = query.data
    ? [...(query.data.fabrique ? [query.data.fabrique] : []), ...(query.data.satellites ?? [])]
    : [];
  const names = new Map(spaces.map((s) => [s.id, s.name]));
  return { ...query, spaces, names, fabriqueId };
}

/** The value of a datetime-local input (Paris wall clock) as an ISO instant. */
export { parisInstant } from "./week.ts";
