-- Shared resources, after review (issue 5).
--
-- 1. Resources created before 0005 never travelled (nor did their bookings): the hub does not
--    know them and refuses their first BOOKING event. Every resource this node owns is marked
--    unpublished here; at start the agent sends a RESOURCE event for each, then BOOKING events
--    for its CONFIRMED bookings and loans still to end, and clears the mark (one transaction per
--    resource). Sending again a resource the hub knows already changes nothing there. New
--    resources are published at creation (default TRUE), and so are replicas and handovers.
ALTER TABLE resource ADD COLUMN published BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE resource SET published = FALSE WHERE owned;
CREATE INDEX resource_unpublished_idx ON resource (id) WHERE owned AND NOT published;

-- 2. A LOCAL resource of another node stays in its own network: replicas stored before this
--    migration are dropped, with their occupancy (the pull no longer stores them).
DELETE FROM booking_replica
 WHERE resource_id IN (SELECT id FROM resource WHERE NOT owned AND sharing_scope = 'LOCAL');
DELETE FROM resource WHERE NOT owned AND sharing_scope = 'LOCAL';

-- 3. The automatic decider's queue: incoming requests still PENDING, or withdrawn after they
--    were confirmed (the join with `resource` leaves out those waiting for a person).
CREATE INDEX booking_request_awaiting_idx ON booking_request (created_at, id)
    WHERE direction = 'INCOMING' AND (status = 'PENDING' OR cancel_requested);

-- 4. Member erasure deletes the member's credentials; a MEMBER DELETE pulled deletes the
--    replicated ones (credential_member_idx of 0005 serves both).
