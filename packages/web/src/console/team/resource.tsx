import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { RouteProps } from "../../app/route-types.ts";
import { Link } from "../../app/router.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDate, formatDateTime, t } from "../../i18n/i18n.ts";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { SelectField } from "../../ui/field.tsx";
import { addDays, parisDay } from "../../ui/paris-date.ts";
import { useAgentQuery, useReady, useSubscription } from "../live.ts";
import {
  BookMutation,
  CancelBookingMutation,
  CheckInLoanMutation,
  CheckOutLoanMutation,
  LendMutation,
  ResourceAvailabilityChangedSubscription,
  ResourceQuery,
} from "../queries.ts";
import { bookingStatusLabel, categoryLabel, loanStatusLabel } from "./labels.ts";
import {
  Loading,
  type Notice,
  NoticeBanner,
  Page,
  SlotFields,
  slotOf,
  useMembers,
  useTeamSpaces,
} from "./parts.tsx";
import { useTeamResources } from "./resources.tsx";
import { mondayOf, weekDays } from "./week.ts";
import { type CalendarEntry, WeekCalendar } from "./week-calendar.tsx";

type Booking = NonNullable<ResultOf<typeof ResourceQuery>["bookings"]>[number];
type Loan = NonNullable<ResultOf<typeof ResourceQuery>["loans"]>[number];
type Entry = CalendarEntry & { booking: Booking; loan: Loan | undefined };

