import type { consoleFr } from "./console.fr.ts";

export const consoleEn: typeof consoleFr = {
  "console.home": "Console",
};
