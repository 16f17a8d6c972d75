-- Shared resources (issue 5): resources, occupied slots, booking requests with their decisions,
-- and members' credentials, all replicated from their owner nodes through the sync protocol.
-- CreateTable
CREATE TABLE "resource" (
    "id" TEXT NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "space_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "description" TEXT,
    "sharing_scope" TEXT NOT NULL,
    "required_credential" TEXT,
    "min_minutes" INTEGER NOT NULL,
    "max_minutes" INTEGER NOT NULL,
    "lead_minutes" INTEGER NOT NULL,
    "cancel_deadline_minutes" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "movable" BOOLEAN NOT NULL,
    "approval_required" BOOLEAN NOT NULL,
    "windows" JSONB NOT NULL,
    "closures" JSONB NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "resource_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "booking" (
    "id" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL,
    "request_id" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "booking_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "booking_request" (
    "id" TEXT NOT NULL,
    "requester_node_id" TEXT NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "for_member_id" TEXT,
    "for_space_id" TEXT,
    "cancelled" BOOLEAN NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "reason_code" TEXT,
    "booking_id" TEXT,
    "loan" JSONB,
    "requested_at" TIMESTAMP(3) NOT NULL,
    "decided_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "booking_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credential" (
    "id" TEXT NOT NULL,
    "member_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3),
    "owner_node_id" TEXT NOT NULL,

    CONSTRAINT "credential_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "resource_space_id_idx" ON "resource"("space_id");

-- CreateIndex
CREATE INDEX "resource_category_sharing_scope_idx" ON "resource"("category", "sharing_scope");

-- CreateIndex
CREATE INDEX "resource_required_credential_idx" ON "resource"("required_credential");

-- CreateIndex
CREATE INDEX "booking_resource_id_starts_at_idx" ON "booking"("resource_id", "starts_at");

-- CreateIndex
CREATE INDEX "booking_request_requester_node_id_updated_at_idx" ON "booking_request"("requester_node_id", "updated_at");

-- CreateIndex
CREATE INDEX "booking_request_owner_node_id_status_idx" ON "booking_request"("owner_node_id", "status");

-- CreateIndex
CREATE INDEX "booking_request_resource_id_idx" ON "booking_request"("resource_id");

-- CreateIndex
CREATE INDEX "credential_member_id_type_idx" ON "credential"("member_id", "type");

-- AddForeignKey
ALTER TABLE "resource" ADD CONSTRAINT "resource_space_id_fkey" FOREIGN KEY ("space_id") REFERENCES "space"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

