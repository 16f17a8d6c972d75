-- Mutualisation in network health: each resource's weekly open minutes (utilisation's
-- denominator, computed from its windows when it is written) and the daily rollup of
-- confirmed bookings per scope (nation, region, department, fabrique territory), kept by
-- deltas as BOOKING events arrive. Both are backfilled here from the rows already held.
-- AlterTable
ALTER TABLE "resource" ADD COLUMN     "weekly_open_minutes" INTEGER NOT NULL DEFAULT 10080;

-- The union of each weekday's windows, in minutes (the same as open-minutes.ts computes).
UPDATE "resource" r SET "weekly_open_minutes" = coalesce((
  SELECT sum(upper(x) - lower(x))::int
  FROM (
    SELECT unnest(range_agg(int4range(w.opens, w.closes))) AS x
    FROM (
      SELECT d.day,
             split_part(e->>'opens', ':', 1)::int * 60 + split_part(e->>'opens', ':', 2)::int AS opens,
             split_part(e->>'closes', ':', 1)::int * 60 + split_part(e->>'closes', ':', 2)::int AS closes
      FROM jsonb_array_elements(r.windows) AS e,
           unnest(string_to_array(substring(e->>'rrule' from 'BYDAY=([A-Z,]+)'), ',')) AS d(day)
    ) w
    GROUP BY w.day
  ) u
), 0)
WHERE jsonb_array_length(r.windows) > 0;

ALTER TABLE "resource" ALTER COLUMN "weekly_open_minutes" DROP DEFAULT;

-- CreateTable
CREATE TABLE "booking_rollup" (
    "scope" "RollupScope" NOT NULL,
    "scope_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "bookings" INTEGER NOT NULL,
    "booked_minutes" BIGINT NOT NULL,
    "cross_node" INTEGER NOT NULL,
    "loans" INTEGER NOT NULL,

    CONSTRAINT "booking_rollup_pkey" PRIMARY KEY ("scope","scope_id","day")
);

-- Backfill: the confirmed bookings held, per scope and Europe/Paris day of their start.
INSERT INTO "booking_rollup" ("scope", "scope_id", "day", "bookings", "booked_minutes", "cross_node", "loans")
SELECT k.scope::"RollupScope", k.scope_id, b.day, count(*)::int, sum(b.minutes)::bigint,
       count(*) FILTER (WHERE b.cross_node)::int, count(*) FILTER (WHERE b.loan)::int
FROM (
  SELECT ((bk.starts_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Paris')::date AS day,
         floor(extract(epoch FROM bk.ends_at - bk.starts_at) / 60)::bigint AS minutes,
         bk.request_id IS NOT NULL AS cross_node, bk.kind = 'LOAN' AS loan,
         s.region_code, s.department_code, coalesce(s.fabrique_id, s.id) AS network_id
  FROM "booking" bk JOIN "resource" res ON res.id = bk.resource_id JOIN "space" s ON s.id = res.space_id
  WHERE bk.status = 'CONFIRMED'
) b
CROSS JOIN LATERAL (VALUES ('NATION', 'FR'), ('REGION', b.region_code),
                           ('DEPARTMENT', b.department_code), ('FABRIQUE', b.network_id)) AS k(scope, scope_id)
GROUP BY k.scope, k.scope_id, b.day;
