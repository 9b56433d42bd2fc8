-- On-demand lookups of members from other regions: calls per kiosk per minute, and
-- failures per identifier (a keyed hash, never the NIK or card) with its lock.
CREATE TABLE hub_lookup_rate (
    cons_id TEXT NOT NULL,
    minute  INTEGER NOT NULL,
    calls   INTEGER NOT NULL,
    PRIMARY KEY (cons_id, minute)
) WITHOUT ROWID;
CREATE TABLE hub_lookup_failures (
    key_hash     TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until INTEGER
) WITHOUT ROWID;
