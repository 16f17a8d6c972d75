import { registerSeedTests } from "./seed.suite.ts";

// The region scale (30 fabriques, 300 satellites in Auvergne-Rhône-Alpes) over four months.
registerSeedTests("postgres", {
  small: {
    scale: "region",
    size: { fabriques: 3, satellites: 25, region: "53" },
    days: 90,
    until: "2025-01-15",
    seed: 3,
  },
  larger: {
    scale: "region",
    days: 120,
    until: "2024-09-30",
    seed: 11,
    size: { fabriques: 30, satellites: 300, region: "84" },
  },
});
