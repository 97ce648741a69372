-- Demographics: student records, their aggregates and comparator tables (see docs/demographics.md).
CREATE TABLE demographics_datasets (
    name        TEXT PRIMARY KEY,     -- e.g. 'institution', 'oulad', 'synthetic', 'hesa-2022'
    kind        TEXT NOT NULL,        -- 'records' or 'comparators'
    source      TEXT NOT NULL,        -- file or folder it was loaded from, or 'generated'
    synthetic   INTEGER NOT NULL DEFAULT 0,  -- 1 = made up by the generator, never real people
    rows        INTEGER NOT NULL,
    notes       TEXT,                 -- band merges, assumptions
    loaded_at   TEXT NOT NULL
);
-- One row per study record (see gaffertape.demographics.records for the meaning of each field).
CREATE TABLE demographics_students (
    dataset       TEXT NOT NULL,
    student_id    TEXT NOT NULL,
    birth_year    INTEGER,
    age_band      TEXT,
    sex           TEXT NOT NULL,      -- F, M, other, unknown
    year_joined   INTEGER,
    year_left     INTEGER,
    graduated     INTEGER NOT NULL,
    qualification TEXT,
    age_status    TEXT NOT NULL,      -- ok, missing, invalid, ambiguous
    sex_status    TEXT NOT NULL,
    year_status   TEXT NOT NULL
);
CREATE INDEX demographics_students_dataset ON demographics_students (dataset);
-- The four populations per year by age band and sex (unknown age/sex included as 'unknown').
CREATE TABLE demographics_distributions (
    dataset     TEXT NOT NULL,
    year        INTEGER NOT NULL,
    population  TEXT NOT NULL,        -- joined, studying, graduated, graduates to date
    age_band    TEXT NOT NULL,
    sex         TEXT NOT NULL,
    count       INTEGER NOT NULL
);
CREATE INDEX demographics_distributions_dataset ON demographics_distributions (dataset, year);
-- How many records of each dataset had each status for age, sex and years.
CREATE TABLE demographics_quality (
    dataset TEXT NOT NULL,
    field   TEXT NOT NULL,            -- age, sex, year
    status  TEXT NOT NULL,            -- ok, missing, invalid, ambiguous
    count   INTEGER NOT NULL
);
-- Aggregate counts of other institutions, as published (HESA) or generated.
-- age_band 'all ages' / sex 'all' mark a margin: the source did not cross the two.
CREATE TABLE demographics_comparators (
    dataset     TEXT NOT NULL,
    institution TEXT NOT NULL,
    year        INTEGER NOT NULL,
    population  TEXT NOT NULL,
    age_band    TEXT NOT NULL,
    sex         TEXT NOT NULL,        -- F, M, other, unknown, all
    count       REAL NOT NULL
);
CREATE INDEX demographics_comparators_dataset ON demographics_comparators (dataset);
