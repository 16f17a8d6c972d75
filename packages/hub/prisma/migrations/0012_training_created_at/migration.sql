-- A training's createdAt at the hub (the Training type of both servers has it): when the hub
-- first recorded the session. Backfilled from the first TRAINING event of each in the log (one
-- pass over the log), or its last write when the log does not have it (history seeded at the hub).
-- AlterTable
ALTER TABLE "training" ADD COLUMN "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

UPDATE "training" SET "created_at" = "updated_at";
UPDATE "training" t SET "created_at" = l."first"
FROM (SELECT "entity_id", min("recorded_at") AS "first" FROM "change_log"
      WHERE "entity" = 'TRAINING' GROUP BY "entity_id") l
WHERE l."entity_id" = t."id" AND l."first" < t."created_at";
