import { useEffect, useRef, useState } from "preact/hooks";
import { session } from "../../app/session.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDate, t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { SelectField, TextField } from "../../ui/field.tsx";
import { Loading } from "../../ui/loading.tsx";
import { addDays, parisDateTime, parisTime, todayInParis } from "../../ui/paris-date.ts";
import { useAgentQuery, useReady, useSubscription } from "../live.ts";
import {
  BookMutation,
  RequestBookingMutation,
  ResourceAvailabilityChangedSubscription,
} from "../queries.ts";
import { categoryLabel } from "../team/labels.ts";
import { PlaceHubBanner, SpacePicker, useSpaces } from "./common.tsx";
import { AvailabilityQuery, BookableResourcesQuery } from "./queries.ts";

type Resource = NonNullable<ResultOf<typeof BookableResourcesQuery>["networkResources"]>[number];

/** The resources offered: this node's own (its space's, then the fabrique's), then other nodes'. */
export function bookableResources(data: ResultOf<typeof BookableResourcesQuery>): Resource[] {
  const seen = new Set<string>();
  const out: Resource[] = [];
  for (const r of [
    ...(data.own ?? []),
    ...(data.fabrique ?? []),
    ...(data.networkResources ?? []),
  ]) {
    if (seen.has(r.id) || r.status !== "AVAILABLE") continue;
    seen.add(r.id);
    out.push(r);
  }
  return out;
}

const CATEGORIES = ["ROOM", "MACHINE", "DESK", "KIT", "VEHICLE", "OTHER"] as const;

function minutes(time: string): number {
  const [h, m] = time.split(":").map(Number) as [number, number];
  return h * 60 + m;
}

