-- Member mobility (issue 11): consent, passes, visits, disclosures. docs/mobility.md.
--
-- 1. At the member's home only: the two personal fields a pass may disclose besides email and
--    phone, and the member's consent, field by field (default: none). A replica of another
--    node's member never has them (personal data stays home).
ALTER TABLE member
    ADD COLUMN first_name   TEXT,
    ADD COLUMN organisation TEXT,
    ADD COLUMN pass_consent TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE member ADD CONSTRAINT member_mobility_fields_at_home
    CHECK (owned OR (first_name IS NULL AND organisation IS NULL AND cardinality(pass_consent) = 0));
ALTER TABLE member ADD CONSTRAINT member_pass_consent_fields
    CHECK (pass_consent <@ ARRAY['firstName', 'email', 'phone', 'organisation']);

-- 2. Passes (entity PASS): owned by the member's home node, replicated to every node so that
--    any node refuses a revoked pass and finds a pass by its short code offline. Only the home
--    keeps the signed SD-JWT (its disclosures carry personal fields) and the short code itself;
--    every node keeps the short code's hash. At most one ACTIVE pass per member at home.
CREATE TABLE pass (
    id                TEXT PRIMARY KEY,
    member_id         TEXT NOT NULL,
    home_space_id     TEXT NOT NULL,
    valid_from        TIMESTAMPTZ NOT NULL,
    valid_until       TIMESTAMPTZ NOT NULL,
    short_code_hash   TEXT NOT NULL UNIQUE,
    status            TEXT NOT NULL CHECK (status IN ('ACTIVE', 'REVOKED')),
    revocation_reason TEXT CHECK (revocation_reason IN ('LOST', 'LEFT', 'ERASED', 'REPLACED')),
    owned             BOOLEAN NOT NULL,
    sd_jwt            TEXT,
    short_code        TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (valid_from < valid_until),
    CHECK ((status = 'REVOKED') = (revocation_reason IS NOT NULL)),
    CHECK (owned = (sd_jwt IS NOT NULL) AND owned = (short_code IS NOT NULL))
);
CREATE INDEX pass_member_idx ON pass (member_id, created_at DESC);
CREATE UNIQUE INDEX pass_one_active_idx ON pass (member_id) WHERE owned AND status = 'ACTIVE';

-- 3. Visits (entity VISIT): owned by the visited space's node; the member's home node keeps
--    the replicas routed to it. member_id NULL: the member was erased (an anonymous count).
--    day: the visited space's local (Europe/Paris) date of the arrival.
CREATE TABLE visit (
    id            TEXT PRIMARY KEY,
    member_id     TEXT,
    home_space_id TEXT NOT NULL,
    space_id      TEXT NOT NULL,
    day           DATE NOT NULL,
    arrived_at    TIMESTAMPTZ NOT NULL,
    departed_at   TIMESTAMPTZ,
    method        TEXT NOT NULL CHECK (method IN ('PASS', 'SHORT_CODE')),
    pass_id       TEXT,
    owned         BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (departed_at IS NULL OR departed_at > arrived_at)
);
CREATE INDEX visit_space_idx ON visit (space_id, arrived_at DESC, id);
CREATE INDEX visit_home_space_idx ON visit (home_space_id, arrived_at DESC, id);
CREATE INDEX visit_member_idx ON visit (member_id, arrived_at DESC, id);

-- 4. What a member chose to show at check-in (the SD-JWT disclosures presented), at the
--    visited node only, never sent: deleted by the retention sweeper at expires_at
--    (VISIT_DISCLOSURE_RETENTION_DAYS after the check-in).
CREATE TABLE visit_disclosure (
    visit_id     TEXT PRIMARY KEY REFERENCES visit (id) ON DELETE CASCADE,
    member_id    TEXT NOT NULL,
    first_name   TEXT,
    email        TEXT,
    phone        TEXT,
    organisation TEXT,
    disclosed_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX visit_disclosure_expires_idx ON visit_disclosure (expires_at);
CREATE INDEX visit_disclosure_member_idx ON visit_disclosure (member_id);
