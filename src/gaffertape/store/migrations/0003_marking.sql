-- Marking: the latest computed flags, one row per script, for SQL queries and other capabilities
-- (e.g. posting final marks). Rebuilt from `marks` on every `gaffertape marking` report run,
-- so it is a view of the data, never a source of truth.
CREATE TABLE marking_flags (
    course          TEXT NOT NULL,
    pi              TEXT NOT NULL,
    status          TEXT NOT NULL,   -- agreed | needs third marker | third marked | awaiting ...
    flagged         INTEGER NOT NULL,
    reasons         TEXT,
    first_pct       REAL,
    second_pct      REAL,
    third_pct       REAL,
    average_pct     REAL,
    final_pct       REAL,
    final_grade     TEXT,
    final_qualifier TEXT,
    generated_at    TEXT NOT NULL,
    PRIMARY KEY (course, pi)
);
