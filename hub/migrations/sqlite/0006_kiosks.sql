-- Kiosks registered by the console or `anjungan-hub kiosks`, beside `--kiosks FILE`. A row
-- here wins over the file's entry of the same cons_id: a new secret, or a revocation. The
-- secret is kept as given (it signs the kiosk's calls, so the hub needs it whole); the
-- file is encrypted at rest like the rest of this database.
CREATE TABLE hub_kiosks (
    cons_id    TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    name       TEXT,
    lat        REAL,
    lon        REAL,
    revoked    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
