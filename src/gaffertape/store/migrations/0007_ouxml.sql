-- OU-XML: course documents as a database. Every component row keeps its document and the XPath
-- it came from; deleting a document (re-ingest) removes its rows through ON DELETE CASCADE.
CREATE TABLE ouxml_documents (
    doc_id         INTEGER PRIMARY KEY,
    source         TEXT NOT NULL UNIQUE,  -- file name, or zip name/member
    sha256         TEXT NOT NULL,
    course_code    TEXT NOT NULL,
    course_title   TEXT,
    item_title     TEXT,
    schema_version TEXT,                  -- 1.2, 2.0, or 'fragment' when the root is not Item
    word_count     INTEGER NOT NULL,
    ingested_at    TEXT NOT NULL
);
-- Unit > Session > Section (or InternalSection) > SubSection > SubSubSection.
CREATE TABLE ouxml_nodes (
    node_id    INTEGER PRIMARY KEY,
    doc_id     INTEGER NOT NULL REFERENCES ouxml_documents (doc_id) ON DELETE CASCADE,
    parent_id  INTEGER REFERENCES ouxml_nodes (node_id) ON DELETE CASCADE,
    ordinal    INTEGER NOT NULL,         -- document order
    kind       TEXT NOT NULL,
    title      TEXT,
    word_count INTEGER NOT NULL,         -- words in the node, its sub-nodes included
    xpath      TEXT NOT NULL
);
CREATE TABLE ouxml_outcomes (
    id      INTEGER PRIMARY KEY,
    doc_id  INTEGER NOT NULL REFERENCES ouxml_documents (doc_id) ON DELETE CASCADE,
    node_id INTEGER REFERENCES ouxml_nodes (node_id) ON DELETE CASCADE,
    text    TEXT NOT NULL,
    xpath   TEXT NOT NULL
);
CREATE TABLE ouxml_glossary (
    id         INTEGER PRIMARY KEY,
    doc_id     INTEGER NOT NULL REFERENCES ouxml_documents (doc_id) ON DELETE CASCADE,
    node_id    INTEGER REFERENCES ouxml_nodes (node_id) ON DELETE CASCADE,
    term       TEXT NOT NULL,
    definition TEXT,
    xpath      TEXT NOT NULL
);
CREATE TABLE ouxml_figures (
    id          INTEGER PRIMARY KEY,
    doc_id      INTEGER NOT NULL REFERENCES ouxml_documents (doc_id) ON DELETE CASCADE,
    node_id     INTEGER REFERENCES ouxml_nodes (node_id) ON DELETE CASCADE,
    image_file  TEXT,
    caption     TEXT,
    alt         TEXT,
    description TEXT,                    -- the long description
    xpath       TEXT NOT NULL
);
CREATE TABLE ouxml_media (
    id             INTEGER PRIMARY KEY,
    doc_id         INTEGER NOT NULL REFERENCES ouxml_documents (doc_id) ON DELETE CASCADE,
    node_id        INTEGER REFERENCES ouxml_nodes (node_id) ON DELETE CASCADE,
    media_type     TEXT,
    src            TEXT,
    caption        TEXT,
    has_transcript INTEGER NOT NULL,
    xpath          TEXT NOT NULL
);
CREATE TABLE ouxml_links (
    id      INTEGER PRIMARY KEY,
    doc_id  INTEGER NOT NULL REFERENCES ouxml_documents (doc_id) ON DELETE CASCADE,
    node_id INTEGER REFERENCES ouxml_nodes (node_id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,               -- external (a/@href), olink (@targetdoc), crossref (@idref)
    target  TEXT NOT NULL,
    text    TEXT,
    xpath   TEXT NOT NULL
);
CREATE TABLE ouxml_activities (
    id      INTEGER PRIMARY KEY,
    doc_id  INTEGER NOT NULL REFERENCES ouxml_documents (doc_id) ON DELETE CASCADE,
    node_id INTEGER REFERENCES ouxml_nodes (node_id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,               -- activity, saq, exercise
    title   TEXT,
    text    TEXT,
    xpath   TEXT NOT NULL
);
CREATE TABLE ouxml_references (
    id      INTEGER PRIMARY KEY,
    doc_id  INTEGER NOT NULL REFERENCES ouxml_documents (doc_id) ON DELETE CASCADE,
    node_id INTEGER REFERENCES ouxml_nodes (node_id) ON DELETE CASCADE,
    text    TEXT NOT NULL,
    xpath   TEXT NOT NULL
);
CREATE INDEX ouxml_nodes_doc ON ouxml_nodes (doc_id);
CREATE INDEX ouxml_outcomes_doc ON ouxml_outcomes (doc_id);
CREATE INDEX ouxml_glossary_doc ON ouxml_glossary (doc_id);
CREATE INDEX ouxml_figures_doc ON ouxml_figures (doc_id);
CREATE INDEX ouxml_media_doc ON ouxml_media (doc_id);
CREATE INDEX ouxml_links_doc ON ouxml_links (doc_id);
CREATE INDEX ouxml_activities_doc ON ouxml_activities (doc_id);
CREATE INDEX ouxml_references_doc ON ouxml_references (doc_id);
-- Full-text index over every searchable component (BM25 ranking, snippets). course and kind are
-- filters; doc_id and xpath lead back to the source.
CREATE VIRTUAL TABLE ouxml_fts USING fts5 (
    title, body,
    kind UNINDEXED, course UNINDEXED, doc_id UNINDEXED, node_id UNINDEXED, xpath UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
-- The link checker's latest answer per URL (a rerun replaces it).
CREATE TABLE ouxml_link_checks (
    url        TEXT PRIMARY KEY,
    result     TEXT NOT NULL,            -- ok, redirected, broken, error, skipped
    status     INTEGER,                  -- final HTTP status
    final_url  TEXT,
    error      TEXT,
    checked_at TEXT NOT NULL
);