export default function ResourcePage({ params }: RouteProps) {
  const id = params.id ?? "";
  const spaces = useTeamSpaces();
  const resources = useTeamResources(spaces.spaces.map((s) => s.id));
  const data = useAgentQuery(ResourceQuery, { id });
  const [week, setWeek] = useState(() => mondayOf(parisDay(new Date())));
  const [selected, setSelected] = useState<string | undefined>();
  const [notice, setNotice] = useState<Notice>();
  // Every booking and loan change of the resource is announced here too (the agent publishes
  // its availability with each: node-agent modules/resources/live.ts), as are maintenance and
  // replicas' bookings: one subscription, one refetch.
  useSubscription(
    ResourceAvailabilityChangedSubscription,
    { resourceId: id },
    { next: () => void data.refetch(), reconnected: () => void data.refetch() },
  );
  useReady(Boolean((data.data || data.error) && (resources || spaces.error)));

  const resource =
    resources && "rows" in resources ? resources.rows.find((r) => r.id === id) : undefined;
  const days = weekDays(week);
  const loans = new Map((data.data?.loans ?? []).map((l) => [l.id, l]));
  const entries: Entry[] = (data.data?.bookings ?? [])
    .filter((b) => b.status === "CONFIRMED")
    .map((b) => {
      const loan = b.kind === "LOAN" ? loans.get(b.id) : undefined;
      const whom = b.forSpaceId
        ? (spaces.names.get(b.forSpaceId) ?? t("console.booking.otherSpace"))
        : t("console.booking.forMember");
      return {
        id: b.id,
        startsAt: b.startsAt,
        endsAt: b.endsAt,
        label: b.kind === "LOAN" ? t("console.kind.LOAN") : t("console.kind.BOOKING"),
        detail: loan
          ? `${whom} · ${loanStatusLabel(loan.status)}${loan.overdue ? ` · ${t("console.loan.overdue")}` : ""}`
          : whom,
        tone: b.kind === "LOAN" ? "loan" : "booking",
        booking: b,
        loan,
      };
    });
  const chosen = entries.find((e) => e.id === selected);

  const act = async (run: () => Promise<unknown>, done: string) => {
    try {
      await run();
      setNotice({ kind: "success", text: done });
      await data.refetch();
    } catch (e) {
      setNotice({ kind: "error", text: errorMessage(e) });
    }
  };

  const title = resource
    ? t("console.resource.title", { name: resource.name })
    : t("console.resource.titleUnknown");
  const weekLabel = t("console.week.range", {
    from: formatDate(days[0]?.day ?? week),
    to: formatDate(days[6]?.day ?? week),
  });

  return (
    <Page title={title}>
      <p>
        <Link to="/resources">{t("console.resource.back")}</Link>
      </p>
      {resource ? (
        <p class="lead">
          {categoryLabel(resource.category)} — {spaces.names.get(resource.spaceId) ?? ""}
          {resource.movable ? ` — ${t("console.resource.movable")}` : ""}
          {resource.approvalRequired ? ` — ${t("console.resource.approval")}` : ""}
        </p>
      ) : null}
      <NoticeBanner notice={notice} />
      <ErrorBanner error={data.error} />
      <section aria-labelledby="week-title">
        <h2 id="week-title">{t("console.week.title")}</h2>
        <fieldset class="week-nav plain-fieldset">
          <legend class="visually-hidden">{t("console.week.nav")}</legend>
          <button type="button" class="secondary" onClick={() => setWeek(addDays(week, -7))}>
            {t("console.week.previous")}
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => setWeek(mondayOf(parisDay(new Date())))}
          >
            {t("console.week.current")}
          </button>
          <button type="button" class="secondary" onClick={() => setWeek(addDays(week, 7))}>
            {t("console.week.next")}
          </button>
          <span class="week-range" aria-live="polite">
            {weekLabel}
          </span>
        </fieldset>
        {!data.data ? (
          <Loading failed={data.error} />
        ) : (
          <WeekCalendar
            caption={t("console.week.caption", { name: resource?.name ?? "", range: weekLabel })}
            days={days}
            entries={entries}
            selectedId={selected}
            onSelect={(e) => setSelected(e.id === selected ? undefined : e.id)}
          />
        )}
        {chosen ? (
          <section class="card entry-detail" aria-labelledby="entry-title">
            <h3 id="entry-title">{chosen.label}</h3>
            <p>
              {formatDateTime(chosen.startsAt)} → {formatDateTime(chosen.endsAt)} — {chosen.detail}{" "}
              — {bookingStatusLabel(chosen.booking.status)}
            </p>
            <div class="actions">
              {chosen.loan?.status === "CONFIRMED" ? (
                <button
                  type="button"
                  onClick={() =>
                    void act(
                      () => request(CheckOutLoanMutation, { id: chosen.id }),
                      t("console.loan.checkedOut"),
                    )
                  }
                >
                  {t("console.loan.checkOut")}
                </button>
              ) : null}
              {chosen.loan?.status === "CHECKED_OUT" ? (
                <button
                  type="button"
                  onClick={() =>
                    void act(
                      () => request(CheckInLoanMutation, { id: chosen.id }),
                      t("console.loan.checkedIn"),
                    )
                  }
                >
                  {t("console.loan.checkIn")}
                </button>
              ) : null}
              {chosen.booking.status === "CONFIRMED" &&
              chosen.loan?.status !== "CHECKED_OUT" &&
              chosen.loan?.status !== "RETURNED" ? (
                <button
                  type="button"
                  class="secondary"
                  onClick={() => {
                    if (!window.confirm(t("console.booking.cancelConfirm"))) return;
                    void act(
                      () => request(CancelBookingMutation, { id: chosen.id }),
                      t("console.booking.cancelled"),
                    );
                  }}
                >
                  {chosen.loan ? t("console.loan.cancel") : t("console.booking.cancel")}
                </button>
              ) : null}
            </div>
          </section>
        ) : null}
      </section>

      {resource ? (
        <div class="two-columns">
          <BookForm
            resourceId={id}
            spaces={spaces.spaces.filter((s) => s.status === "OPEN")}
            onDone={(text, ok) => {
              setNotice({ kind: ok ? "success" : "error", text });
              if (ok) void data.refetch();
            }}
          />
          {resource.movable ? (
            <LendForm
              resourceId={id}
              spaces={spaces.spaces.filter((s) => s.status === "OPEN")}
              onDone={(text, ok) => {
                setNotice({ kind: ok ? "success" : "error", text });
                if (ok) void data.refetch();
              }}
            />
          ) : null}
        </div>
      ) : null}
    </Page>
  );
}

