import type { Route } from "../app/route-types.ts";

const PLACE_ROLES = ["FABRIQUE_ADMIN", "SATELLITE"] as const;

/**
 * The console's routes for check-in, activity, the satellite's and the member's views
 * (console/places/**, console/member/**); console/routes.tsx lists them with the team's.
 * The satellite's home is /satellite and the member's /pass; the "/" entries below take over
 * for those roles once "/" in console/routes.tsx is the team's only.
 */
export const placeRoutes: Route[] = [
  {
    path: "/satellite",
    title: "places.satelliteHome",
    roles: ["SATELLITE"],
    nav: true,
    view: () => import("./places/satellite-home.tsx"),
  },
  {
    path: "/check-in",
    title: "places.checkIn",
    roles: PLACE_ROLES,
    nav: true,
    view: () => import("./places/check-in.tsx"),
  },
  {
    path: "/activity",
    title: "places.activity",
    roles: PLACE_ROLES,
    nav: true,
    view: () => import("./places/activity.tsx"),
  },
  {
    path: "/book",
    title: "places.book",
    roles: ["SATELLITE"],
    nav: true,
    view: () => import("./places/book.tsx"),
  },
  {
    path: "/requests",
    title: "places.requests",
    roles: ["SATELLITE"],
    nav: true,
    view: () => import("./places/requests.tsx"),
  },
  {
    path: "/pass",
    title: "places.pass",
    roles: ["MEMBER"],
    nav: true,
    view: () => import("./member/pass.tsx"),
  },
  {
    path: "/my-visits",
    title: "places.myVisits",
    roles: ["MEMBER"],
    nav: true,
    view: () => import("./member/visits.tsx"),
  },
  {
    path: "/my-bookings",
    title: "places.myBookings",
    roles: ["MEMBER"],
    nav: true,
    view: () => import("./member/bookings.tsx"),
  },
  {
    path: "/my-trainings",
    title: "places.myEnrolments",
    roles: ["MEMBER"],
    nav: true,
    view: () => import("./member/enrolments.tsx"),
  },
  {
    path: "/my-credentials",
    title: "places.credentials",
    roles: ["MEMBER"],
    nav: true,
    view: () => import("./member/credentials.tsx"),
  },
  {
    path: "/",
    title: "places.satelliteHome",
    roles: ["SATELLITE"],
    view: () => import("./places/satellite-home.tsx"),
  },
  {
    path: "/",
    title: "places.pass",
    roles: ["MEMBER"],
    view: () => import("./member/pass.tsx"),
  },
];
