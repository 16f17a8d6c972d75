import type { ComponentChildren, JSX } from "preact";
import { useId } from "preact/hooks";
import { t } from "../i18n/i18n.ts";

interface FieldFrame {
  label: ComponentChildren;
  /** Help under the label. */
  hint?: ComponentChildren;
  /** The error to show (the input is marked aria-invalid). */
  error?: string | null | undefined;
  required?: boolean;
}

function describedBy(hintId: string, errorId: string, hint: unknown, error: unknown) {
  const ids = [hint ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ");
  return ids || undefined;
}

function Frame({
  id,
  label,
  hint,
  error,
  required,
  children,
}: FieldFrame & { id: string; children: ComponentChildren }) {
  return (
    <div class={`field${error ? " field-invalid" : ""}`}>
      <label for={id}>
        {label}
        {required ? <span class="field-required"> ({t("field.required")})</span> : null}
      </label>
      {hint ? (
        <div class="field-hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {children}
      {error ? (
        <div class="field-error" id={`${id}-error`}>
          {error}
        </div>
      ) : null}
    </div>
  );
}

type InputProps = FieldFrame & Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "label">;

/** A labelled input; its hint and error are tied to it with aria-describedby. */
export function TextField({ label, hint, error, required, id: givenId, ...input }: InputProps) {
  const auto = useId();
  const id = (givenId as string | undefined) ?? `f${auto}`;
  return (
    <Frame id={id} label={label} hint={hint} error={error} required={required}>
      <input
        {...input}
        id={id}
        required={required}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy(`${id}-hint`, `${id}-error`, hint, error)}
      />
    </Frame>
  );
}

type TextAreaProps = FieldFrame & Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, "label">;

export function TextAreaField({
  label,
  hint,
  error,
  required,
  id: givenId,
  ...area
}: TextAreaProps) {
  const auto = useId();
  const id = (givenId as string | undefined) ?? `f${auto}`;
  return (
    <Frame id={id} label={label} hint={hint} error={error} required={required}>
      <textarea
        {...area}
        id={id}
        required={required}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy(`${id}-hint`, `${id}-error`, hint, error)}
      />
    </Frame>
  );
}

export interface SelectOption {
  value: string;
  label: string;
}

type SelectProps = FieldFrame &
  Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, "label"> & { options: readonly SelectOption[] };

export function SelectField({
  label,
  hint,
  error,
  required,
  options,
  id: givenId,
  ...select
}: SelectProps) {
  const auto = useId();
  const id = (givenId as string | undefined) ?? `f${auto}`;
  return (
    <Frame id={id} label={label} hint={hint} error={error} required={required}>
      <select
        {...select}
        id={id}
        required={required}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy(`${id}-hint`, `${id}-error`, hint, error)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Frame>
  );
}