/**
 * The members homed at the team's spaces, by name, as choices (this is their home node: name,
 * e-mail and home place may be shown; two namesakes are told apart by their e-mail).
 */
function memberOptions(
  members: ReturnType<typeof useMembers>,
  spaces: readonly { id: string; name: string }[],
): { value: string; label: string }[] {
  if (!members || !("rows" in members)) return [];
  const names = new Map(spaces.map((s) => [s.id, s.name]));
  return members.rows
    .map((m) => {
      const name = m.displayName ?? t("console.members.unnamed");
      const where = names.get(m.homeSpaceId);
      const details = [m.email, spaces.length > 1 ? where : undefined].filter(Boolean).join(", ");
      return { value: m.id, label: details ? `${name} (${details})` : name };
    })
    .sort((a, b) => a.label.localeCompare(b.label, "fr"));
}

/**
 * A slot of the resource for someone (the book and lend forms): start, end, the form's own
 * fields, then `send` with the slot as instants; the outcome goes to `onDone`.
 */
function SlotForm({
  id,
  title,
  submit,
  done,
  send,
  onDone,
  children,
}: {
  id: string;
  title: string;
  submit: string;
  done: string;
  send(slot: { startsAt: string; endsAt: string }, form: FormData): Promise<unknown>;
  onDone(text: string, ok: boolean): void;
  children: ComponentChildren;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const formEl = event.currentTarget;
          const form = new FormData(formEl);
          setBusy(true);
          try {
            await send(slotOf(form), form);
            formEl.reset();
            onDone(done, true);
          } catch (e) {
            onDone(errorMessage(e), false);
          } finally {
            setBusy(false);
          }
        }}
      >
        <SlotFields />
        {children}
        <button type="submit" disabled={busy}>
          {submit}
        </button>
      </form>
    </section>
  );
}

interface SlotFormProps {
  resourceId: string;
  spaces: readonly { id: string; name: string }[];
  onDone(text: string, ok: boolean): void;
}

function BookForm({ resourceId, spaces, onDone }: SlotFormProps) {
  const members = useMembers(
    spaces.map((s) => s.id),
    0,
  );
  return (
    <SlotForm
      id="book-title"
      title={t("console.book.title")}
      submit={t("console.book.submit")}
      done={t("console.book.done")}
      onDone={onDone}
      send={(slot, form) => {
        const member = String(form.get("forMemberId") ?? "").trim();
        return request(BookMutation, {
          resourceId,
          ...slot,
          forMemberId: member || undefined,
          forSpaceId: member ? undefined : String(form.get("forSpaceId")),
        });
      }}
    >
      <SelectField
        label={t("console.book.forSpace")}
        name="forSpaceId"
        options={spaces.map((s) => ({ value: s.id, label: s.name }))}
      />
      <SelectField
        label={t("console.book.forMember")}
        hint={t("console.book.forMemberHint")}
        name="forMemberId"
        options={[
          { value: "", label: t("console.book.forMemberNone") },
          ...memberOptions(members, spaces),
        ]}
      />
      {members && "error" in members ? (
        <p class="hint">{t("console.book.membersUnavailable")}</p>
      ) : null}
    </SlotForm>
  );
}

function LendForm({ resourceId, spaces, onDone }: SlotFormProps) {
  return (
    <SlotForm
      id="lend-title"
      title={t("console.lend.title")}
      submit={t("console.lend.submit")}
      done={t("console.lend.done")}
      onDone={onDone}
      send={(slot, form) =>
        request(LendMutation, { resourceId, ...slot, toSpaceId: String(form.get("toSpaceId")) })
      }
    >
      <SelectField
        label={t("console.lend.toSpace")}
        name="toSpaceId"
        required
        options={spaces.map((s) => ({ value: s.id, label: s.name }))}
      />
    </SlotForm>
  );
}
