/** The console's check-in, activity, satellite and member views, French (source of the keys). */
export const placesFr = {
  "places.checkIn": "Accueil d'un visiteur",
} satisfies Record<string, string>;
