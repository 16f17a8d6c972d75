import { signal } from "@preact/signals";
import type { Route } from "./route-types.ts";

/** The app's base, from vite's `base` ("/app/"), without its trailing slash. */
export const BASE = import.meta.env.BASE_URL.replace(/\/$/, "");

function appPath(pathname: string): string {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  return path === "" ? "/" : path;
}

/** The current path within the app ("/", "/regions/84"), and its query string. */
export const currentPath = signal(appPath(window.location.pathname));
export const currentSearch = signal(window.location.search);

/** The href of an app path: "/regions/84" → "/app/regions/84". */
export function href(path: string): string {
  return `${BASE}${path.startsWith("/") ? path : `/${path}`}`;
}

/** Goes to an app path (pushState; `replace` for a redirect); moves focus to the new page. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = href(path);
  if (options.replace) window.history.replaceState(null, "", url);
  else window.history.pushState(null, "", url);
  sync();
  window.scrollTo(0, 0);
  // screen readers and keyboards start again from the new page's main landmark
  requestAnimationFrame(() => document.getElementById("main")?.focus({ preventScroll: true }));
}

function sync() {
  currentPath.value = appPath(window.location.pathname);
  currentSearch.value = window.location.search;
}

window.addEventListener("popstate", sync);

/** The route matching a path and its params, or undefined. */
export function matchRoute(
  routes: readonly Route[],
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  const parts = path.split("/").filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split("/").filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i] as string;
      const v = parts[i] as string;
      if (p.startsWith(":")) {
        try {
          params[p.slice(1)] = decodeURIComponent(v);
        } catch {
          ok = false;
        }
      } else if (p !== v) ok = false;
      if (!ok) break;
    }
    if (ok) return { route, params };
  }
  return undefined;
}

export { Link } from "./link.tsx";
