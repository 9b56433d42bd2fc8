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
-- The same counts summed per kiosk and day, kept by triggers as rows come and change, so a
-- figures page reads a row per kiosk, day, metric and key, not one per half hour.
CREATE TABLE hub_counts_daily (
    cons_id TEXT NOT NULL,
    day     TEXT NOT NULL,
    metric  TEXT NOT NULL,
    key     TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (cons_id, day, metric, key)
) WITHOUT ROWID;
CREATE INDEX hub_counts_daily_by_day ON hub_counts_daily (day);
CREATE TRIGGER hub_counts_daily_insert AFTER INSERT ON hub_counts BEGIN
    INSERT INTO hub_counts_daily (cons_id, day, metric, key, n)
    VALUES (NEW.cons_id, substr(NEW.slot, 1, 10), NEW.metric, NEW.key, NEW.n)
    ON CONFLICT (cons_id, day, metric, key) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER hub_counts_daily_update AFTER UPDATE OF n ON hub_counts BEGIN
    UPDATE hub_counts_daily SET n = n + NEW.n - OLD.n
    WHERE cons_id = NEW.cons_id AND day = substr(NEW.slot, 1, 10)
      AND metric = NEW.metric AND key = NEW.key;
END;
