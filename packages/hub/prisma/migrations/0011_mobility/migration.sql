-- Member mobility (issue 11): passes (entity PASS, kept for ownership only: nothing personal,
-- not even the member's id), visits (VISIT, by pseudonymous member id, null once erased) with
-- the fabrique territories, departments and regions of their home and visited places, tariffs
-- (TARIFF), and the monthly mobility rollup with the member-level presence rows its distinct
-- counts are kept from, by deltas. Nothing to backfill: no visit existed before.
-- CreateTable
CREATE TABLE "pass" (
    "id" TEXT NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "home_space_id" TEXT NOT NULL,
    "valid_from" TIMESTAMP(3) NOT NULL,
    "valid_until" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL,
    "revocation_reason" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "pass_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "visit" (
    "id" TEXT NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "member_id" TEXT,
    "pass_id" TEXT,
    "home_space_id" TEXT NOT NULL,
    "space_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "arrived_at" TIMESTAMP(3) NOT NULL,
    "departed_at" TIMESTAMP(3),
    "method" TEXT NOT NULL,
    "home_network_id" TEXT NOT NULL,
    "home_department" TEXT NOT NULL,
    "home_region" TEXT NOT NULL,
    "network_id" TEXT NOT NULL,
    "department" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "visit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tariff" (
    "id" TEXT NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "space_id" TEXT NOT NULL,
    "valid_from" DATE NOT NULL,
    "per_visit_cents" INTEGER,
    "per_day_cents" INTEGER,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "tariff_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mobility_presence" (
    "month" DATE NOT NULL,
    "member_id" TEXT NOT NULL,
    "origin_network_id" TEXT NOT NULL,
    "dest_network_id" TEXT NOT NULL,
    "origin_department" TEXT NOT NULL,
    "origin_region" TEXT NOT NULL,
    "dest_department" TEXT NOT NULL,
    "dest_region" TEXT NOT NULL,
    "visits" INTEGER NOT NULL,

    CONSTRAINT "mobility_presence_pkey" PRIMARY KEY ("month","member_id","origin_network_id","dest_network_id")
);

-- CreateTable
CREATE TABLE "mobility_rollup" (
    "month" DATE NOT NULL,
    "origin_level" TEXT NOT NULL,
    "origin_id" TEXT NOT NULL,
    "dest_level" TEXT NOT NULL,
    "dest_id" TEXT NOT NULL,
    "visits" INTEGER NOT NULL,
    "members" INTEGER NOT NULL,

    CONSTRAINT "mobility_rollup_pkey" PRIMARY KEY ("month","origin_level","origin_id","dest_level","dest_id")
);

-- CreateIndex
CREATE INDEX "visit_member_id_idx" ON "visit"("member_id");

-- CreateIndex
CREATE INDEX "visit_space_id_day_idx" ON "visit"("space_id", "day");

-- CreateIndex
CREATE INDEX "tariff_space_id_valid_from_idx" ON "tariff"("space_id", "valid_from");

-- CreateIndex
CREATE INDEX "mobility_presence_member_id_idx" ON "mobility_presence"("member_id");


-- Erasure at the hub anonymises the member's visits in the log too (VISIT payloads' memberId
-- and passId set to null): found by this index, never by a scan of the log.
CREATE INDEX "change_log_visit_member_idx" ON "change_log" (("payload"->>'memberId')) WHERE "entity" = 'VISIT';

-- A flow's months (networkHealth's monthly series), without reading every flow of each month.
CREATE INDEX "mobility_rollup_flow_month_idx" ON "mobility_rollup"("origin_level", "origin_id", "dest_level", "dest_id", "month");
