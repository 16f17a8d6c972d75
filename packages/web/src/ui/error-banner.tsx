import type { ComponentChildren } from "preact";
import { errorDetails, errorMessage } from "../client/errors.ts";
import { Banner } from "./banner.tsx";

/**
 * An error for users: errorMessage(error) in words (role=alert), the code and raw message in
 * the tooltip for support. `prefix` comes before the sentence (e.g. "figures not refreshed").
 */
export function ErrorBanner({
  error,
  kind = "error",
  prefix,
  action,
}: {
  error: unknown;
  kind?: "error" | "warning";
  prefix?: string;
  action?: ComponentChildren;
}) {
  if (error == null) return null;
  const text = errorMessage(error);
  return (
    <Banner kind={kind} action={action} title={errorDetails(error)}>
      {prefix ? `${prefix} ${text}` : text}
    </Banner>
  );
}
