-- The branch console: its people (passwords as Argon2id PHC strings), their sessions (a
-- SHA-256 of the cookie's token, never the token), and the audit log of logins and
-- decisions (no member identifiers in clear: requests are named by reference). Failures
-- and locks live here, so a lockout holds on every replica.
CREATE TABLE hub_users (
    name            text PRIMARY KEY,
    role            text NOT NULL,
    password_hash   text NOT NULL,
    disabled        boolean NOT NULL DEFAULT false,
    failures        bigint NOT NULL DEFAULT 0,
    locked_until    bigint,
    created_at      text NOT NULL,
    password_set_at text NOT NULL
);
CREATE TABLE hub_sessions (
    token_hash text PRIMARY KEY,
    user_name  text NOT NULL REFERENCES hub_users (name) ON DELETE CASCADE,
    csrf       text NOT NULL,
    created_at bigint NOT NULL,
    last_seen  bigint NOT NULL
);
CREATE INDEX hub_sessions_user ON hub_sessions (user_name);
CREATE TABLE hub_audit (
    id      bigserial PRIMARY KEY,
    at      text NOT NULL,
    actor   text NOT NULL,
    action  text NOT NULL,
    subject text NOT NULL DEFAULT '',
    detail  text NOT NULL DEFAULT ''
);
