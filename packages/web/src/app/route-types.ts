import type { ComponentType } from "preact";
import type { I18nKey } from "../i18n/i18n.ts";
import type { Role } from "./session.ts";

export type { Role } from "./session.ts";

/** Props of a routed view: the path's `:name` segments, decoded. */
export interface RouteProps {
  params: Record<string, string>;
}

/** One screen of the app, under /app/: `path` like "/", "/regions/:code". */
export type Route = {
  path: string;
  /** The page's title (document.title and the nav entry). */
  title: I18nKey;
  /** The roles that see it. */
  roles: readonly Role[];
  /** Listed in the header's navigation (default false). */
  nav?: boolean;
  /** The view's module, loaded on first visit. */
  view: () => Promise<{ default: ComponentType<RouteProps> }>;
};
