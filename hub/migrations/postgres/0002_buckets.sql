-- Regions: each family's bucket (the kab/kota of its head's FKTP), and the bucket of each
-- recorded change (NULL: global). Changes recorded before this carry none, so deltas start
-- from the current version (kiosks further behind take a snapshot once).
CREATE TABLE hub_buckets (
    kk_no  text PRIMARY KEY,
    bucket text NOT NULL
);
CREATE INDEX hub_buckets_bucket ON hub_buckets (bucket);
ALTER TABLE hub_changes ADD COLUMN bucket text;
CREATE INDEX hub_changes_bucket ON hub_changes (bucket, version);
INSERT INTO hub_buckets (kk_no, bucket)
    SELECT kk_no, substr(min(CASE WHEN relation = 'PESERTA' THEN '0' ELSE '1' END
        || card_no || fktp_code), 15, 4) FROM members GROUP BY kk_no;
INSERT INTO hub_meta (key, value)
    VALUES ('delta_base', (SELECT coalesce(max(version), 0)::text FROM hub_versions))
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
