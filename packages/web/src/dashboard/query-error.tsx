import type { ApiError } from "../client/errors.ts";
import { t } from "../i18n/i18n.ts";
import { ErrorBanner } from "../ui/error-banner.tsx";

/**
 * A failed query: an error when nothing is shown yet, a warning when older figures stay on
 * screen (the hub restarting, the network dropping); both with a retry button. The error is
 * in words (errorMessage), never the API's or the browser's own message.
 */
export function QueryError({
  error,
  stale,
  retry,
}: {
  error: ApiError | undefined;
  stale: boolean;
  retry: () => void;
}) {
  if (!error) return null;
  const action = (
    <button type="button" class="secondary" onClick={retry}>
      {t("app.retry")}
    </button>
  );
  return (
    <ErrorBanner
      error={error}
      kind={stale ? "warning" : "error"}
      prefix={stale ? t("dashboard.staleFigures") : undefined}
      action={action}
    />
  );
}
