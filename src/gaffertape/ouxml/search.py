"""Search the ingested documents: ranked full-text, meta-glossary, outcomes, images, links, topics.

Full-text search is SQLite FTS5 with BM25 ranking (a hit in a title or term counts ten times a
hit in body text) and snippets. People type words, not FTS syntax, so a query is turned into
quoted terms that must all match (``raw=True`` passes FTS5 syntax through: ``OR``, ``NEAR``,
``prefix*``, ``"exact phrase"``).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from pathlib import Path

import pandas as pd

from gaffertape.errors import UserError
from gaffertape.store import Store

KINDS = ("unit", "session", "section", "internalsection", "subsection", "subsubsection",
         "outcome", "glossary", "figure", "media", "link", "activity", "saq", "exercise",
         "reference")
# What a topic gathers: the components an ad hoc course is sketched from.
TOPIC_KINDS = ("outcome", "session", "section", "internalsection", "subsection", "activity",
               "saq", "figure", "glossary", "media")
_TOKEN = re.compile(r"\w+", re.UNICODE)
COLUMNS = ["score", "kind", "course", "title", "snippet", "source", "section", "xpath", "doc_id"]

# Two steps, because almost all the time of a search for a common word goes on ranking: BM25
# looks up each matching row's length (one b-tree search per row). ``top`` ranks every match
# once and keeps the best ``limit`` (SQLite's top-k sort); only then are those rows read again,
# by rowid, for their columns, snippet, document and section. FTS5's own ``ORDER BY rank`` sorts
# every match, with a copy of its position lists, through a nested query with no limit.
# Measured with callgrind on the benchmark corpus: "network" (7,771 matches) 88.6 M -> 60.3 M
# instructions. The price is the second look-up, per returned row and index segment: a
# two-word query with few matches costs more ("decimal point" 17.3 M -> 25.3 M); the worst
# case is what a user waits for, so it wins. CROSS JOIN keeps the order: ranked rows first, then
# the index entered by rowid (otherwise SQLite scans every match a second time).
_SEARCH_SQL = """
    WITH {top}
    SELECT -top.rank AS score, f.kind, f.course, f.title,
           snippet(ouxml_fts, 1, :open, :close, '…', 16) AS snippet, d.source,
           n.title AS section, f.xpath, d.doc_id
    FROM top
    CROSS JOIN ouxml_fts AS f ON f.rowid = top.id AND f.ouxml_fts MATCH :query
    JOIN ouxml_documents AS d ON d.doc_id = f.doc_id
    LEFT JOIN ouxml_nodes AS n ON n.node_id = f.node_id
    ORDER BY top.rank"""
# The best ``limit`` matches overall.
_TOP = """top AS (
        SELECT rowid AS id, bm25(ouxml_fts, 10.0, 1.0) AS rank FROM ouxml_fts
        WHERE {where} ORDER BY rank LIMIT :limit)"""
# The best ``limit`` matches of each kind, ranking every match once (topic mode; ten filtered
# searches would read and rank the matches ten times).
_TOP_PER_KIND = """matches AS MATERIALIZED (
        SELECT rowid AS id, bm25(ouxml_fts, 10.0, 1.0) AS rank, kind FROM ouxml_fts
        WHERE {where}),
    top AS (
        SELECT id, rank FROM (
            SELECT id, rank, row_number() OVER (PARTITION BY kind ORDER BY rank) AS place
            FROM matches)
        WHERE place <= :limit)"""

_readers = threading.local()


def reader(store: Store) -> sqlite3.Connection:
    """A long-lived read-only connection for searches, one per thread and database.

    Opening a connection per query would start every search with a cold page cache; a kept
    connection with memory-mapped I/O answers from memory. WAL mode means it still sees each
    ingest as soon as it commits (every query is its own read transaction).
    """
    cache: dict[Path, sqlite3.Connection] = _readers.__dict__.setdefault("connections", {})
    path = Path(store.db_path).resolve()
    conn = cache.get(path)
    if conn is None:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=True)
        conn.execute("PRAGMA mmap_size = 268435456")
        conn.execute("PRAGMA cache_size = -65536")
        cache[path] = conn
    return conn


def fts_query(text: str, *, raw: bool = False) -> str:
    """A safe FTS5 query: every word quoted (so ``-``, ``:`` or ``AND`` are just words)."""
    if raw:
        return text
    words = _TOKEN.findall(text)
    if not words:
        raise UserError(f"nothing to search for in {text!r}", hint="give at least one word")
    return " ".join(f'"{w}"' for w in words)


def search(
    store: Store,
    query: str,
    *,
    kind: str | list[str] | None = None,
    course: str | None = None,
    limit: int = 20,
    raw: bool = False,
    mark: tuple[str, str] = ("[", "]"),
) -> pd.DataFrame:
    """Ranked components matching ``query``: best first, with a snippet and where it came from."""
    return _ranked(store, query, _TOP, kind=kind, course=course, limit=limit, raw=raw, mark=mark)


def _ranked(store: Store, query: str, top: str, *, kind: str | list[str] | None,
            course: str | None, limit: int, raw: bool, mark: tuple[str, str]) -> pd.DataFrame:
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise UserError(f"unknown kind {', '.join(unknown)}", hint=f"use one of {', '.join(KINDS)}")
    where, params = ["ouxml_fts MATCH :query"], {"query": fts_query(query, raw=raw)}
    if kinds:
        where.append(f"kind IN ({', '.join(f':kind{i}' for i in range(len(kinds)))})")
        params |= {f"kind{i}": k for i, k in enumerate(kinds)}
    if course:
        where.append("course = :course")
        params["course"] = course
    sql = _SEARCH_SQL.format(top=top.format(where=" AND ".join(where)))
    try:
        rows = reader(store).execute(
            sql, {**params, "limit": limit, "open": mark[0], "close": mark[1]}).fetchall()
    except sqlite3.OperationalError as exc:
        if raw:
            raise UserError(f"cannot search for {query!r}: {exc}",
                            hint="check the FTS5 query syntax, or drop --raw") from None
        raise UserError(f"{store.db_path}: cannot search: {exc}",
                        hint="run `gaffertape ouxml ingest` first") from None
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)


# ---------------------------------------------------------------------------------------------
# meta-glossary


def term_key(term: str) -> str:
    """The key that groups spellings of one term: case, punctuation, accents, simple plurals.

    ``Buffer``, ``buffers`` and ``Buffer.`` share a key; so do ``e-mail`` and ``email``,
    ``Policies`` and ``policy``.
    """
    text = unicodedata.normalize("NFKD", term).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", text.replace("-", "").replace("'", ""))
    return " ".join(_singular(w) for w in words)


def _singular(word: str) -> str:
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def glossary(store: Store, term: str | None = None, *, course: str | None = None) -> pd.DataFrame:
    """The meta-glossary: one row per definition, terms merged across documents.

    ``term`` is the merged headword (the most common spelling), ``variants`` every spelling
    seen, ``documents`` how many documents define it; each definition sits beside its course,
    source and XPath so definitions of one term can be read side by side.
    """
    items = store.query_df(
        "SELECT g.term AS spelling, g.definition, d.course_code AS course, d.source, g.xpath "
        "FROM ouxml_glossary g JOIN ouxml_documents d USING (doc_id)"
        + (" WHERE d.course_code = ?" if course else ""), [course] if course else [])
    columns = ["term", "variants", "documents", "definition", "course", "source", "xpath"]
    if items.empty:
        return pd.DataFrame(columns=columns)
    items["key"] = items.spelling.map(term_key)
    if term:
        items = items[items.key == term_key(term)]
    merged = []
    for _key, group in items.groupby("key", sort=False):
        spellings = group.spelling.str.strip().str.rstrip(".:;,")
        headword = spellings.value_counts().index[0]
        variants = "; ".join(sorted(set(group.spelling.str.strip())))
        for row in group.itertuples(index=False):
            merged.append((headword, variants, group.source.nunique(), row.definition, row.course,
                           row.source, row.xpath))
    out = pd.DataFrame(merged, columns=columns)
    return out.sort_values(["term", "course", "source"], key=lambda s: s.str.lower()
                           ).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# component finders


def outcomes(store: Store, query: str, *, course: str | None = None, limit: int = 50
             ) -> pd.DataFrame:
    """Learning outcomes matching ``query`` across courses (which units teach this topic?)."""
    return search(store, query, kind="outcome", course=course, limit=limit)


def images(store: Store, query: str | None = None, *, course: str | None = None,
           limit: int = 50) -> pd.DataFrame:
    """Figures whose caption, alt text, description or file name match ``query`` (all if None)."""
    base = ("SELECT d.course_code AS course, f.image_file, f.caption, f.alt, f.description, "
            "d.source, f.xpath FROM ouxml_figures f JOIN ouxml_documents d USING (doc_id)")
    if not query:
        sql = base + (" WHERE d.course_code = ?" if course else "") + " ORDER BY d.source, f.id"
        return store.query_df(sql, [course] if course else [])
    hits = search(store, query, kind="figure", course=course, limit=limit)
    if hits.empty:
        return pd.DataFrame(columns=["score", "course", "image_file", "caption", "alt",
                                     "description", "snippet", "source", "xpath"])
    figures = store.query_df(base + " WHERE f.xpath IN (SELECT value FROM json_each(?))",
                             [pd.Series(hits.xpath).to_json(orient="values")])
    merged = hits[["score", "snippet", "source", "xpath"]].merge(
        figures, on=["source", "xpath"], how="left")
    return merged[["score", "course", "image_file", "caption", "alt", "description", "snippet",
                   "source", "xpath"]]


def links(store: Store, query: str | None = None, *, kind: str | None = None,
          course: str | None = None) -> pd.DataFrame:
    """Links (``external`` a/@href, ``olink``, ``crossref``), filtered by text in URL or label."""
    where, params = [], []
    if kind:
        if kind not in ("external", "olink", "crossref"):
            raise UserError(f"unknown link kind {kind!r}", hint="use external, olink or crossref")
        where.append("l.kind = ?")
        params.append(kind)
    if course:
        where.append("d.course_code = ?")
        params.append(course)
    if query:
        where.append("(l.target LIKE ? OR l.text LIKE ?)")
        params += [f"%{query}%"] * 2
    sql = ("SELECT d.course_code AS course, l.kind, l.target, l.text, d.source, l.xpath "
           "FROM ouxml_links l JOIN ouxml_documents d USING (doc_id)"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d.source, l.id")
    return store.query_df(sql, params)


def topic(store: Store, query: str, *, per_kind: int = 8, raw: bool = False,
          mark: tuple[str, str] = ("[", "]")) -> pd.DataFrame:
    """Topic mode: the best-matching components of each kind from every course, in one frame.

    A sketch of an ad hoc course: outcomes, sections, activities, figures, glossary terms and
    media about one topic, each with its course, document and XPath (feed it to a mind map).
    """
    hits = _ranked(store, query, _TOP_PER_KIND, kind=list(TOPIC_KINDS), course=None,
                   limit=per_kind, raw=raw, mark=mark)
    order = {kind: place for place, kind in enumerate(TOPIC_KINDS)}
    return hits.sort_values("kind", key=lambda kinds: kinds.map(order), kind="stable",
                            ignore_index=True)


def courses(store: Store) -> list[str]:
    try:
        return store.query_df("SELECT DISTINCT course_code FROM ouxml_documents ORDER BY 1"
                              ).course_code.tolist()
    except (UserError, sqlite3.Error):
        return []
