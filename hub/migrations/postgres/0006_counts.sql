-- The kiosks' counts for the console's figures, as each heartbeat carries them
-- (anjungan_core::counters): per kiosk, 30-minute slot of the kiosk's clock (ratings: day),
-- metric and key (service, fault code or stars). Counts only, nothing about a member. A
-- row holds the kiosk's whole count, so one sent again is stored the same.
CREATE TABLE hub_counts (
    cons_id text NOT NULL,
    slot    text COLLATE "C" NOT NULL, -- compared as text: days before their half hours
    metric  text NOT NULL,
    key     text NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (cons_id, slot, metric, key)
);
CREATE INDEX hub_counts_by_slot ON hub_counts (slot);
-- The branch office a kiosk belongs to, for figures per branch.
ALTER TABLE hub_kiosks ADD COLUMN branch text;
