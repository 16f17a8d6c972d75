import type { ComponentChildren } from "preact";

type BannerKind = "info" | "success" | "warning" | "error";

/**
 * A status message: role=status (polite) for info and success, role=alert for warnings and
 * errors. Keep it mounted and change its children so screen readers announce the change.
 */
export function Banner({
  kind = "info",
  children,
  action,
  title,
}: {
  kind?: BannerKind;
  children: ComponentChildren;
  action?: ComponentChildren;
  /** A tooltip, e.g. an error's code and raw message for support (errorDetails). */
  title?: string;
}) {
  return (
    <div
      class={`banner banner-${kind}`}
      role={kind === "error" || kind === "warning" ? "alert" : "status"}
      title={title}
    >
      <span>{children}</span>
      {action}
    </div>
  );
}
