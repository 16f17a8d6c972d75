-- Resources in network health from a rollup: per scope (nation, region, department, fabrique
-- territory of the host space) and per region of the host, sharing scope, category and status,
-- the resources held at the hub (RETIRED ones left out) and the sum of their weekly open
-- minutes, kept by deltas as RESOURCE events and space moves arrive
-- (mutualisation/resource-rollup.repository.ts). Backfilled here from the rows already held.
-- CreateTable
CREATE TABLE "resource_rollup" (
    "scope" "RollupScope" NOT NULL,
    "scope_id" TEXT NOT NULL,
    "region_code" TEXT NOT NULL,
    "sharing_scope" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "resources" INTEGER NOT NULL,
    "weekly_open_minutes" BIGINT NOT NULL,

    CONSTRAINT "resource_rollup_pkey" PRIMARY KEY ("scope","scope_id","region_code","sharing_scope","category","status")
);

-- Backfill: the statement of contributionsSql("true") (resource-rollup.repository.ts).
INSERT INTO "resource_rollup" ("scope", "scope_id", "region_code", "sharing_scope", "category",
                               "status", "resources", "weekly_open_minutes")
SELECT k.scope::"RollupScope", k.scope_id, s.region_code, r.sharing_scope, r.category, r.status,
       count(*)::int, sum(r.weekly_open_minutes)::bigint
FROM "resource" r JOIN "space" s ON s.id = r.space_id
CROSS JOIN LATERAL (VALUES ('NATION', 'FR'), ('REGION', s.region_code),
                           ('DEPARTMENT', s.department_code),
                           ('FABRIQUE', coalesce(s.fabrique_id, s.id))) AS k(scope, scope_id)
WHERE r.status <> 'RETIRED'
GROUP BY k.scope, k.scope_id, s.region_code, r.sharing_scope, r.category, r.status;
