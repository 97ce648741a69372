-- Sites capability: what was scraped from (and posted to) the institution's web systems.

-- The allocation: one row per student per presentation.
CREATE TABLE IF NOT EXISTS students (
    course      TEXT NOT NULL,
    pi          TEXT NOT NULL,
    name        TEXT,
    tutor_group TEXT,
    status      TEXT,
    marks_url   TEXT,
    third_url   TEXT,
    source      TEXT,              -- site profile name, or 'paste'
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (course, pi)
);

-- The download manifest: one row per student whose submission was fetched (or tried).
CREATE TABLE IF NOT EXISTS downloads (
    course          TEXT NOT NULL,
    pi              TEXT NOT NULL,
    status          TEXT NOT NULL,  -- ok | failed | no_submission
    zip_path        TEXT,
    zip_size        INTEGER,
    zip_sha256      TEXT,
    content_length  INTEGER,
    extracted_dir   TEXT,
    n_files         INTEGER,
    rejected        TEXT,           -- JSON list of zip entries refused (traversal, absolute, links)
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    downloaded_at   TEXT NOT NULL,
    PRIMARY KEY (course, pi)
);

-- Every extracted file of a verified download.
CREATE TABLE IF NOT EXISTS download_files (
    course  TEXT NOT NULL,
    pi      TEXT NOT NULL,
    path    TEXT NOT NULL,          -- relative to the student's scripts folder
    size    INTEGER NOT NULL,
    sha256  TEXT NOT NULL,
    PRIMARY KEY (course, pi, path)
);

-- The files table listed on the submission page (what the server says was submitted).
CREATE TABLE IF NOT EXISTS submitted_files (
    course    TEXT NOT NULL,
    pi        TEXT NOT NULL,
    file      TEXT NOT NULL,
    size      INTEGER,
    submitted TEXT,
    PRIMARY KEY (course, pi, file)
);

-- Confirmation codes.
CREATE TABLE IF NOT EXISTS codes (
    course     TEXT NOT NULL,
    pi         TEXT NOT NULL,
    code       TEXT,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (course, pi)
);

-- Marks in long form (the contract with the marking capability; see docs/architecture.md).
CREATE TABLE IF NOT EXISTS marks (
    course   TEXT NOT NULL,
    pi       TEXT NOT NULL,
    role     TEXT NOT NULL,         -- first | second | third
    marker   TEXT,
    category TEXT NOT NULL,
    mark     REAL,
    comments TEXT
);
CREATE INDEX IF NOT EXISTS marks_by_student ON marks (course, pi, role);

-- Audit log of every third-mark post (and every skip / dry run), never deleted.
CREATE TABLE IF NOT EXISTS posts (
    id        INTEGER PRIMARY KEY,
    course    TEXT NOT NULL,
    pi        TEXT NOT NULL,
    action    TEXT NOT NULL,        -- posted | verified | skipped | dry-run | failed
    marks     TEXT,                 -- JSON {category: mark}
    comments  TEXT,
    code      TEXT,
    verified  INTEGER,              -- 1 when read back and matching
    message   TEXT,
    at        TEXT NOT NULL
);

-- When each student's marks were last fetched, and the allocation status then: a rerun skips
-- students whose status has not changed (no request at all).
CREATE TABLE IF NOT EXISTS marks_fetched (
    course     TEXT NOT NULL,
    pi         TEXT NOT NULL,
    status     TEXT,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (course, pi)
);
