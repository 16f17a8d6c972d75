import type { ErrorCode } from "../../../schema/src/errors.ts";
import { fr, type I18nKey, t } from "../i18n/i18n.ts";

/**
 * A failed GraphQL call: `code` is the first error's `extensions.code` (the API's documented
 * codes, packages/schema/src/errors.ts), "NETWORK" when the server could not be reached,
 * "HTTP_<status>" when it answered without a GraphQL body. `message` is for support only
 * (the API's English text, or a technical note): show users `errorMessage(error)`.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: string,
    message: string,
    /** The input field the error is about, when the API names one (`extensions.field`). */
    readonly field?: string,
    /** Every error of the response, for forms showing several (e.g. importActivity's lines). */
    readonly errors: readonly GraphQLErrorBody[] = [],
  ) {
    super(message);
  }
}

export interface GraphQLErrorBody {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

/** The ApiError of a GraphQL response's `errors`. */
export function apiErrorOf(errors: readonly GraphQLErrorBody[]): ApiError {
  const first = errors[0];
  return new ApiError(
    first?.extensions?.code ?? "INTERNAL_SERVER_ERROR",
    first?.message ?? "",
    first?.extensions?.field,
    errors,
  );
}

/** Any thrown value as an ApiError (a fetch TypeError is NETWORK, anything else unexpected). */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof TypeError && /fetch|network/i.test(error.message)) {
    return new ApiError("NETWORK", error.message);
  }
  return new ApiError("UNEXPECTED", error instanceof Error ? error.message : String(error));
}

// Compile-time check: every documented code (packages/schema/src/errors.ts) has a message.
type MissingMessages = Exclude<`error.${ErrorCode}`, I18nKey>;
const _everyCodeHasAMessage: [MissingMessages] extends [never] ? true : MissingMessages = true;

function known(key: string): key is I18nKey {
  return Object.hasOwn(fr, key);
}

/** The name of an input field in words ("input.startsAt" → « début »), else the path as sent. */
export function fieldLabel(field: string): string {
  const last =
    field
      .split(/[.[\]]/)
      .filter(Boolean)
      .at(-1) ?? field;
  const key = `errorField.${last}`;
  return known(key) ? t(key) : field;
}

/**
 * Any error (an ApiError, a fetch failure, anything thrown) as a sentence for users, in the
 * interface language (`lang`: French, else English). Never the API's own (English) message:
 * - each documented code (docs/errors.md) has its own sentence (`error.<CODE>` in common.*.ts);
 * - BAD_USER_INPUT with `extensions.field` names the field (« vérifiez le champ « fin » »);
 * - BOOKING_RULE_VIOLATION uses `extensions.reason`, CREDENTIAL_REQUIRED and
 *   PREREQUISITE_MISSING `extensions.credential`;
 * - NETWORK (server unreachable), HTTP_<status> (an answer without GraphQL body);
 * - any other code: a generic sentence naming the code.
 * For support, `errorDetails(error)` gives the code and raw message (e.g. in a `title`).
 */
export function errorMessage(error: unknown): string {
  const e = asApiError(error);
  const ext = e.errors[0]?.extensions ?? {};
  const extra = (name: string) =>
    typeof ext[name] === "string" ? (ext[name] as string) : undefined;
  switch (e.code) {
    case "UNEXPECTED":
      return t("error.unexpected");
    case "BAD_USER_INPUT": {
      const field = e.field ?? extra("field");
      return field
        ? t("error.BAD_USER_INPUT.field", { field: fieldLabel(field) })
        : t("error.BAD_USER_INPUT");
    }
    case "BOOKING_RULE_VIOLATION": {
      const key = `error.BOOKING_RULE_VIOLATION.${extra("reason")}`;
      return t(known(key) ? key : "error.BOOKING_RULE_VIOLATION");
    }
    case "CREDENTIAL_REQUIRED":
    case "PREREQUISITE_MISSING": {
      const credential = extra("credential");
      if (credential) return t(`error.${e.code}.named`, { credential });
      break;
    }
  }
  const status = /^HTTP_(\d+)$/.exec(e.code)?.[1];
  if (status === "401") return t("error.UNAUTHENTICATED");
  if (status === "403") return t("error.FORBIDDEN");
  if (status === "413") return t("error.REQUEST_ENTITY_TOO_LARGE");
  if (status) return t("error.HTTP", { status });
  const key = `error.${e.code}`;
  return known(key) ? t(key) : t("error.unknown", { code: e.code });
}

/** The code and raw message of an error, for support (a `title`, a <details>); not translated. */
export function errorDetails(error: unknown): string {
  const e = asApiError(error);
  return t("error.details", { code: e.code, message: e.message || "—" });
}
