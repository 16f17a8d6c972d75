import type { dashboardFr } from "./dashboard.fr.ts";

export const dashboardEn: typeof dashboardFr = {
  "dashboard.overview": "Overview",
  "dashboard.map": "Map",
  "dashboard.nodes": "Nodes",
  "dashboard.mobility": "Mobility",
  "dashboard.live": "Live feed",
  "dashboard.region": "Region",
  "dashboard.department": "Department",
  "dashboard.territory": "Fabrique territory",
};
