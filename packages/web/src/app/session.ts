import { signal } from "@preact/signals";
import type { SessionInfo } from "../../../schema/src/http/session.ts";

/**
 * GET /auth/session's body: who is signed in, where, until when — the server's own type
 * (`SessionInfo`, built in packages/schema/src/http/session.ts), imported as a type only:
 * nothing of that Node module reaches the bundle, and a change there fails this package's tsc.
 */
export type Session = SessionInfo;

/** The API's roles (packages/schema/src/auth/claims.ts), as GET /auth/session reports them. */
export type Role = Session["role"];

/** The session: undefined while loading, null when signed out. */
export const session = signal<Session | null | undefined>(undefined);
/** True once the API refused the session (expired or signed out elsewhere). */
export const sessionExpired = signal(false);

/** The CSRF token of the session (kept in memory only), for cookie-authenticated non-GET calls. */
export function csrfToken(): string | undefined {
  return session.peek()?.csrfToken;
}

export function markSessionExpired(): void {
  if (session.peek()) sessionExpired.value = true;
}

function isSession(value: unknown): value is Session {
  const v = value as Partial<Session> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    (v.server === "hub" || v.server === "agent") &&
    typeof v.role === "string" &&
    typeof v.csrfToken === "string"
  );
}

/** Loads the session from GET /auth/session (null when signed out or unreachable). */
export async function loadSession(): Promise<Session | null> {
  let value: Session | null = null;
  try {
    const response = await fetch("/auth/session", {
      credentials: "same-origin",
      headers: { accept: "application/json" },
      cache: "no-store",
    });
    if (response.ok) {
      const body: unknown = await response.json();
      value = isSession(body) ? body : null;
    }
  } catch {
    value = null;
  }
  session.value = value;
  sessionExpired.value = false;
  clearTimeout(expiryTimer);
  if (value) {
    // the server refuses the cookie from expiresAt on: say so then rather than at the next failure
    const left = Date.parse(value.expiresAt) - Date.now();
    if (Number.isFinite(left))
      expiryTimer = setTimeout(markSessionExpired, Math.min(Math.max(left, 0), 2 ** 31 - 1));
  }
  return value;
}

let expiryTimer: ReturnType<typeof setTimeout> | undefined;

/** Ends the session (POST /logout with the CSRF header) and forgets it here. */
export async function logout(): Promise<void> {
  const token = csrfToken();
  try {
    await fetch("/logout", {
      method: "POST",
      credentials: "same-origin",
      headers: token ? { "x-maillage-csrf": token } : {},
    });
  } finally {
    session.value = null;
    sessionExpired.value = false;
  }
}
