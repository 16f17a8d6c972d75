import type { ApiError } from "../client/errors.ts";
import { t } from "../i18n/i18n.ts";
import { Banner } from "../ui/banner.tsx";

/**
 * A failed query: an error when nothing is shown yet, a warning when older figures stay on
 * screen (the hub restarting, the network dropping); both with a retry button.
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
  return stale ? (
    <Banner kind="warning" action={action}>
      {t("dashboard.staleFigures", { message: error.message })}
    </Banner>
  ) : (
    <Banner kind="error" action={action}>
      {t("app.error", { message: error.message })}
    </Banner>
  );
}
