-- Trainings (issue 10): sessions replicated from their organisers' nodes (entity TRAINING),
-- members' enrolment requests (ENROLMENT_REQUEST, kept for ownership checks and routing) and
-- their places in sessions (ENROLMENT, by pseudonymous member id), the daily training rollup
-- per scope, session day and topic kept by deltas as those events arrive, and the training
-- and OB3 credential a credential may carry. Nothing to backfill: no training existed before.
-- AlterTable
ALTER TABLE "credential" ADD COLUMN     "training_id" TEXT,
ADD COLUMN     "vc" TEXT;

-- CreateTable
CREATE TABLE "training" (
    "id" TEXT NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "space_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "tags" TEXT[],
    "description" TEXT,
    "venue_space_id" TEXT,
    "online_url" TEXT,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "series_id" TEXT,
    "capacity" INTEGER NOT NULL,
    "minimum" INTEGER NOT NULL,
    "decision_at" TIMESTAMP(3),
    "scope" TEXT NOT NULL,
    "prerequisites" TEXT[],
    "grants_type" TEXT,
    "grants_validity_days" INTEGER,
    "trainer_name" TEXT,
    "cancel_deadline_minutes" INTEGER NOT NULL,
    "offer_hours" INTEGER,
    "status" TEXT NOT NULL,
    "cancel_reason_code" TEXT,
    "taken" INTEGER NOT NULL,
    "waitlisted" INTEGER NOT NULL,
    "attended" INTEGER NOT NULL,
    "no_show" INTEGER NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "training_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "enrolment_request" (
    "id" TEXT NOT NULL,
    "requester_node_id" TEXT NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "training_id" TEXT NOT NULL,
    "member_id" TEXT NOT NULL,
    "accept_offer" BOOLEAN NOT NULL,
    "cancelled" BOOLEAN NOT NULL,
    "requested_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "enrolment_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "enrolment" (
    "id" TEXT NOT NULL,
    "training_id" TEXT NOT NULL,
    "owner_node_id" TEXT NOT NULL,
    "member_id" TEXT NOT NULL,
    "member_node_id" TEXT,
    "status" TEXT NOT NULL,
    "position" INTEGER,
    "offer_expires_at" TIMESTAMP(3),
    "reason_code" TEXT,
    "reason" TEXT,
    "credential_id" TEXT,
    "requested_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "enrolment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "training_rollup" (
    "scope" "RollupScope" NOT NULL,
    "scope_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "topic" TEXT NOT NULL,
    "trainings" INTEGER NOT NULL,
    "cancelled_trainings" INTEGER NOT NULL,
    "seats_offered" INTEGER NOT NULL,
    "seats_filled" INTEGER NOT NULL,
    "cross_node" INTEGER NOT NULL,
    "waitlisted" INTEGER NOT NULL,
    "attended" INTEGER NOT NULL,
    "no_show" INTEGER NOT NULL,
    "attended_minutes" BIGINT NOT NULL,
    "credentials" INTEGER NOT NULL,
    "cancellations" INTEGER NOT NULL,

    CONSTRAINT "training_rollup_pkey" PRIMARY KEY ("scope","scope_id","day","topic")
);

-- CreateIndex
CREATE INDEX "training_starts_at_id_idx" ON "training"("starts_at", "id");

-- CreateIndex
CREATE INDEX "training_space_id_idx" ON "training"("space_id");

-- CreateIndex
CREATE INDEX "training_venue_space_id_idx" ON "training"("venue_space_id");

-- CreateIndex
CREATE INDEX "training_series_id_idx" ON "training"("series_id");

-- CreateIndex
CREATE INDEX "enrolment_request_requester_node_id_id_idx" ON "enrolment_request"("requester_node_id", "id");

-- CreateIndex
CREATE INDEX "enrolment_request_owner_node_id_id_idx" ON "enrolment_request"("owner_node_id", "id");

-- CreateIndex
CREATE INDEX "enrolment_training_id_member_id_idx" ON "enrolment"("training_id", "member_id");

-- CreateIndex
CREATE INDEX "enrolment_member_id_idx" ON "enrolment"("member_id");

-- CreateIndex
CREATE INDEX "credential_training_id_idx" ON "credential"("training_id");

-- AddForeignKey
ALTER TABLE "training" ADD CONSTRAINT "training_space_id_fkey" FOREIGN KEY ("space_id") REFERENCES "space"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

