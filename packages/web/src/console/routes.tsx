import type { Route } from "../app/route-types.ts";
import { placeRoutes } from "./place-routes.ts";

const TEAM = ["FABRIQUE_ADMIN"] as const;

/**
 * The fabrique console's routes: the team's (console/team/**), then the check-in, activity,
 * satellite's and member's (place-routes.ts). A path may appear twice for different roles: the
 * shell matches among the routes the session's role may open.
 */
export const consoleRoutes: Route[] = [
  {
    path: "/",
    title: "console.nav.home",
    roles: TEAM,
    nav: true,
    view: () => import("./team/home.tsx"),
  },
  {
    path: "/satellites",
    title: "console.nav.satellites",
    roles: TEAM,
    nav: true,
    view: () => import("./team/satellites.tsx"),
  },
  {
    path: "/members/:id",
    title: "console.member.titleUnknown",
    roles: TEAM,
    view: () => import("./team/member.tsx"),
  },
  {
    path: "/resources",
    title: "console.nav.resources",
    roles: TEAM,
    nav: true,
    view: () => import("./team/resources.tsx"),
  },
  {
    path: "/resources/:id",
    title: "console.resource.titleUnknown",
    roles: TEAM,
    view: () => import("./team/resource.tsx"),
  },
  {
    path: "/requests",
    title: "console.nav.requests",
    roles: TEAM,
    nav: true,
    view: () => import("./team/requests.tsx"),
  },
  {
    path: "/trainings",
    title: "console.nav.trainings",
    roles: TEAM,
    nav: true,
    view: () => import("./team/trainings.tsx"),
  },
  {
    path: "/trainings/:id",
    title: "console.training.titleUnknown",
    roles: TEAM,
    view: () => import("./team/training.tsx"),
  },
  {
    path: "/feeds",
    title: "console.nav.feeds",
    roles: TEAM,
    nav: true,
    view: () => import("./team/feeds.tsx"),
  },
  {
    path: "/sync",
    title: "console.nav.sync",
    roles: TEAM,
    nav: true,
    view: () => import("./team/sync.tsx"),
  },
  ...placeRoutes,
];
