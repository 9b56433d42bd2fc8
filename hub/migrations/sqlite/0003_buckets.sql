-- Regions: each family's bucket (the kab/kota of its head's FKTP), and the bucket of each
-- recorded change (NULL: global). Changes recorded before this carry none, so deltas start
-- from the current version (kiosks further behind take a snapshot once).
CREATE TABLE hub_buckets (
    kk_no  TEXT PRIMARY KEY,
    bucket TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX hub_buckets_bucket ON hub_buckets(bucket);
ALTER TABLE hub_changes ADD COLUMN bucket TEXT;
INSERT INTO hub_buckets (kk_no, bucket)
    SELECT kk_no, substr(min(CASE WHEN relation = 'PESERTA' THEN '0' ELSE '1' END
        || card_no || fktp_code), 15, 4) FROM members GROUP BY kk_no;
INSERT OR REPLACE INTO sync_meta (key, value)
    VALUES ('hub_delta_base', (SELECT coalesce(max(version), 0) FROM hub_versions));
