-- A training's createdAt at the hub (the Training type of both servers has it): when the hub
-- first recorded the session. Backfilled from the first TRAINING event of each in the log, or
-- its last write when the log does not have it (history seeded at the hub).
-- AlterTable
ALTER TABLE "training" ADD COLUMN "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

UPDATE "training" t SET "created_at" = coalesce(
  (SELECT min(l."recorded_at") FROM "change_log" l
   WHERE l."entity" = 'TRAINING' AND l."entity_id" = t."id"),
  t."updated_at");
