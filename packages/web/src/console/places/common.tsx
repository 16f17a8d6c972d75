import { useState } from "preact/hooks";
import { session } from "../../app/session.ts";
import { connectionLost } from "../../app/status.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import type { ApiError } from "../../client/http.ts";
import { t } from "../../i18n/i18n.ts";
import { SelectField } from "../../ui/field.tsx";
import { useAgentQuery } from "../live.ts";
import { HubBanner } from "../team/hub-banner.tsx";
import { PlacesSpacesQuery } from "./queries.ts";
import "./places.css";

/** A fresh random key (idempotency); crypto.randomUUID needs a secure context, so not it. */
export function randomKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export type PlaceSpace = NonNullable<ResultOf<typeof PlacesSpacesQuery>["home"]>;

const SPACE_KEY = "maillage.places.space";

/**
 * The spaces the signed-in team or satellite acts for, and the one chosen: a satellite its own
 * space; the team its fabrique and open satellites (choice kept in localStorage).
 */
export function useSpaces(): {
  spaces: PlaceSpace[];
  spaceId: string | undefined;
  setSpaceId(id: string): void;
  error: ApiError | undefined;
  loading: boolean;
} {
  const s = session.value;
  const home = (s?.role === "SATELLITE" ? s.spaceId : s?.fabriqueId) ?? "";
  const query = useAgentQuery(PlacesSpacesQuery, { home }, { skip: !home });
  const [chosen, setChosen] = useState<string | undefined>(() => {
    try {
      return localStorage.getItem(SPACE_KEY) ?? undefined;
    } catch {
      return undefined;
    }
  });
  const spaces: PlaceSpace[] = [];
  const seen = new Set<string>();
  for (const space of [query.data?.home, ...(query.data?.satellites ?? [])]) {
    if (!space || seen.has(space.id) || space.status !== "OPEN") continue;
    if (s?.role === "SATELLITE" && space.id !== s.spaceId) continue;
    seen.add(space.id);
    spaces.push(space);
  }
  if (s?.role === "SATELLITE" && s.spaceId && spaces.length === 0 && !query.loading) {
    spaces.push({ id: s.spaceId, name: s.spaceId, kind: "SATELLITE", status: "OPEN" });
  }
  const spaceId = spaces.some((x) => x.id === chosen) ? chosen : spaces[0]?.id;
  return {
    spaces,
    spaceId,
    setSpaceId: (id) => {
      setChosen(id);
      try {
        localStorage.setItem(SPACE_KEY, id);
      } catch {
        // private mode
      }
    },
    error: query.error,
    loading: query.loading,
  };
}

/** The space chooser of the team (a satellite has one space: its name, no chooser). */
export function SpacePicker({
  spaces,
  spaceId,
  onChange,
}: {
  spaces: readonly PlaceSpace[];
  spaceId: string | undefined;
  onChange(id: string): void;
}) {
  if (spaces.length <= 1) {
    const only = spaces[0];
    return only ? (
      <p class="place-current">
        {t("places.spaceLabel")} : <strong>{only.name}</strong>
      </p>
    ) : null;
  }
  return (
    <div class="place-picker">
      <SelectField
        label={t("places.spaceLabel")}
        value={spaceId}
        options={spaces.map((x) => ({ value: x.id, label: x.name }))}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}
      />
    </div>
  );
}

/** "14:05" in Paris time. */
export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : "fr-FR", {
    timeStyle: "short",
    timeZone: "Europe/Paris",
  }).format(new Date(iso));
}

/** A live stream's state, in words (role=status). */
export function LiveState({ open }: { open: boolean | undefined }) {
  if (open === undefined) return null;
  return (
    <p class={`live-status ${open ? "live-on" : "live-off"}`} role="status">
      {open ? t("places.liveOn") : t("places.liveOff")}
    </p>
  );
}

/** The "hub unreachable" notice (console/team/hub-banner.tsx), for every role. */
export const PlaceHubBanner = HubBanner;

/**
 * A live stream's open/closed state, for a page's LiveState and the shell's "connection lost"
 * banner (the stream is to this agent: when it drops, the agent is out of reach).
 */
export function trackConnection(setLive?: (open: boolean) => void): (open: boolean) => void {
  return (open) => {
    setLive?.(open);
    connectionLost.value = !open;
  };
}

/** Stops a live stream and clears the "connection lost" state it may have set. */
export function releaseConnection(stop: () => void): () => void {
  return () => {
    stop();
    connectionLost.value = false;
  };
}
