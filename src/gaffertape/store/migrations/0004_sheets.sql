-- Sheets: long-form observations from messy workbooks, one row per data cell, with provenance.
CREATE TABLE sheet_observations (
    id            INTEGER PRIMARY KEY,
    source_file   TEXT NOT NULL,
    sheet         TEXT NOT NULL,
    "table"       INTEGER NOT NULL,     -- 0-based index of the table on its sheet
    table_title   TEXT,
    cell          TEXT NOT NULL,        -- e.g. C7
    row_header    TEXT,                 -- row-label path, parts joined by ' | '
    column_header TEXT,                 -- column-header path, parts joined by ' | '
    sub_table     TEXT,                 -- e.g. Full-time / Part-time
    value         REAL,                 -- the number, NULL when suppressed or text
    raw           TEXT,                 -- the cell as shown
    flags         TEXT,                 -- marker: '*', '[x]', '..', 'text', ...
    is_total      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sheet_observations_source ON sheet_observations (source_file, sheet);
