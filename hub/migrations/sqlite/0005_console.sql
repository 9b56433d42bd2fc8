-- The branch console: its people (passwords as Argon2id PHC strings), their sessions (a
-- SHA-256 of the cookie's token, never the token), and the audit log of logins and
-- decisions (no member identifiers in clear: requests are named by reference).
CREATE TABLE hub_users (
    name            TEXT PRIMARY KEY,
    role            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    created_at      TEXT NOT NULL,
    password_set_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE hub_sessions (
    token_hash TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES hub_users (name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX hub_sessions_user ON hub_sessions (user_name);
CREATE TABLE hub_audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT ''
);
