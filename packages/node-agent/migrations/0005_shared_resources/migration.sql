-- Shared resources across nodes (issue 5, points 3, 4, 6): resources and bookings now travel
-- (RESOURCE and BOOKING events), other nodes' resources are replicated here, booking requests
-- go from a requester's node to the resource's owner and decisions come back, credentials gate
-- bookings, and movable resources are lent.

-- Resources: the ones this node owns (owned = TRUE, the only ones its mutations change) and
-- replicas of other nodes' resources (owned = FALSE, written by the pull only, never blocking
-- it). owner_node_id: the node that owns a replica (null for this node's own).
-- approval_required: requests from other nodes wait for a person instead of the rules alone.
ALTER TABLE resource
    ADD COLUMN owned             BOOLEAN NOT NULL DEFAULT TRUE,
    ADD COLUMN owner_node_id     TEXT,
    ADD COLUMN approval_required BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX resource_replica_idx ON resource (owned, category, name);

-- Bookings of this node's resources: a BOOKING (for a member or a space) or a LOAN (the
-- resource travels to `booked_for_space` for the period). The exclusion constraint of 0003
-- covers both kinds: a CONFIRMED loan blocks home bookings for its period. request_id: the
-- incoming booking request it answers (another node's), or null for a local booking.
-- A loan's state: CONFIRMED (still home), CHECKED_OUT (handed over: holder = the borrower),
-- RETURNED (back: holder = home); holder_space_id is null for a plain booking.
ALTER TABLE booking
    ADD COLUMN kind            TEXT NOT NULL DEFAULT 'BOOKING' CHECK (kind IN ('BOOKING', 'LOAN')),
    ADD COLUMN request_id      TEXT,
    ADD COLUMN loan_status     TEXT CHECK (loan_status IN ('CONFIRMED', 'CHECKED_OUT', 'RETURNED')),
    ADD COLUMN holder_space_id TEXT,
    ADD COLUMN checked_out_at  TIMESTAMPTZ,
    ADD COLUMN returned_at     TIMESTAMPTZ,
    ADD CONSTRAINT booking_loan_state CHECK (
        (kind = 'LOAN') = (loan_status IS NOT NULL AND holder_space_id IS NOT NULL)
    ),
    ADD CONSTRAINT booking_loan_to_space CHECK (kind = 'BOOKING' OR booked_for_space IS NOT NULL);
CREATE UNIQUE INDEX booking_request_id_idx ON booking (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX booking_resource_kind_idx ON booking (resource_id, kind, status);

-- Occupancy of other nodes' resources (their BOOKING events): no person, no exclusion
-- constraint (the owner alone guarantees no double booking; a replica must never block a pull).
CREATE TABLE booking_replica (
    id             TEXT PRIMARY KEY,
    resource_id    TEXT NOT NULL,
    owner_node_id  TEXT,
    kind           TEXT NOT NULL,
    during         TSTZRANGE NOT NULL,
    status         TEXT NOT NULL,
    request_id     TEXT,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX booking_replica_resource_idx ON booking_replica (resource_id, status);

-- Booking requests: OUTGOING ones this node made for another node's resource (it owns them and
-- sends BOOKING_REQUEST events), and INCOMING ones the hub routed to this node for a resource it
-- owns (it answers with BOOKING_DECISION events). For one member (pseudonymous id) or one space;
-- a LOAN goes to `for_space`. The decision's fields (reason, reason_code: a documented error code
-- or CANCELLED_BY_REQUESTER / CANCELLED_BY_OWNER / DECLINED_BY_OWNER, booking_id, loan_*) are
-- written by the owner for INCOMING and copied from the decision for OUTGOING.
CREATE TABLE booking_request (
    id                TEXT PRIMARY KEY,
    direction         TEXT NOT NULL CHECK (direction IN ('OUTGOING', 'INCOMING')),
    resource_id       TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('BOOKING', 'LOAN')),
    during            TSTZRANGE NOT NULL CHECK (NOT isempty(during)),
    for_member        TEXT,
    for_space         TEXT,
    requester_node_id TEXT NOT NULL,
    owner_node_id     TEXT,
    status            TEXT NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'DECLINED', 'CANCELLED')),
    reason            TEXT,
    reason_code       TEXT,
    booking_id        TEXT,
    loan_status       TEXT CHECK (loan_status IN ('CONFIRMED', 'CHECKED_OUT', 'RETURNED')),
    holder_space_id   TEXT,
    checked_out_at    TIMESTAMPTZ,
    returned_at       TIMESTAMPTZ,
    decided_at        TIMESTAMPTZ,
    -- INCOMING: the requester withdrew a CONFIRMED request; the owner frees the slot and answers.
    cancel_requested  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((for_member IS NULL) <> (for_space IS NULL)),
    CHECK (kind = 'BOOKING' OR for_space IS NOT NULL)
);
CREATE INDEX booking_request_pending_idx ON booking_request (direction, status, created_at);
CREATE INDEX booking_request_booking_idx ON booking_request (booking_id);
CREATE INDEX booking_request_resource_idx ON booking_request (resource_id);

-- Credentials members hold: granted here for members homed in this network (owned = TRUE, sent
-- as CREDENTIAL events; revoking deletes the row and sends a DELETE), and replicas of other
-- nodes' members' credentials (owned = FALSE) for the credential gate.
CREATE TABLE credential (
    id         TEXT PRIMARY KEY,
    member_id  TEXT NOT NULL,
    type       TEXT NOT NULL,
    issued_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    owned      BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX credential_member_idx ON credential (member_id, type);
