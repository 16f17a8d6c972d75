-- Mobility (issue 11): settlement and erasure at the agents.
--
-- tariff: what a visited space charges the home place for a visit or a member-day, from a day
-- on (entity TARIFF, entityId `<spaceId>:<validFrom>`). Owned by the space's node, replicated
-- to every node: both ends price the same visits from the same versions. Amounts in integer
-- euro cents; a tariff is per visit or per day (or free: both null).
CREATE TABLE tariff (
    space_id        TEXT NOT NULL,
    valid_from      DATE NOT NULL,
    per_visit_cents INTEGER CHECK (per_visit_cents >= 0),
    per_day_cents   INTEGER CHECK (per_day_cents >= 0),
    owned           BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, valid_from),
    CHECK (per_visit_cents IS NULL OR per_day_cents IS NULL)
);

-- member_erasure: another node erased one of its members (a pulled MEMBER DELETE) and this
-- node still has to revoke the credentials it issued to that member (status bit set, signed
-- list and CREDENTIAL DELETE sent), which takes the node's key and the outbox: done right after
-- the pull by the erasure sweeper, then the row goes. Holds the pseudonymous id only, and only
-- until then.
CREATE TABLE member_erasure (
    member_id   TEXT PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
