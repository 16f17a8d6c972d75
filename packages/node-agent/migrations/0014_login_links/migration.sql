-- One-time login links of the web app (docs/sign-in.md): the id (jti) of each link redeemed,
-- so that a link opens one session only. A row is kept until its link would have expired anyway.
CREATE TABLE login_link_use (
  jti TEXT PRIMARY KEY,
  used_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_link_use_expires_at_idx ON login_link_use (expires_at);
