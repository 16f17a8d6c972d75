import type { VisitRecord } from "./mobility.repository.ts";

/**
 * Live visits at the agent, on the agent's one pub/sub (resources/live.ts carries this topic
 * beside its own): a check-in or check-out here, published after its transaction committed, and
 * a VISIT replica pulled at the member's home, published by the sync engine after the pull.
 * Who sees which: check-in.service.ts (canSeeVisit).
 */
export type MobilityTopics = {
  visitRecorded: [VisitRecord];
};

export type MobilityPublication = { topic: "visitRecorded"; visit: VisitRecord };
