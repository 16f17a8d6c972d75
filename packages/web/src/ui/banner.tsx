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
}: {
  kind?: BannerKind;
  children: ComponentChildren;
  action?: ComponentChildren;
}) {
  return (
    <div
      class={`banner banner-${kind}`}
      role={kind === "error" || kind === "warning" ? "alert" : "status"}
    >
      <span>{children}</span>
      {action}
    </div>
  );
}
