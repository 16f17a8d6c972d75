-- Calendar feeds (issue 5, point 8): a read-only iCalendar feed of the bookings of one resource
-- or one space, fetched at /calendar/<id>.ics?token=<secret>. Only the SHA-256 of the secret is
-- kept: the secret is shown once, at creation, and cannot be read back. A revoked feed stays
-- (revoked_at set) and answers 404. The target is not a foreign key: a feed names a resource or
-- a space by id, and answers 404 when its target is gone.
CREATE TABLE calendar_feed (
    id              TEXT PRIMARY KEY,
    target          TEXT NOT NULL CHECK (target IN ('RESOURCE', 'SPACE')),
    target_id       TEXT NOT NULL,
    token_sha256    BYTEA NOT NULL CHECK (octet_length(token_sha256) = 32),
    label           TEXT CHECK (label IS NULL OR length(label) <= 200),
    -- Who created it: the token's role and subject (never a member's personal data).
    created_by_role TEXT NOT NULL CHECK (created_by_role IN ('FABRIQUE_ADMIN', 'SATELLITE')),
    created_by_sub  TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at      TIMESTAMPTZ
);

CREATE INDEX calendar_feed_target_idx ON calendar_feed (target, target_id);

-- A space's feed lists the bookings made for it, wherever the resource is hosted.
CREATE INDEX IF NOT EXISTS booking_for_space_idx ON booking (booked_for_space)
    WHERE booked_for_space IS NOT NULL;
