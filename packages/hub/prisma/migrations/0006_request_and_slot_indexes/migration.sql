-- Indexes for the queries of shared resources: each team's booking requests by its node
-- (requester or owner side, newest id first) and discovery's busy slots by end instant; the
-- indexes nothing reads any more are dropped.
-- DropIndex
DROP INDEX "booking_resource_id_starts_at_idx";

-- DropIndex
DROP INDEX "booking_request_requester_node_id_updated_at_idx";

-- DropIndex
DROP INDEX "booking_request_owner_node_id_status_idx";

-- CreateIndex
CREATE INDEX "booking_resource_id_ends_at_idx" ON "booking"("resource_id", "ends_at");

-- CreateIndex
CREATE INDEX "booking_request_requester_node_id_id_idx" ON "booking_request"("requester_node_id", "id");

-- CreateIndex
CREATE INDEX "booking_request_owner_node_id_id_idx" ON "booking_request"("owner_node_id", "id");

