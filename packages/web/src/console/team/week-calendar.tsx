import type { ComponentChildren } from "preact";
import { lang, t } from "../../i18n/i18n.ts";
import { type Placed, placeInWeek, type Span, type WeekDay } from "./week.ts";

export interface CalendarEntry extends Span {
  id: string;
  /** What the entry is, in words ("Réservation", "Prêt"). */
  label: string;
  /** More words after the time (for whom, its state). */
  detail?: string;
  /** A CSS modifier: booking, loan, cancelled… */
  tone?: string;
}

/** "lundi 7 décembre": the day's name (a calendar date, so formatted in UTC). */
function dayName(d: WeekDay): string {
  return new Intl.DateTimeFormat(lang.value === "en" ? "en-GB" : "fr-FR", {
    weekday: "long",
    day: "numeric",
    month: "long",
    timeZone: "UTC",
  }).format(new Date(`${d.day}T00:00:00Z`));
}

/**
 * A week as a table: seven columns Monday → Sunday (Paris days), one cell per day listing its
 * entries as buttons (keyboard reachable, named with day and time). Today's column is marked.
 * Below 700px the CSS lays the days out as a list.
 */
export function WeekCalendar<T extends CalendarEntry>({
  caption,
  days,
  entries,
  selectedId,
  onSelect,
  footer,
}: {
  caption: string;
  days: readonly WeekDay[];
  entries: readonly T[];
  selectedId?: string | undefined;
  onSelect(entry: T): void;
  footer?: ComponentChildren;
}) {
  void lang.value; // re-render on a language change
  const placed = placeInWeek(entries, days);
  return (
    <div class="week-calendar">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {days.map((d) => (
              <th
                key={d.day}
                scope="col"
                id={`day-${d.day}`}
                class={d.isToday ? "today" : undefined}
                aria-current={d.isToday ? "date" : undefined}
              >
                {dayName(d)}
                {d.isToday ? <span class="today-mark"> ({t("console.week.today")})</span> : null}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            {days.map((d, i) => (
              <td
                key={d.day}
                headers={`day-${d.day}`}
                class={d.isToday ? "today" : undefined}
                data-day={d.day}
              >
                <span class="day-label" aria-hidden="true">
                  {dayName(d)}
                  {d.isToday ? ` (${t("console.week.today")})` : ""}
                </span>
                <DayEntries
                  day={d}
                  entries={placed[i] ?? []}
                  selectedId={selectedId}
                  onSelect={onSelect}
                />
              </td>
            ))}
          </tr>
        </tbody>
      </table>
      {footer}
    </div>
  );
}

function DayEntries<T extends CalendarEntry>({
  day,
  entries,
  selectedId,
  onSelect,
}: {
  day: WeekDay;
  entries: readonly Placed<T>[];
  selectedId?: string | undefined;
  onSelect(entry: T): void;
}) {
  if (entries.length === 0) return <p class="week-empty">{t("console.week.free")}</p>;
  return (
    <ul class="week-entries">
      {entries.map((p) => {
        const time = `${p.from}–${p.to}`;
        return (
          <li key={p.item.id}>
            <button
              type="button"
              class={`week-entry ${p.item.tone ?? ""}`}
              aria-pressed={selectedId === p.item.id}
              onClick={() => onSelect(p.item)}
            >
              <span class="week-time">
                {p.continued ? "… " : ""}
                {time}
                {p.continues ? " …" : ""}
              </span>
              <span class="week-label">{p.item.label}</span>
              {p.item.detail ? <span class="week-detail">{p.item.detail}</span> : null}
              <span class="visually-hidden">, {dayName(day)}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
