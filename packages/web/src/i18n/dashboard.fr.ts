/** The national dashboard's messages, French (the source of the keys). */
export const dashboardFr = {
  "dashboard.overview": "Vue d'ensemble",
  "dashboard.map": "Carte",
  "dashboard.nodes": "Nœuds",
  "dashboard.mobility": "Mobilité",
  "dashboard.live": "Fil en direct",
  "dashboard.region": "Région",
  "dashboard.department": "Département",
  "dashboard.territory": "Territoire d'une fabrique",
} satisfies Record<string, string>;
