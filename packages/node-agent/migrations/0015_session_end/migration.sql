-- Web sessions ended by POST /logout (docs/sign-in.md): the session JWT's id (jti), so that its
-- cookie is refused although the token has not expired. A row is kept until its session would
-- have expired anyway (plus a margin for clock skew).
CREATE TABLE session_end (
  jti TEXT PRIMARY KEY,
  ended_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX session_end_expires_at_idx ON session_end (expires_at);
