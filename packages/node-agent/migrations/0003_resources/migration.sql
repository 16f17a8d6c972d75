-- Shared resources (issue 5, owner-local part): what this node's spaces lend or open to others,
-- and their bookings. Kept at this agent only for now: no RESOURCE/BOOKING events travel yet.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE resource (
    id                      TEXT PRIMARY KEY,
    -- The space hosting it: the fabrique or one of the satellites this node owns.
    space_id                TEXT NOT NULL,
    name                    TEXT NOT NULL,
    category                TEXT NOT NULL
        CHECK (category IN ('MACHINE', 'ROOM', 'VEHICLE', 'KIT', 'DESK', 'OTHER')),
    description             TEXT,
    sharing_scope           TEXT NOT NULL CHECK (sharing_scope IN ('LOCAL', 'NETWORK', 'NATIONAL')),
    required_credential     TEXT,
    -- Booking rules, in minutes.
    min_minutes             INTEGER NOT NULL CHECK (min_minutes > 0),
    max_minutes             INTEGER NOT NULL,
    lead_minutes            INTEGER NOT NULL CHECK (lead_minutes >= 0),
    cancel_deadline_minutes INTEGER NOT NULL CHECK (cancel_deadline_minutes >= 0),
    status                  TEXT NOT NULL CHECK (status IN ('AVAILABLE', 'MAINTENANCE', 'RETIRED')),
    movable                 BOOLEAN NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (max_minutes >= min_minutes)
);

CREATE INDEX resource_space_idx ON resource (space_id, name);

-- A booking is for one member or one space, never both. Slots are half-open [from, to): one
-- ending at 10:00 and one starting at 10:00 do not overlap. No double booking, ever: two
-- CONFIRMED bookings of one resource cannot overlap, whatever the concurrency (SQLSTATE 23P01).
CREATE TABLE booking (
    id                TEXT PRIMARY KEY,
    resource_id       TEXT NOT NULL REFERENCES resource (id),
    during            TSTZRANGE NOT NULL CHECK (NOT isempty(during)),
    booked_for_member TEXT,
    booked_for_space  TEXT,
    status            TEXT NOT NULL CHECK (status IN ('CONFIRMED', 'CANCELLED')),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at      TIMESTAMPTZ,
    CHECK ((booked_for_member IS NULL) <> (booked_for_space IS NULL)),
    CONSTRAINT booking_no_overlap
        EXCLUDE USING gist (resource_id WITH =, during WITH &&) WHERE (status = 'CONFIRMED')
);
