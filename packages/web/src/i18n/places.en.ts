import type { placesFr } from "./places.fr.ts";

export const placesEn: typeof placesFr = {
  "places.checkIn": "Welcome a visitor",
};
