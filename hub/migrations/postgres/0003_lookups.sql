-- On-demand lookups of members from other regions: calls per kiosk per minute, and
-- failures per identifier (a keyed hash, never the NIK or card) with its lock. Shared by
-- every replica, so the limits hold across them.
CREATE TABLE hub_lookup_rate (
    cons_id text NOT NULL,
    minute  bigint NOT NULL,
    calls   bigint NOT NULL,
    PRIMARY KEY (cons_id, minute)
);
CREATE TABLE hub_lookup_failures (
    key_hash     text PRIMARY KEY,
    window_start bigint NOT NULL,
    failures     bigint NOT NULL,
    locked_until bigint
);
