import { registerSeedTests } from "./seed.suite.ts";

registerSeedTests("pglite", {
  small: {
    scale: "region",
    size: { fabriques: 2, satellites: 9, region: "53" },
    days: 45,
    until: "2025-01-15",
    seed: 3,
  },
  larger: {
    scale: "region",
    size: { fabriques: 6, satellites: 50, region: "84" },
    days: 120,
    until: "2024-09-30",
    seed: 11,
  },
});
