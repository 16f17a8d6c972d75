-- CreateTable
CREATE TABLE "network_event" (
    "offset" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "network_id" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "network_event_pkey" PRIMARY KEY ("offset")
);

-- CreateIndex
CREATE INDEX "network_event_network_id_offset_idx" ON "network_event"("network_id", "offset");

