-- CreateEnum
CREATE TYPE "NodeLiveness" AS ENUM ('ONLINE', 'STALE', 'SILENT');

-- AlterTable
ALTER TABLE "space" ADD COLUMN     "owner_node_id" TEXT;

-- AlterTable
ALTER TABLE "node" ADD COLUMN     "last_pull_at" TIMESTAMP(3),
ADD COLUMN     "last_push_at" TIMESTAMP(3),
ADD COLUMN     "liveness" "NodeLiveness" NOT NULL DEFAULT 'SILENT',
ADD COLUMN     "oldest_pending_at" TIMESTAMP(3),
ADD COLUMN     "pending_estimate" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pushed_seq" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "member" ADD COLUMN     "owner_node_id" TEXT;

-- CreateTable
CREATE TABLE "change_log" (
    "offset" BIGSERIAL NOT NULL,
    "event_id" TEXT NOT NULL,
    "origin_node_id" TEXT,
    "seq" INTEGER,
    "entity" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,
    "op" TEXT NOT NULL,
    "payload" JSONB,
    "occurred_at" TIMESTAMP(3) NOT NULL,
    "schema_version" INTEGER NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "target_node_id" TEXT,

    CONSTRAINT "change_log_pkey" PRIMARY KEY ("offset")
);

-- CreateIndex
CREATE UNIQUE INDEX "change_log_event_id_key" ON "change_log"("event_id");

-- CreateIndex
CREATE INDEX "change_log_target_node_id_offset_idx" ON "change_log"("target_node_id", "offset");

-- CreateIndex
CREATE UNIQUE INDEX "change_log_origin_node_id_seq_key" ON "change_log"("origin_node_id", "seq");

