import { jsonErrorResponse, MaillageError } from "@maillage/schema";
import type { Viewer } from "../../context.ts";
import { type SettlementService, statementCsv } from "./settlement.service.ts";

/**
 * The settlement statement as a file to download, for accounting tools:
 * `GET /settlement/statement?period=YYYY-MM&counterpart=<fabriqueId>&format=csv|json` with the
 * fabrique team's bearer token (the same rules as `settlementStatement`). CSV (RFC 4180,
 * `text/csv`) by default, or JSON; errors as JSON with their code (401, 403, 400, 404; a cookie
 * session's cross-site request 403 CSRF_CHECK_FAILED). Every answer is `Cache-Control: no-store`.
 * Undefined for any other path, so that the caller goes on.
 */
export const STATEMENT_PATH = "/settlement/statement";

const STATUS: Partial<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  // A cookie session's request from another site (docs/sign-in.md): a refusal, not a fault.
  CSRF_CHECK_FAILED: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
};

function failure(error: MaillageError): Response {
  return jsonErrorResponse(STATUS[error.code] ?? 500, error.code, error.message);
}

export async function handleSettlementRequest(
  request: Request,
  deps: {
    settlement: Pick<SettlementService, "statement">;
    /** The bearer token's viewer, null without one; throws UNAUTHENTICATED for a bad one. */
    viewerFrom: (header: string | null) => Promise<Viewer | null>;
  },
): Promise<Response | undefined> {
  const url = new URL(request.url);
  if (url.pathname !== STATEMENT_PATH) return undefined;
  if (request.method !== "GET") {
    return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET" } });
  }
  try {
    const viewer = await deps.viewerFrom(request.headers.get("authorization"));
    if (viewer === null) {
      throw new MaillageError("UNAUTHENTICATED", "a FABRIQUE_ADMIN bearer token is required");
    }
    const format = url.searchParams.get("format") ?? "csv";
    if (format !== "csv" && format !== "json") {
      throw new MaillageError("BAD_USER_INPUT", "format: csv or json", { field: "format" });
    }
    const statement = await deps.settlement.statement(
      viewer,
      url.searchParams.get("period") ?? "",
      url.searchParams.get("counterpart") ?? "",
    );
    const name = `settlement-${statement.period}-${statement.counterpartFabriqueId}.${format}`;
    // Financial figures, possibly to a cookie session: never kept by a cache.
    const headers = {
      "content-disposition": `attachment; filename="${name}"`,
      "cache-control": "no-store",
    };
    return format === "csv"
      ? new Response(statementCsv(statement), {
          headers: { ...headers, "content-type": "text/csv; charset=utf-8; header=present" },
        })
      : Response.json(statement, { headers });
  } catch (error) {
    if (error instanceof MaillageError) return failure(error);
    throw error;
  }
}
