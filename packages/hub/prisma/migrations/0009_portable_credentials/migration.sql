-- Portable credentials (issue 10, point 6): each issuing node's latest status list, and the
-- network's node keys in the log.

-- CreateTable
CREATE TABLE "status_list" (
    "node_id" TEXT NOT NULL,
    "vc" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "status_list_pkey" PRIMARY KEY ("node_id")
);

-- NODE_KEY for the nodes enrolled before this migration, once (new enrolments write theirs in
-- their own transaction: enrolment.service.ts): the hub's own record (origin NULL), to every
-- node, payload { fabriqueId, publicJwk } as packages/schema's NodeKeyPayload. Appended under
-- the log's advisory lock ("log" = 0x6c6f67), like every append (change-log.repository.ts).
SELECT pg_advisory_xact_lock(7106407);
INSERT INTO "change_log" ("event_id", "origin_node_id", "seq", "entity", "entity_id", "op",
                          "payload", "occurred_at", "schema_version", "target_node_id")
SELECT 'node-key:' || n."id", NULL, NULL, 'NODE_KEY', n."id", 'UPSERT',
       jsonb_build_object(
         'fabriqueId', n."fabrique_id",
         'publicJwk', jsonb_build_object('kty', 'OKP', 'crv', 'Ed25519', 'x', n."public_key"->>'x')),
       now() AT TIME ZONE 'UTC', 1, NULL
FROM "node" n
WHERE n."status" = 'ACTIVE'
ORDER BY n."id";
