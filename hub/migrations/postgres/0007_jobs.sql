-- Dataset uploads from the console: running (no finished_at) or done, with their outcome
-- (JSON: the import's summary, or why the data was refused; rules and lines, never a
-- member's values). In the store, so any replica shows an upload's progress.
CREATE TABLE hub_jobs (
    id          text PRIMARY KEY,
    by_user     text NOT NULL,
    started_at  bigint NOT NULL,
    finished_at bigint,
    outcome     text
);
