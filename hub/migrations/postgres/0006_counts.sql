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
-- The same counts summed per kiosk and day, kept by a trigger as rows come and change, so a
-- figures page reads a row per kiosk, day, metric and key, not one per half hour.
CREATE TABLE hub_counts_daily (
    cons_id text NOT NULL,
    day     text COLLATE "C" NOT NULL,
    metric  text NOT NULL,
    key     text NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (cons_id, day, metric, key)
);
CREATE INDEX hub_counts_daily_by_day ON hub_counts_daily (day);
CREATE FUNCTION hub_counts_daily_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO hub_counts_daily (cons_id, day, metric, key, n)
    VALUES (NEW.cons_id, substr(NEW.slot, 1, 10), NEW.metric, NEW.key,
            NEW.n - CASE WHEN TG_OP = 'UPDATE' THEN OLD.n ELSE 0 END)
    ON CONFLICT (cons_id, day, metric, key)
    DO UPDATE SET n = hub_counts_daily.n + EXCLUDED.n;
    RETURN NULL;
END $$;
CREATE TRIGGER hub_counts_daily_keep AFTER INSERT OR UPDATE OF n ON hub_counts
    FOR EACH ROW EXECUTE FUNCTION hub_counts_daily_keep();
