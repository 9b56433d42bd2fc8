-- Software updates (docs/updates.md): RAUC bundles offered to kiosks by channel, with a
-- staged rollout (the percentage of kiosks it reaches) and a pause. The bundle's bytes are
-- in the store too, in 1 MiB chunks, so every replica serves them without a shared disk.
CREATE TABLE hub_updates (
    sha256    text PRIMARY KEY,
    version   text NOT NULL,
    channel   text NOT NULL,
    size      bigint NOT NULL,
    added_at  bigint NOT NULL,
    added_by  text NOT NULL,
    rollout   integer NOT NULL DEFAULT 0 CHECK (rollout BETWEEN 0 AND 100),
    paused    boolean NOT NULL DEFAULT false,
    -- false while its chunks are being stored: never offered nor served.
    complete  boolean NOT NULL DEFAULT false
);
CREATE INDEX hub_updates_by_channel ON hub_updates (channel, added_at);
CREATE TABLE hub_update_chunks (
    sha256 text NOT NULL REFERENCES hub_updates (sha256) ON DELETE CASCADE,
    idx    integer NOT NULL,
    data   bytea NOT NULL,
    PRIMARY KEY (sha256, idx)
);
