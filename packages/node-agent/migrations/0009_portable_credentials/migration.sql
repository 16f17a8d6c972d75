-- Portable credentials (issue 10, point 6): Open Badges 3.0, the network's node keys, status
-- lists.
--
-- 1. The salt of a member's hashed identity (Open Badges 3.0 IdentityObject, identityHash =
--    sha256$hex(sha256(normalised name || salt))): made at the member's home node the first time
--    it is needed, kept there only (a replica of another node's member never has one), shown
--    only in the member's own export so that a verifier can re-hash the name.
ALTER TABLE member ADD COLUMN identity_salt TEXT;
ALTER TABLE member ADD CONSTRAINT member_identity_salt_at_home CHECK (owned OR identity_salt IS NULL);

-- 2. Credentials carry the training whose attendance issued them (null: granted by the home
--    team) and their signed OpenBadgeCredential (a VC-JWT; null for those issued before).
--    signed_by: for one this node owns, the node whose key signed its vc; an owned credential
--    not signed by this node (granted before signing existed, or handed over from the node this
--    one replaced, whose key is withdrawn) is signed again at start (credential.service.ts).
ALTER TABLE credential ADD COLUMN training_id TEXT, ADD COLUMN vc TEXT, ADD COLUMN signed_by TEXT;
CREATE INDEX credential_to_sign_idx ON credential (id) WHERE owned AND signed_by IS NULL;

-- 3. This node's status list (W3C Bitstring Status List v1.0): one index per credential it
--    issued, drawn at random among the free ones ("Group Privacy"), never reused; a
--    revoked credential keeps its row with revoked_at set (its bit is 1). list_length: the
--    bitstring's length in bits when the index was drawn (at least 131,072: 16 KB).
CREATE TABLE credential_status (
    status_index  INTEGER PRIMARY KEY CHECK (status_index >= 0),
    credential_id TEXT NOT NULL UNIQUE,
    revoked_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX credential_status_revoked_idx ON credential_status (status_index) WHERE revoked_at IS NOT NULL;

-- 4. Status lists as VC-JWTs: this node's own (owned, re-signed at every revocation) and the
--    other nodes' replicated from STATUS_LIST events, served offline at /credentials/status/<node>.
CREATE TABLE status_list (
    node_id    TEXT PRIMARY KEY,
    vc         TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    owned      BOOLEAN NOT NULL
);

-- 5. Every node's public key as the hub publishes it (NODE_KEY events; DELETE: replaced or
--    removed), served offline as a JWKS at /.well-known/nodes.jwks.json.
CREATE TABLE node_key (
    node_id     TEXT PRIMARY KEY,
    fabrique_id TEXT NOT NULL,
    public_jwk  JSONB NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