function SlotPicker({ resource, spaceId }: { resource: Resource; spaceId: string }) {
  const [day, setDay] = useState(todayInParis());
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView?.({ block: "start" });
  }, []);
  const slots = useAgentQuery(AvailabilityQuery, {
    resourceId: resource.id,
    from: parisDateTime(day, "00:00"),
    to: parisDateTime(addDays(day, 1), "00:00"),
  });
  // Another booking, a loan or maintenance changes the free slots: shown without a reload.
  useSubscription(
    ResourceAvailabilityChangedSubscription,
    { resourceId: resource.id },
    { next: () => void slots.refetch(), reconnected: () => void slots.refetch() },
  );
  useEffect(() => {
    setDone(undefined);
    setFailure(undefined);
  }, [resource.id, day]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(undefined);
    setFailure(undefined);
    if (
      !/^\d{2}:\d{2}$/.test(start) ||
      !/^\d{2}:\d{2}$/.test(end) ||
      minutes(end) <= minutes(start)
    ) {
      setFailure(t("places.book.rangeInvalid"));
      return;
    }
    const variables = {
      resourceId: resource.id,
      startsAt: parisDateTime(day, start),
      endsAt: parisDateTime(day, end),
      forSpaceId: spaceId,
    };
    setBusy(true);
    try {
      if (resource.owned) {
        await request(BookMutation, variables);
        setDone(
          t("places.book.booked", { name: resource.name, date: formatDate(day), start, end }),
        );
      } else {
        const result = await request(RequestBookingMutation, variables);
        setDone(
          t(
            result.requestBooking?.status === "CONFIRMED"
              ? "places.book.requestConfirmed"
              : "places.book.requestSent",
            { name: resource.name, date: formatDate(day), start, end },
          ),
        );
      }
      void slots.refetch();
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  const free = slots.data?.resourceAvailability ?? [];
  return (
    <section class="card slot-picker">
      <h2 id="slot-title" ref={heading} tabIndex={-1}>
        {t("places.book.slotTitle", { name: resource.name })}
      </h2>
      <p class="hint">
        {resource.owned ? t("places.book.localHint") : t("places.book.remoteHint")}
        {resource.approvalRequired ? ` ${t("places.book.approvalHint")}` : ""}
        {` ${t("places.book.rulesHint", { min: resource.rules.minMinutes, max: resource.rules.maxMinutes })}`}
      </p>
      <form onSubmit={submit} noValidate>
        <TextField
          label={t("places.book.day")}
          type="date"
          min={todayInParis()}
          value={day}
          required
          onInput={(e) => setDay((e.currentTarget as HTMLInputElement).value || todayInParis())}
        />
        <h3>{t("places.book.freeSlots")}</h3>
        <ErrorBanner error={slots.error} />
        {slots.data ? (
          free.length ? (
            <ul class="slots">
              {free.map((slot) => {
                const s = parisTime(new Date(slot.startsAt));
                const e =
                  parisTime(new Date(slot.endsAt)) === "00:00"
                    ? "24:00"
                    : parisTime(new Date(slot.endsAt));
                return (
                  <li key={slot.startsAt}>
                    <button
                      type="button"
                      class="secondary slot"
                      onClick={() => {
                        setStart(s);
                        setEnd(e === "24:00" ? "23:59" : e);
                      }}
                    >
                      <span class="visually-hidden">{t("places.book.useSlot")} </span>
                      {s} – {e}
                    </button>
                  </li>
                );
              })}
            </ul>
          ) : (
            <p>{t("places.book.noSlot")}</p>
          )
        ) : (
          <Loading />
        )}
        <div class="form-grid">
          <TextField
            label={t("places.book.start")}
            type="time"
            step={900}
            required
            value={start}
            onInput={(e) => setStart((e.currentTarget as HTMLInputElement).value)}
          />
          <TextField
            label={t("places.book.end")}
            type="time"
            step={900}
            required
            value={end}
            onInput={(e) => setEnd((e.currentTarget as HTMLInputElement).value)}
          />
        </div>
        <button type="submit" class="big" disabled={busy}>
          {resource.owned ? t("places.book.submitLocal") : t("places.book.submitRemote")}
        </button>
      </form>
      <div role="status">{done ? <p class="success-text">{done}</p> : null}</div>
      {failure ? <Banner kind="error">{failure}</Banner> : null}
    </section>
  );
}

export default function BookPage() {
  const { spaces, spaceId, setSpaceId, error: spacesError, loading } = useSpaces();
  const fabriqueId = session.value?.fabriqueId ?? spaceId ?? "";
  const resources = useAgentQuery(
    BookableResourcesQuery,
    { spaceId: spaceId ?? "", fabriqueId },
    { skip: !spaceId },
  );
  const [category, setCategory] = useState("");
  const [selected, setSelected] = useState<string | undefined>(undefined);
  useReady(Boolean(resources.data || resources.error || spacesError || (!loading && !spaceId)));

  const all = resources.data ? bookableResources(resources.data) : [];
  const list = category ? all.filter((r) => r.category === category) : all;
  const chosen = all.find((r) => r.id === selected);

  return (
    <section class="page places">
      <h1>{t("places.book")}</h1>
      <PlaceHubBanner />
      <SpacePicker spaces={spaces} spaceId={spaceId} onChange={setSpaceId} />
      <ErrorBanner error={spacesError} />
      <ErrorBanner error={resources.error} />
      <div class={`book-layout${chosen ? " with-picker" : ""}`}>
        {chosen && spaceId ? (
          <SlotPicker key={chosen.id} resource={chosen} spaceId={spaceId} />
        ) : null}
        <section>
          <h2 id="resources-title">{t("places.book.resources")}</h2>
          <SelectField
            label={t("places.book.category")}
            value={category}
            options={[
              { value: "", label: t("places.book.allCategories") },
              ...CATEGORIES.map((c) => ({ value: c, label: categoryLabel(c) })),
            ]}
            onChange={(e) => setCategory((e.currentTarget as HTMLSelectElement).value)}
          />
          {resources.data ? (
            list.length ? (
              <ul class="resource-list">
                {list.map((r) => (
                  <li key={r.id} class={`card resource${r.id === selected ? " selected" : ""}`}>
                    <h3>{r.name}</h3>
                    <p class="hint">
                      {categoryLabel(r.category)}
                      {" · "}
                      {r.owned
                        ? (r.space?.name ?? t("places.book.ourNetwork"))
                        : t("places.book.otherNode")}
                      {r.approvalRequired ? ` · ${t("places.book.approval")}` : ""}
                    </p>
                    {r.description ? <p>{r.description}</p> : null}
                    <button
                      type="button"
                      class="big"
                      aria-pressed={r.id === selected}
                      aria-label={t("places.book.chooseOf", { name: r.name })}
                      onClick={() => setSelected(r.id)}
                    >
                      {t("places.book.choose")}
                    </button>
                  </li>
                ))}
              </ul>
            ) : (
              <p>{t("places.book.none")}</p>
            )
          ) : (
            <Loading />
          )}
        </section>
      </div>
    </section>
  );
}
