-- Training sessions across the network (issue 10): trainings organised here (owned = TRUE, the
-- only ones this node's mutations change; each change sends a TRAINING event) and replicas of
-- other nodes' NETWORK and NATIONAL ones (owned = FALSE, written by the pull only; a replica
-- saying LOCAL is deleted). One training is one dated session; a weekly series is the
-- trainings sharing a series_id (the first one's id).
--
-- The seat counts (taken, waitlisted, attended, no_show) are the organiser's: kept here in the
-- same statement as each enrolment change for an owned training, copied from the payload for a
-- replica. Capacity is enforced by the store: a seat is taken by
--   UPDATE training SET taken = taken + 1 WHERE id = $1 AND taken < capacity AND status = 'SCHEDULED'
-- under the CHECK below, never by a read-then-write. `waitlisted` is also the waitlist's
-- sequence: the next one in line gets position waitlisted + 1, in the same UPDATE.
CREATE TABLE training (
    id                      TEXT PRIMARY KEY,
    owned                   BOOLEAN NOT NULL,
    -- A replica: the organiser's node. Null for this node's own.
    owner_node_id           TEXT,
    -- The organiser: the fabrique or a satellite of the owner node's network.
    space_id                TEXT NOT NULL,
    title                   TEXT NOT NULL,
    topic                   TEXT NOT NULL,
    tags                    TEXT[] NOT NULL DEFAULT '{}',
    description             TEXT,
    venue_space_id          TEXT,
    online_url              TEXT,
    starts_at               TIMESTAMPTZ NOT NULL,
    ends_at                 TIMESTAMPTZ NOT NULL,
    series_id               TEXT,
    capacity                INTEGER NOT NULL CHECK (capacity >= 1),
    minimum                 INTEGER NOT NULL DEFAULT 0 CHECK (minimum >= 0),
    decision_at             TIMESTAMPTZ,
    scope                   TEXT NOT NULL CHECK (scope IN ('LOCAL', 'NETWORK', 'NATIONAL')),
    prerequisites           TEXT[] NOT NULL DEFAULT '{}',
    grant_type              TEXT,
    grant_validity_days     INTEGER,
    trainer_name            TEXT,
    cancel_deadline_minutes INTEGER NOT NULL DEFAULT 0 CHECK (cancel_deadline_minutes >= 0),
    offer_hours             INTEGER CHECK (offer_hours IS NULL OR offer_hours >= 1),
    status                  TEXT NOT NULL CHECK (status IN ('SCHEDULED', 'CANCELLED')),
    cancel_reason_code      TEXT,
    taken                   INTEGER NOT NULL DEFAULT 0 CHECK (taken >= 0),
    waitlisted              INTEGER NOT NULL DEFAULT 0 CHECK (waitlisted >= 0),
    attended                INTEGER NOT NULL DEFAULT 0 CHECK (attended >= 0),
    no_show                 INTEGER NOT NULL DEFAULT 0 CHECK (no_show >= 0),
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (starts_at < ends_at),
    CHECK ((venue_space_id IS NULL) <> (online_url IS NULL)),
    CHECK (minimum <= capacity),
    CHECK (minimum = 0 OR decision_at IS NOT NULL),
    CHECK ((grant_type IS NULL) OR (grant_validity_days IS NULL OR grant_validity_days >= 1)),
    -- Never more seats given than there are, for the trainings this node decides.
    CONSTRAINT training_capacity CHECK (NOT owned OR taken <= capacity)
);
CREATE INDEX training_starts_idx ON training (starts_at, id);
CREATE INDEX training_series_idx ON training (series_id) WHERE series_id IS NOT NULL;
CREATE INDEX training_venue_idx ON training (venue_space_id) WHERE venue_space_id IS NOT NULL;
-- The sweeper's queue: scheduled trainings of this node with a decision still to make.
CREATE INDEX training_decision_idx ON training (decision_at)
    WHERE owned AND status = 'SCHEDULED' AND minimum > 0;

-- Enrolments: a member's place in a training. One table for the three roads:
-- - organised_here, member homed here: a local enrolment, decided at once (ENROLMENT events;
--   the hub keeps them, they stay home);
-- - organised_here, requester_node_id set: another node's member, from its ENROLMENT_REQUEST;
--   this node decides (the decider, after the pull) and answers with ENROLMENT events;
-- - not organised_here: this node's member in another node's training; this node owns the
--   request (ENROLMENT_REQUEST events) and copies the organiser's answers onto the row.
-- position: WAITLISTED only, 1 for the first in line. pending_action: what the decider has to
-- do for an incoming request (DECIDE a new one, WITHDRAW it, ACCEPT_OFFER, or ANSWER: send the
-- state as it stands), with action_at the instant the member acted at home.
CREATE TABLE enrolment (
    id                TEXT PRIMARY KEY,
    training_id       TEXT NOT NULL,
    member_id         TEXT NOT NULL,
    organised_here    BOOLEAN NOT NULL,
    requester_node_id TEXT,
    status            TEXT NOT NULL CHECK (status IN ('PENDING', 'ENROLLED', 'WAITLISTED',
                          'OFFERED', 'ATTENDED', 'NO_SHOW', 'CANCELLED', 'DECLINED')),
    position          INTEGER CHECK (position IS NULL OR position >= 1),
    offer_expires_at  TIMESTAMPTZ,
    reason_code       TEXT,
    reason            TEXT,
    credential_id     TEXT,
    -- The member's hashed identity for the OB3 credential (sha256$…): made at home, never a name.
    identity_hash     TEXT,
    pending_action    TEXT CHECK (pending_action IN ('DECIDE', 'WITHDRAW', 'ACCEPT_OFFER', 'ANSWER')),
    action_at         TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'WAITLISTED') = (position IS NOT NULL)),
    CHECK ((status = 'OFFERED') = (offer_expires_at IS NOT NULL)),
    CHECK (requester_node_id IS NULL OR organised_here)
);
-- One live place per member and training (ALREADY_ENROLLED), races included.
CREATE UNIQUE INDEX enrolment_member_live_idx ON enrolment (training_id, member_id)
    WHERE status IN ('PENDING', 'ENROLLED', 'WAITLISTED', 'OFFERED', 'ATTENDED', 'NO_SHOW');
CREATE INDEX enrolment_training_idx ON enrolment (training_id, status, position);
CREATE INDEX enrolment_member_idx ON enrolment (member_id, created_at);
-- The decider's queue (incoming requests to answer) and the sweeper's offers to expire.
CREATE INDEX enrolment_action_idx ON enrolment (action_at, id) WHERE pending_action IS NOT NULL;
CREATE INDEX enrolment_offer_idx ON enrolment (offer_expires_at)
    WHERE organised_here AND status = 'OFFERED';

-- Calendar feeds: trainings appear in their venue space's feed; a member may also have a feed
-- of their own enrolments (target MEMBER, created by the member or the team for them).
ALTER TABLE calendar_feed DROP CONSTRAINT calendar_feed_target_check;
ALTER TABLE calendar_feed ADD CONSTRAINT calendar_feed_target_check
    CHECK (target IN ('RESOURCE', 'SPACE', 'MEMBER'));
ALTER TABLE calendar_feed DROP CONSTRAINT calendar_feed_created_by_role_check;
ALTER TABLE calendar_feed ADD CONSTRAINT calendar_feed_created_by_role_check
    CHECK (created_by_role IN ('FABRIQUE_ADMIN', 'SATELLITE', 'MEMBER'));
