-- CreateEnum
CREATE TYPE "RollupScope" AS ENUM ('NATION', 'REGION', 'DEPARTMENT', 'FABRIQUE', 'SPACE');

-- CreateEnum
CREATE TYPE "RollupPeriod" AS ENUM ('DAY', 'MONTH');

-- AlterTable
ALTER TABLE "space" ADD COLUMN     "last_activity_day" DATE;

-- CreateTable
CREATE TABLE "activity_report" (
    "space_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "visitors" INTEGER NOT NULL,
    "events" INTEGER NOT NULL,
    "participants" INTEGER NOT NULL,
    "open_hours" DECIMAL(5,2) NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "activity_report_pkey" PRIMARY KEY ("space_id","day")
);

-- CreateTable
CREATE TABLE "activity_rollup" (
    "scope" "RollupScope" NOT NULL,
    "scope_id" TEXT NOT NULL,
    "period" "RollupPeriod" NOT NULL,
    "period_start" DATE NOT NULL,
    "visitors" BIGINT NOT NULL,
    "events" BIGINT NOT NULL,
    "participants" BIGINT NOT NULL,
    "open_hours" DECIMAL(14,2) NOT NULL,
    "reports" INTEGER NOT NULL,

    CONSTRAINT "activity_rollup_pkey" PRIMARY KEY ("scope","scope_id","period","period_start")
);

