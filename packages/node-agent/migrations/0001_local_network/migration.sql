-- The node agent's local store: the fabrique's network as this node sees it, the members it
-- is home to (their personal data never leaves this database), the outbox of changes to push
-- to the hub, and the sync engine's state.

-- Spaces: the satellites this node owns (owned = true, the only records it may change) and
-- reference copies pulled from the hub (the fabrique itself, other networks' spaces).
CREATE TABLE space (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('FABRIQUE', 'SATELLITE')),
    name          TEXT NOT NULL,
    commune_code  TEXT NOT NULL,
    services      TEXT[] NOT NULL DEFAULT '{}',
    opening_hours JSONB NOT NULL DEFAULT '[]',
    status        TEXT NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
    -- For a satellite: its fabrique. Null for a fabrique.
    fabrique_id   TEXT,
    owned         BOOLEAN NOT NULL,
    closed_at     TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX space_fabrique_id_idx ON space (fabrique_id, kind);

-- Members: the pseudonymous id (a ULID) and home space travel to the hub; display_name,
-- email and phone stay here. Reference members (owned = false) carry no personal data.
CREATE TABLE member (
    id            TEXT PRIMARY KEY,
    home_space_id TEXT NOT NULL,
    display_name  TEXT,
    email         TEXT,
    phone         TEXT,
    owned         BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (owned OR (display_name IS NULL AND email IS NULL AND phone IS NULL))
);
CREATE INDEX member_home_space_id_idx ON member (home_space_id, id);

-- The outbox: every local change, appended in the transaction that made it. seq is per node,
-- gap-free from 1 (allocated under a transaction advisory lock). pushed_at stays null until
-- the hub has applied the event; rejected_* mark an event the hub refused (it blocks the
-- outbox, visibly, until the record changes again or an operator retries it).
CREATE TABLE outbox (
    seq              BIGINT PRIMARY KEY CHECK (seq >= 1),
    id               TEXT NOT NULL UNIQUE,
    entity           TEXT NOT NULL,
    entity_id        TEXT NOT NULL,
    op               TEXT NOT NULL CHECK (op IN ('UPSERT', 'DELETE')),
    payload          JSONB,
    occurred_at      TIMESTAMPTZ NOT NULL,
    schema_version   INTEGER NOT NULL,
    pushed_at        TIMESTAMPTZ,
    rejected_code    TEXT,
    rejected_message TEXT,
    rejected_at      TIMESTAMPTZ
);
CREATE INDEX outbox_unpushed_idx ON outbox (seq) WHERE pushed_at IS NULL;
CREATE INDEX outbox_unpushed_entity_idx ON outbox (entity, entity_id, seq) WHERE pushed_at IS NULL;

-- The sync engine's state: one row.
CREATE TABLE sync_state (
    id            BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    -- Offset in the hub's log after which to pull next; stored with the events it covers.
    pull_cursor   TEXT NOT NULL DEFAULT '0',
    last_push_at  TIMESTAMPTZ,
    last_pull_at  TIMESTAMPTZ,
    last_error    TEXT,
    last_error_at TIMESTAMPTZ,
    -- Null until the first attempt.
    hub_reachable BOOLEAN
);
INSERT INTO sync_state (id) VALUES (TRUE);
