-- Coverage in network health from rollups (issue 13): per scope (nation, region, department,
-- fabrique territory of the space) and per department of the space, the OPEN spaces the hub
-- holds, kept by deltas in the transaction of every write that changes a space
-- (spaces/space-rollup.repository.ts), and backfilled here from the rows already held.
--   space_rollup: fabriques, satellites, rural ones, and communes with at least one of them;
--   space_activity_rollup: how many have their last report on each day ('-infinity': none
--     yet), for the active and silent counts of any period;
--   space_commune_rollup: how many in each commune, from which space_rollup.communes is kept.
-- CreateTable
CREATE TABLE "space_rollup" (
    "scope" "RollupScope" NOT NULL,
    "scope_id" TEXT NOT NULL,
    "region_code" TEXT NOT NULL,
    "department_code" TEXT NOT NULL,
    "fabriques" INTEGER NOT NULL,
    "satellites" INTEGER NOT NULL,
    "rural" INTEGER NOT NULL,
    "communes" INTEGER NOT NULL,

    CONSTRAINT "space_rollup_pkey" PRIMARY KEY ("scope","scope_id","region_code","department_code")
);

-- CreateTable
CREATE TABLE "space_activity_rollup" (
    "scope" "RollupScope" NOT NULL,
    "scope_id" TEXT NOT NULL,
    "region_code" TEXT NOT NULL,
    "department_code" TEXT NOT NULL,
    "last_activity_day" DATE NOT NULL,
    "spaces" INTEGER NOT NULL,

    CONSTRAINT "space_activity_rollup_pkey" PRIMARY KEY ("scope","scope_id","region_code","department_code","last_activity_day")
);

-- CreateTable
CREATE TABLE "space_commune_rollup" (
    "scope" "RollupScope" NOT NULL,
    "scope_id" TEXT NOT NULL,
    "region_code" TEXT NOT NULL,
    "department_code" TEXT NOT NULL,
    "commune_code" TEXT NOT NULL,
    "spaces" INTEGER NOT NULL,

    CONSTRAINT "space_commune_rollup_pkey" PRIMARY KEY ("scope","scope_id","region_code","department_code","commune_code")
);

-- Backfill: the statements of rebuildSpaceRollupsSql (space-rollup.repository.ts).
INSERT INTO "space_commune_rollup" ("scope", "scope_id", "region_code", "department_code",
                                    "commune_code", "spaces")
SELECT k.scope::"RollupScope", k.scope_id, s.region_code, s.department_code, s.commune_code,
       count(*)::int
FROM "space" s
CROSS JOIN LATERAL (VALUES ('NATION', 'FR'), ('REGION', s.region_code),
                           ('DEPARTMENT', s.department_code),
                           ('FABRIQUE', coalesce(s.fabrique_id, s.id))) AS k(scope, scope_id)
WHERE s.status = 'OPEN'
GROUP BY k.scope, k.scope_id, s.region_code, s.department_code, s.commune_code;

INSERT INTO "space_activity_rollup" ("scope", "scope_id", "region_code", "department_code",
                                     "last_activity_day", "spaces")
SELECT k.scope::"RollupScope", k.scope_id, s.region_code, s.department_code,
       coalesce(s.last_activity_day, '-infinity'::date), count(*)::int
FROM "space" s
CROSS JOIN LATERAL (VALUES ('NATION', 'FR'), ('REGION', s.region_code),
                           ('DEPARTMENT', s.department_code),
                           ('FABRIQUE', coalesce(s.fabrique_id, s.id))) AS k(scope, scope_id)
WHERE s.status = 'OPEN'
GROUP BY k.scope, k.scope_id, s.region_code, s.department_code,
         coalesce(s.last_activity_day, '-infinity'::date);

INSERT INTO "space_rollup" ("scope", "scope_id", "region_code", "department_code", "fabriques",
                            "satellites", "rural", "communes")
SELECT k.scope::"RollupScope", k.scope_id, s.region_code, s.department_code,
       count(*) FILTER (WHERE s.kind = 'FABRIQUE')::int,
       count(*) FILTER (WHERE s.kind = 'SATELLITE')::int,
       count(*) FILTER (WHERE s.rural)::int,
       count(DISTINCT s.commune_code)::int
FROM "space" s
CROSS JOIN LATERAL (VALUES ('NATION', 'FR'), ('REGION', s.region_code),
                           ('DEPARTMENT', s.department_code),
                           ('FABRIQUE', coalesce(s.fabrique_id, s.id))) AS k(scope, scope_id)
WHERE s.status = 'OPEN'
GROUP BY k.scope, k.scope_id, s.region_code, s.department_code;
