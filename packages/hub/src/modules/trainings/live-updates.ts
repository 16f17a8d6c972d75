import type { EnrolmentUpdateEvent, TrainingChangedEvent } from "../../realtime/pubsub.ts";
import type { Sql } from "../sync/change-log.repository.ts";
import type { Consequence } from "../sync/push-handlers.ts";
import { enrolmentViews, trainingViews } from "./training.repository.ts";

/**
 * The live updates of trainings a push makes, read in its transaction and published after its
 * commit: one `training:changed` per training written (its seats as the organiser sent them),
 * one `enrolment:updated` per enrolment written, as the hub now holds them.
 */
export type TrainingLiveUpdates = {
  trainings: TrainingChangedEvent[];
  enrolments: EnrolmentUpdateEvent[];
};

export async function collectTrainingUpdates(
  sql: Sql,
  consequences: Consequence[],
): Promise<TrainingLiveUpdates> {
  const ids = (key: "trainingId" | "enrolmentId") => [
    ...new Set(consequences.flatMap((c) => (c[key] ? [c[key]] : []))),
  ];
  return {
    trainings: await trainingViews(sql, ids("trainingId")),
    enrolments: await enrolmentViews(sql, ids("enrolmentId")),
  };
}
