-- Dataset uploads from the console: running (no finished_at) or done, with their outcome
-- (JSON: the import's summary, or why the data was refused; rules and lines, never a
-- member's values). In the store, so any replica shows an upload's progress.
CREATE TABLE hub_jobs (
    id          TEXT PRIMARY KEY,
    by_user     TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT
) WITHOUT ROWID;
