import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { session } from "../../app/session.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { TextField } from "../../ui/field.tsx";
import { parisInstant } from "../../ui/paris-date.ts";
import { useAgentQuery, useSyncPolling } from "../live.ts";
import { MembersQuery, SpacesQuery } from "../queries.ts";
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

export { Loading } from "../../ui/loading.tsx";

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

export type Member = NonNullable<ResultOf<typeof MembersQuery>["members"]>[number];

/** The members homed at the given spaces (one query per space). */
export function useMembers(spaceIds: readonly string[], version: number) {
  const [state, setState] = useState<{ rows: Member[] } | { error: unknown } | undefined>();
  const key = spaceIds.join(",");
  useEffect(() => {
    if (!key) return;
    let live = true;
    Promise.all(
      key
        .split(",")
        .map((spaceId) => request(MembersQuery, { spaceId }).then((r) => r.members ?? [])),
    )
      .then((lists) => live && setState({ rows: lists.flat() }))
      .catch((error: unknown) => live && setState({ error }));
    return () => {
      live = false;
    };
  }, [key, version]);
  return state;
}

/** The outcome of a page's last action (a success or an error sentence). */
export type Notice = { kind: "success" | "error"; text: string } | undefined;

/** A page's last outcome, announced politely (the region stays, so it is always read). */
export function NoticeBanner({ notice }: { notice: Notice }) {
  return (
    <div aria-live="polite">
      {notice ? <Banner kind={notice.kind}>{notice.text}</Banner> : null}
    </div>
  );
}

/**
 * A folded form (details.form-panel) sending one submission at a time: `submit` runs the
 * request; when it resolves the form is reset and the callback it returned (if any) is called,
 * when it throws its message is shown above the button.
 */
export function FormPanel({
  summary,
  submitLabel,
  submit,
  children,
}: {
  summary: string;
  submitLabel: string;
  submit(form: FormData): Promise<(() => void) | undefined>;
  children: ComponentChildren;
}) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <details class="form-panel">
      <summary>{summary}</summary>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const formEl = event.currentTarget;
          const form = new FormData(formEl);
          setBusy(true);
          setError(undefined);
          try {
            const done = await submit(form);
            formEl.reset();
            done?.();
          } catch (e) {
            setError(errorMessage(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {children}
        {error ? <Banner kind="error">{error}</Banner> : null}
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
      </form>
    </details>
  );
}

/** A slot's start and end (local date and time), named startsAt and endsAt in the form. */
export function SlotFields() {
  return (
    <>
      <TextField
        label={t("console.form.startsAt")}
        name="startsAt"
        type="datetime-local"
        required
      />
      <TextField label={t("console.form.endsAt")} name="endsAt" type="datetime-local" required />
    </>
  );
}

/** "2026-12-07T09:30" (a datetime-local value, Paris wall clock) → ISO instant. */
function localToIso(value: string): string {
  const [day = "", time = "00:00"] = value.split("T");
  return parisInstant(day, time).toISOString();
}

/** The SlotFields' start and end as ISO instants. */
export function slotOf(form: FormData): { startsAt: string; endsAt: string } {
  return {
    startsAt: localToIso(String(form.get("startsAt"))),
    endsAt: localToIso(String(form.get("endsAt"))),
  };
}
