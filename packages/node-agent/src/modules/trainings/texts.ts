/**
 * What the trainings module says to people, in French (the network's language): calendar
 * entries and the reason a place ended, shown to the member. Error messages stay English,
 * with their codes (docs/errors.md); codes (reasonCode) are what clients check.
 */
export const TRAINING_TEXTS = {
  /** A training's calendar entry (a space's feed, a member's feed). */
  calendarSummary: (title: string) => `Formation : ${title}`,
  /** A member's feed of its own enrolments (its name unless the feed was given a label). */
  memberFeedName: (fabriqueName: string) => `Mes formations — ${fabriqueName}`,
  memberFeedDescription: "Mes inscriptions aux formations, depuis Maillage",
  /** Why a place ended (Enrolment.reason), by reasonCode. */
  reasons: {
    CANCELLED_BY_MEMBER: "Inscription annulée par le membre.",
    CANCELLED_BY_ORGANISER: "La formation a été annulée par son organisateur.",
    REMOVED_BY_ORGANISER: "Place retirée par l’organisateur de la formation.",
    MINIMUM_NOT_REACHED:
      "La formation est annulée : le nombre minimum d’inscrits n’était pas atteint à la date de décision.",
    OFFER_EXPIRED:
      "La place proposée n’a pas été acceptée à temps : elle est passée à la personne suivante sur la liste d’attente.",
  },
} as const;
