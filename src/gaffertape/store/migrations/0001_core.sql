-- Core tables shared by every capability.

-- One row per user-facing command run: what ran, when, and how it ended.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    command     TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL DEFAULT 'running',   -- running | ok | failed
    summary     TEXT                               -- JSON
);
