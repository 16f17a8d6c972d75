-- Training discovery without joining spaces per session: each training keeps its organiser's
-- network, its venue's network and the place it is found by (the venue's commune, department
-- and region, or the organiser's when online or the venue is unknown), written with it; and
-- an index of spaces by status, so that leaving out what closed spaces organise reads only them.
-- The training rollup gains, per scope and day, a row over every topic (topic '*'): totals and
-- per-region figures read one row a day instead of one per topic.
-- AlterTable
ALTER TABLE "training" ADD COLUMN     "network_id" TEXT,
ADD COLUMN     "place_commune_code" TEXT,
ADD COLUMN     "place_department_code" TEXT,
ADD COLUMN     "place_region_code" TEXT,
ADD COLUMN     "venue_network_id" TEXT;

-- Backfill from the spaces the hub holds.
UPDATE "training" t SET
  "network_id" = coalesce(s."fabrique_id", s."id"),
  "place_commune_code" = s."commune_code",
  "place_department_code" = s."department_code",
  "place_region_code" = s."region_code"
FROM "space" s
WHERE s."id" = t."space_id";
UPDATE "training" t SET
  "venue_network_id" = coalesce(v."fabrique_id", v."id"),
  "place_commune_code" = v."commune_code",
  "place_department_code" = v."department_code",
  "place_region_code" = v."region_code"
FROM "space" v
WHERE v."id" = t."venue_space_id";

ALTER TABLE "training" ALTER COLUMN "network_id" SET NOT NULL,
ALTER COLUMN "place_commune_code" SET NOT NULL,
ALTER COLUMN "place_department_code" SET NOT NULL,
ALTER COLUMN "place_region_code" SET NOT NULL;

-- CreateIndex
CREATE INDEX "space_status_idx" ON "space"("status");

-- The rows over every topic, from the rows per topic.
INSERT INTO "training_rollup" ("scope", "scope_id", "day", "topic", "trainings", "cancelled_trainings",
                               "seats_offered", "seats_filled", "cross_node", "waitlisted", "attended",
                               "no_show", "attended_minutes", "credentials", "cancellations")
SELECT "scope", "scope_id", "day", '*', sum("trainings"), sum("cancelled_trainings"), sum("seats_offered"),
       sum("seats_filled"), sum("cross_node"), sum("waitlisted"), sum("attended"), sum("no_show"),
       sum("attended_minutes"), sum("credentials"), sum("cancellations")
FROM "training_rollup"
WHERE "topic" <> '*'
GROUP BY "scope", "scope_id", "day";
