import type { Route } from "../app/route-types.ts";

/**
 * The console's routes for check-in, activity, the satellite's and the member's views
 * (console/places/**, console/member/**); console/routes.tsx lists them with the team's.
 */
export const placeRoutes: Route[] = [];
