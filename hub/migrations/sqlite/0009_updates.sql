-- Software updates (docs/updates.md): RAUC bundles offered to kiosks by channel, with a
-- staged rollout (the percentage of kiosks it reaches) and a pause. The bundle's bytes are
-- in the store too, in 1 MiB chunks, so every hub serves them without a shared disk.
CREATE TABLE hub_updates (
    sha256    TEXT PRIMARY KEY,
    version   TEXT NOT NULL,
    channel   TEXT NOT NULL,
    size      INTEGER NOT NULL,
    added_at  INTEGER NOT NULL,
    added_by  TEXT NOT NULL,
    rollout   INTEGER NOT NULL DEFAULT 0 CHECK (rollout BETWEEN 0 AND 100),
    paused    INTEGER NOT NULL DEFAULT 0,
    -- 0 while its chunks are being stored: never offered nor served.
    complete  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX hub_updates_by_channel ON hub_updates (channel, added_at);
CREATE TABLE hub_update_chunks (
    sha256 TEXT NOT NULL REFERENCES hub_updates (sha256) ON DELETE CASCADE,
    idx    INTEGER NOT NULL,
    data   BLOB NOT NULL,
    PRIMARY KEY (sha256, idx)
);
