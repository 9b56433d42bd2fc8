-- Kiosks registered by the console or `anjungan-hub kiosks`, beside `--kiosks FILE`. A row
-- here wins over the file's entry of the same cons_id: a new secret, or a revocation. The
-- secret is kept as given (it signs the kiosk's calls, so every replica needs it whole):
-- the database server's disk must be encrypted (docs/security.md).
CREATE TABLE hub_kiosks (
    cons_id    text PRIMARY KEY,
    secret     text NOT NULL,
    name       text,
    lat        double precision,
    lon        double precision,
    revoked    boolean NOT NULL DEFAULT false,
    created_at text NOT NULL,
    updated_at text NOT NULL
);
