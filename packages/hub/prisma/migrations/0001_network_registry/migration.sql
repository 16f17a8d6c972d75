-- CreateEnum
CREATE TYPE "SpaceKind" AS ENUM ('FABRIQUE', 'SATELLITE');

-- CreateEnum
CREATE TYPE "SpaceStatus" AS ENUM ('OPEN', 'CLOSED');

-- CreateEnum
CREATE TYPE "NodeStatus" AS ENUM ('ACTIVE', 'REVOKED');

-- CreateTable
CREATE TABLE "space" (
    "id" TEXT NOT NULL,
    "kind" "SpaceKind" NOT NULL,
    "name" TEXT NOT NULL,
    "commune_code" TEXT NOT NULL,
    "commune_name" TEXT NOT NULL,
    "department_code" TEXT NOT NULL,
    "region_code" TEXT NOT NULL,
    "population" INTEGER NOT NULL,
    "rural" BOOLEAN NOT NULL,
    "services" TEXT[],
    "opening_hours" JSONB NOT NULL DEFAULT '[]',
    "status" "SpaceStatus" NOT NULL DEFAULT 'OPEN',
    "closed_at" TIMESTAMP(3),
    "fabrique_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "space_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "node" (
    "id" TEXT NOT NULL,
    "fabrique_id" TEXT NOT NULL,
    "public_key" JSONB NOT NULL,
    "status" "NodeStatus" NOT NULL DEFAULT 'ACTIVE',
    "last_seen_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "node_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "member" (
    "id" TEXT NOT NULL,
    "home_space_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "enrolment_code" (
    "id" TEXT NOT NULL,
    "fabrique_id" TEXT NOT NULL,
    "code_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "enrolment_code_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "space_fabrique_id_idx" ON "space"("fabrique_id");

-- CreateIndex
CREATE INDEX "space_region_code_department_code_idx" ON "space"("region_code", "department_code");

-- CreateIndex
CREATE INDEX "space_kind_id_idx" ON "space"("kind", "id");

-- CreateIndex
CREATE UNIQUE INDEX "node_fabrique_id_key" ON "node"("fabrique_id");

-- CreateIndex
CREATE INDEX "member_home_space_id_idx" ON "member"("home_space_id");

-- CreateIndex
CREATE UNIQUE INDEX "enrolment_code_code_hash_key" ON "enrolment_code"("code_hash");

-- CreateIndex
CREATE INDEX "enrolment_code_fabrique_id_idx" ON "enrolment_code"("fabrique_id");

-- AddForeignKey
ALTER TABLE "space" ADD CONSTRAINT "space_fabrique_id_fkey" FOREIGN KEY ("fabrique_id") REFERENCES "space"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "node" ADD CONSTRAINT "node_fabrique_id_fkey" FOREIGN KEY ("fabrique_id") REFERENCES "space"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "member" ADD CONSTRAINT "member_home_space_id_fkey" FOREIGN KEY ("home_space_id") REFERENCES "space"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "enrolment_code" ADD CONSTRAINT "enrolment_code_fabrique_id_fkey" FOREIGN KEY ("fabrique_id") REFERENCES "space"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Names are unique within a fabrique's network (the fabrique and its open satellites),
-- whatever the case. Prisma cannot express an expression index, hence this hand-written one.
CREATE UNIQUE INDEX "space_name_in_network_key"
    ON "space" (COALESCE("fabrique_id", "id"), lower("name"))
    WHERE "status" = 'OPEN';
