-- Activity: one report per space and day, revisable (a revision replaces the row and sends an
-- ACTIVITY UPSERT with the new state; a withdrawal deletes it and sends a DELETE). The note
-- stays here: the events carry the counts only (ActivityPayload is strict).
CREATE TABLE activity_report (
    space_id     TEXT NOT NULL,
    day          DATE NOT NULL,
    visitors     INTEGER NOT NULL CHECK (visitors >= 0),
    events       INTEGER NOT NULL CHECK (events >= 0),
    participants INTEGER NOT NULL CHECK (participants >= 0),
    open_hours   NUMERIC(4, 2) NOT NULL CHECK (open_hours >= 0 AND open_hours <= 24),
    note         TEXT,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, day)
);

-- The idempotency keys of reportActivity: a re-send with the same key and the same content
-- changes nothing; the same key with other content is refused. Kept after a withdrawal, so a
-- late re-send does not bring a withdrawn report back.
CREATE TABLE activity_request (
    idempotency_key TEXT PRIMARY KEY,
    space_id        TEXT NOT NULL,
    day             DATE NOT NULL,
    request_hash    TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
