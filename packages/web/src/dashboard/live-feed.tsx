import { t } from "../i18n/i18n.ts";
import { type Column, DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { eventKindLabel, livenessLabel } from "./labels.ts";
import { liveEvents, liveOpen, type NetworkEvent } from "./live.ts";
import { FabriquesQuery, GeographyQuery } from "./queries.ts";
import { useQuery } from "./use-query.ts";

/** The fabriques' names by id (events carry the territory's raw id). */
export function useFabriqueNames(): Map<string, string> {
  const { data } = useQuery(FabriquesQuery, {}, { refreshOn: (e) => e.kind.startsWith("SPACE_") });
  return new Map((data?.fabriques ?? []).map((f) => [f.id, f.name]));
}

/** Region and department names by code (events carry the codes), from the API's geography. */
export function useGeographyNames(): {
  region: Map<string, string>;
  department: Map<string, string>;
} {
  const { data } = useQuery(GeographyQuery, {}, { refreshOn: (e) => e.kind === "SPACE_CREATED" });
  const regions = data?.regions ?? [];
  return {
    region: new Map(regions.map((r) => [r.code, r.name])),
    department: new Map(
      regions.flatMap((r) => r.departments.map((d) => [d.code, d.name] as const)),
    ),
  };
}

/** One line saying what happened. */
export function describeEvent(event: NetworkEvent, names: Map<string, string>): string {
  const territory = names.get(event.fabriqueId) ?? t("dashboard.unknownTerritory");
  const place = event.spaceName ?? territory;
  switch (event.kind) {
    case "ACTIVITY":
      return t("dashboard.event.ACTIVITY", { place, reports: event.reports ?? 1 });
    case "MOBILITY":
      return t("dashboard.event.MOBILITY", { territory, visits: event.visits ?? 0 });
    case "NODE_STATUS":
      return t("dashboard.event.NODE_STATUS", {
        territory,
        state: livenessLabel(event.liveness ?? "?").toLocaleLowerCase(),
      });
    case "SPACE_CREATED":
      return t("dashboard.event.SPACE_CREATED", { place });
    case "SPACE_UPDATED":
      return t("dashboard.event.SPACE_UPDATED", { place });
    case "SPACE_CLOSED":
      return t("dashboard.event.SPACE_CLOSED", { place });
    default:
      return t("dashboard.event.other", { territory, kind: eventKindLabel(event.kind) });
  }
}

/** Whether the live feed is connected, as a polite status line. */
export function LiveStatus() {
  const open = liveOpen.value;
  return (
    <p class={`live-status ${open ? "live-on" : "live-off"}`} role="status">
      {open === undefined
        ? t("dashboard.liveConnecting")
        : open
          ? t("dashboard.liveOn")
          : t("app.liveReconnecting")}
    </p>
  );
}

/** The last events as a list (newest first), announced politely as they arrive. */
export function LiveFeed({ limit = 8 }: { limit?: number }) {
  const names = useFabriqueNames();
  const events = liveEvents.value.slice(0, limit);
  return (
    <section aria-labelledby="feed-h" class="card live-feed">
      <h2 id="feed-h">{t("dashboard.live")}</h2>
      <LiveStatus />
      {events.length === 0 ? (
        <p>{t("dashboard.noEventYet")}</p>
      ) : (
        <ol class="feed" aria-label={t("dashboard.liveList")} aria-live="polite">
          {events.map((e) => (
            <li key={e.cursor}>
              <time dateTime={e.at}>{formatDateTime(e.at)}</time>
              {describeEvent(e, names)}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The feed as a table (CSV). */
export function LiveTable() {
  const names = useFabriqueNames();
  const geography = useGeographyNames();
  const named = (map: Map<string, string>, code: string | null | undefined) =>
    code ? (map.get(code) ?? code) : "";
  const columns: Column<NetworkEvent>[] = [
    {
      key: "at",
      label: t("dashboard.at"),
      value: (e) => e.at,
      render: (e) => formatDateTime(e.at),
    },
    { key: "kind", label: t("dashboard.kind"), value: (e) => eventKindLabel(e.kind) },
    { key: "what", label: t("dashboard.what"), value: (e) => describeEvent(e, names) },
    {
      key: "territory",
      label: t("dashboard.territory"),
      value: (e) => names.get(e.fabriqueId) ?? e.fabriqueId,
    },
    {
      key: "region",
      label: t("dashboard.region"),
      value: (e) => named(geography.region, e.regionCode),
    },
    {
      key: "department",
      label: t("dashboard.department"),
      value: (e) => named(geography.department, e.departmentCode),
    },
  ];
  return (
    <DataTable
      caption={t("dashboard.liveTable")}
      columns={columns}
      rows={liveEvents.value}
      csvName="fil-en-direct"
      rowKey={(e) => e.cursor}
    />
  );
}
