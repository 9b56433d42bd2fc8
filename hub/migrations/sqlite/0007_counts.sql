-- The kiosks' counts for the console's figures, as each heartbeat carries them
-- (anjungan_core::counters): per kiosk, 30-minute slot of the kiosk's clock (ratings: day),
-- metric and key (service, fault code or stars). Counts only, nothing about a member. A
-- row holds the kiosk's whole count, so one sent again is stored the same.
CREATE TABLE hub_counts (
    cons_id TEXT NOT NULL,
    slot    TEXT NOT NULL,
    metric  TEXT NOT NULL,
    key     TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (cons_id, slot, metric, key)
) WITHOUT ROWID;
CREATE INDEX hub_counts_by_slot ON hub_counts (slot);
-- The branch office a kiosk belongs to, for figures per branch.
ALTER TABLE hub_kiosks ADD COLUMN branch TEXT;
