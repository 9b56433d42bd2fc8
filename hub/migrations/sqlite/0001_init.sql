-- The hub's own tables in its SQLite file, version 1, beside the kiosk schema (the current
-- rows; core/src/store/migrations.rs). Files made before hub migrations were versioned
-- already have these tables: IF NOT EXISTS adopts them. Never edit a migration that has
-- shipped: add the next one.

CREATE TABLE IF NOT EXISTS hub_versions (
    version    INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind       TEXT NOT NULL,       -- IMPORT or DECISION
    source     TEXT NOT NULL,
    upserts    INTEGER NOT NULL,
    deletes    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS hub_changes (
    seq     INTEGER PRIMARY KEY,
    version INTEGER NOT NULL,
    tbl     TEXT NOT NULL,
    op      TEXT NOT NULL,          -- u or d
    data    TEXT NOT NULL           -- JSON array: the row (u) or its key (d)
);
CREATE INDEX IF NOT EXISTS hub_changes_version ON hub_changes(version, seq);
CREATE TABLE IF NOT EXISTS hub_requests (
    id          INTEGER PRIMARY KEY,
    reference   TEXT NOT NULL UNIQUE,
    cons_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    card_no     TEXT NOT NULL,
    change      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    state       TEXT NOT NULL,      -- RECEIVED, APPROVED, REJECTED
    reason      TEXT,
    decided_at  TEXT
);
-- Integrity events: a kiosk's request whose stated digest did not match its content.
CREATE TABLE IF NOT EXISTS hub_flags (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    cons_id   TEXT NOT NULL,
    reference TEXT NOT NULL,
    code      TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hub_fleet (
    cons_id      TEXT PRIMARY KEY,
    last_seen    TEXT NOT NULL,
    heartbeats   INTEGER NOT NULL,
    health       TEXT NOT NULL
);
