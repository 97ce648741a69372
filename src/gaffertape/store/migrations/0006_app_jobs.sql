-- The app's background jobs (gaffertape.app.jobs): one row per job, one row per student in it.
-- A job lives here, not in the browser or the server's memory, so it survives a page reload and
-- an app restart (a job left running by a stopped app is resumed when the app starts again).
CREATE TABLE IF NOT EXISTS app_jobs (
    id               INTEGER PRIMARY KEY,
    action           TEXT NOT NULL,      -- allocation | download | codes | marks | post
    sites            TEXT NOT NULL,      -- the site locks it holds, e.g. 'submissions'
    params           TEXT NOT NULL,      -- JSON options for the workflow (e.g. third marks)
    state            TEXT NOT NULL,      -- queued | running | done | failed | cancelled
    total            INTEGER NOT NULL,   -- students in the job
    message          TEXT,               -- why it failed, or a one-line summary
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    pid              INTEGER,            -- the app process running it
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT
);

CREATE TABLE IF NOT EXISTS app_job_rows (
    job_id   INTEGER NOT NULL REFERENCES app_jobs (id),
    course   TEXT NOT NULL,
    pi       TEXT NOT NULL,
    state    TEXT NOT NULL,              -- pending | ok | failed | cancelled
    result   TEXT,                       -- the workflow's result, e.g. downloaded, fetched
    error    TEXT,
    seq      INTEGER NOT NULL DEFAULT 0, -- bumped on each change, so pages fetch only news
    PRIMARY KEY (job_id, course, pi)
);
CREATE INDEX IF NOT EXISTS app_job_rows_by_seq ON app_job_rows (job_id, seq);
