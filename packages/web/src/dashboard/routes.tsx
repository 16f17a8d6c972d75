import type { Route } from "../app/route-types.ts";

const DASHBOARD_ROLES = ["NATIONAL", "FABRIQUE_ADMIN"] as const;

/** The national dashboard's routes (served by the hub); each view is its own chunk. */
export const dashboardRoutes: Route[] = [
  {
    path: "/",
    title: "dashboard.overview",
    roles: DASHBOARD_ROLES,
    nav: true,
    view: () => import("./overview.tsx"),
  },
  {
    path: "/nodes",
    title: "dashboard.nodes",
    roles: DASHBOARD_ROLES,
    nav: true,
    view: () => import("./nodes.tsx"),
  },
  {
    path: "/mobility",
    title: "dashboard.mobility",
    roles: DASHBOARD_ROLES,
    nav: true,
    view: () => import("./mobility.tsx"),
  },
  {
    path: "/live",
    title: "dashboard.live",
    roles: DASHBOARD_ROLES,
    nav: true,
    view: () => import("./live-page.tsx"),
  },
  {
    path: "/regions/:code",
    title: "dashboard.region",
    roles: DASHBOARD_ROLES,
    view: () => import("./region.tsx"),
  },
  {
    path: "/departments/:code",
    title: "dashboard.department",
    roles: DASHBOARD_ROLES,
    view: () => import("./department.tsx"),
  },
  {
    path: "/territories/:id",
    title: "dashboard.territory",
    roles: DASHBOARD_ROLES,
    view: () => import("./territory.tsx"),
  },
];
