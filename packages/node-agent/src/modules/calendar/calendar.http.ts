import type { CalendarService } from "./calendar.service.ts";

/** `/calendar/<feed id>.ics`; the secret comes in `?token=`. */
const FEED_PATH = /^\/calendar\/([0-9A-Za-z_-]{1,64})\.ics$/;
/** Longer than any secret this agent hands out (43 characters): refused without a lookup. */
const MAX_TOKEN_LENGTH = 256;

const NOT_FOUND_HEADERS = {
  "content-type": "text/plain; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

/** One answer for an unknown feed, a wrong or missing token and a revoked feed alike. */
function notFound(): Response {
  return new Response("Not found\n", { status: 404, headers: NOT_FOUND_HEADERS });
}

/**
 * Answers `GET /calendar/<id>.ics?token=<secret>` (and HEAD): 200 with the feed as
 * `text/calendar`, cacheable 5 minutes by the client only; 404, always the same, when the feed
 * is unknown, revoked, or the token is missing or wrong; 405 for another method. Undefined for
 * any other path, so that the caller goes on (to GraphQL).
 */
export async function handleCalendarRequest(
  request: Request,
  deps: { calendar: Pick<CalendarService, "renderFeed"> },
): Promise<Response | undefined> {
  const url = new URL(request.url);
  const match = FEED_PATH.exec(url.pathname);
  if (!match?.[1]) return undefined;
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method not allowed\n", {
      status: 405,
      headers: { ...NOT_FOUND_HEADERS, allow: "GET, HEAD" },
    });
  }
  const token = url.searchParams.get("token");
  if (!token || token.length > MAX_TOKEN_LENGTH) return notFound();
  const text = await deps.calendar.renderFeed(match[1], token);
  if (text === null) return notFound();
  return new Response(request.method === "HEAD" ? null : text, {
    status: 200,
    headers: {
      "content-type": "text/calendar; charset=utf-8",
      "cache-control": "private, max-age=300",
      "content-disposition": `inline; filename="${match[1]}.ics"`,
      "x-content-type-options": "nosniff",
      // The URL holds the secret: never pass it on.
      "referrer-policy": "no-referrer",
    },
  });
}
