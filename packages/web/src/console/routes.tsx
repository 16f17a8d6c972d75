import type { Route } from "../app/route-types.ts";
import { placeRoutes } from "./place-routes.ts";

/** The fabrique console's routes (workstream C replaces this placeholder). */
export const consoleRoutes: Route[] = [
  {
    path: "/",
    title: "console.home",
    roles: ["FABRIQUE_ADMIN", "SATELLITE", "MEMBER"],
    nav: true,
    view: () => import("./placeholder.tsx"),
  },
  ...placeRoutes,
];
