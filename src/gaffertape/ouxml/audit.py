"""Audits of ingested documents: accessibility (figures, media), structure, and links.

The link checker is concurrent and polite: it reuses the sites engine's per-host politeness
(:class:`gaffertape.sites.engine.HostThrottle`: a bounded number of connections per host and a
spaced, randomised start time per request, shared with every other gaffertape session in the
process) and its :class:`~gaffertape.sites.engine.RetryPolicy` (backoff with jitter on 429/5xx
and dropped connections, honouring ``Retry-After``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import pandas as pd

from gaffertape.sites.engine import (
    RETRY_STATUS,
    TRANSPORT_ERRORS,
    USER_AGENT,
    HostThrottle,
    RetryPolicy,
)
from gaffertape.sites.profile import Politeness
from gaffertape.store import Store

_LABEL = re.compile(r"^\s*(figure|fig\.?|image|img|table|picture|diagram)?\s*[\d.]*\s*$", re.I)
TIMED_MEDIA = ("audio", "video", "oembed", "flash", "mp3", "mp4")


def _is_placeholder(text: str | None, caption: str | None) -> bool:
    """Empty, a bare label such as "Figure 1", or the caption's own label repeated."""
    text = (text or "").strip()
    if not text or _LABEL.match(text):
        return True
    label = re.match(r"^\s*((figure|table)\s*[\d.]+)", caption or "", re.I)
    return bool(label) and text.lower() == label[1].lower()


def figures_missing_text(store: Store, course: str | None = None) -> pd.DataFrame:
    """Figures whose alt text or long description is missing or only a label ("Figure 1")."""
    figures = store.query_df(
        "SELECT d.course_code AS course, d.source, f.image_file, f.caption, f.alt, "
        "f.description, f.xpath FROM ouxml_figures f JOIN ouxml_documents d USING (doc_id)"
        + (" WHERE d.course_code = ?" if course else "") + " ORDER BY d.source, f.id",
        [course] if course else [])
    problems = []
    for row in figures.itertuples(index=False):
        missing = [name for name, value in (("alt text", row.alt),
                                            ("long description", row.description))
                   if _is_placeholder(value, row.caption)]
        if missing:
            problems.append({**row._asdict(), "problem": "no real " + " or ".join(missing)})
    columns = ["course", "source", "image_file", "caption", "problem", "alt", "description",
               "xpath"]
    return pd.DataFrame(problems, columns=columns)


def media_without_transcripts(store: Store, course: str | None = None) -> pd.DataFrame:
    """Audio, video and embedded players that have no transcript."""
    marks = ", ".join("?" for _ in TIMED_MEDIA)
    return store.query_df(
        "SELECT d.course_code AS course, d.source, m.media_type, m.src, m.caption, m.xpath "
        "FROM ouxml_media m JOIN ouxml_documents d USING (doc_id) "
        f"WHERE m.has_transcript = 0 AND lower(m.media_type) IN ({marks})"
        + (" AND d.course_code = ?" if course else "") + " ORDER BY d.source, m.id",
        [*TIMED_MEDIA, *([course] if course else [])])


def structure_summary(store: Store, by: str = "course") -> pd.DataFrame:
    """Words and structure per course (or per document with ``by="document"``)."""
    key = "d.course_code" if by == "course" else "d.source"
    counts = {
        "sessions": "SELECT doc_id, COUNT(*) AS n FROM ouxml_nodes WHERE kind = 'Session' "
                    "GROUP BY 1",
        "sections": "SELECT doc_id, COUNT(*) AS n FROM ouxml_nodes WHERE kind IN ('Section', "
                    "'InternalSection') GROUP BY 1",
        "subsections": "SELECT doc_id, COUNT(*) AS n FROM ouxml_nodes WHERE kind IN ('SubSection', "
                       "'SubSubSection') GROUP BY 1",
        "outcomes": "SELECT doc_id, COUNT(*) AS n FROM ouxml_outcomes GROUP BY 1",
        "activities": "SELECT doc_id, COUNT(*) AS n FROM ouxml_activities WHERE kind != 'saq' "
                      "GROUP BY 1",
        "saqs": "SELECT doc_id, COUNT(*) AS n FROM ouxml_activities WHERE kind = 'saq' GROUP BY 1",
        "figures": "SELECT doc_id, COUNT(*) AS n FROM ouxml_figures GROUP BY 1",
        "media": "SELECT doc_id, COUNT(*) AS n FROM ouxml_media GROUP BY 1",
        "links": "SELECT doc_id, COUNT(*) AS n FROM ouxml_links GROUP BY 1",
        "glossary": "SELECT doc_id, COUNT(*) AS n FROM ouxml_glossary GROUP BY 1",
    }
    joins = "".join(f" LEFT JOIN ({sql}) AS {name} ON {name}.doc_id = d.doc_id"
                    for name, sql in counts.items())
    sums = ", ".join(f"COALESCE(SUM({name}.n), 0) AS {name}" for name in counts)
    label = "course" if by == "course" else "document"
    return store.query_df(
        f"SELECT {key} AS {label}, COUNT(*) AS documents, SUM(d.word_count) AS words, {sums} "
        f"FROM ouxml_documents d{joins} GROUP BY {key} ORDER BY {key}")


# ---------------------------------------------------------------------------------------------
# link checker


@dataclass
class LinkCheck:
    url: str
    result: str  # ok, redirected, broken, error, skipped
    status: int | None = None
    final_url: str | None = None
    error: str | None = None


def _check_one(client: httpx.Client, url: str, politeness: Politeness,
               retry: RetryPolicy) -> LinkCheck:
    try:  # a document's link may be anything: one that cannot be read must not stop the rest
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it)
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        return LinkCheck(url, "error", error=f"not a valid address: {exc}"[:200])
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return LinkCheck(url, "skipped", error=f"not a web link ({parts.scheme or 'relative'})")
    throttle = HostThrottle.for_host(parts.netloc.lower(), politeness)
    attempt = 0
    while True:
        attempt += 1
        try:
            with throttle.slots:
                throttle.wait_turn(politeness.delay)
                response = client.head(url)
                if response.status_code in (403, 405, 501):  # servers that refuse HEAD
                    throttle.wait_turn(politeness.delay)
                    with client.stream("GET", url) as streamed:
                        response = streamed
        except TRANSPORT_ERRORS as exc:
            if attempt > retry.retries:
                return LinkCheck(url, "error", error=f"{type(exc).__name__}: {exc}"[:200])
            time.sleep(retry.wait(attempt))
            continue
        except httpx.HTTPError as exc:
            return LinkCheck(url, "error", error=f"{type(exc).__name__}: {exc}"[:200])
        if response.status_code in RETRY_STATUS and attempt <= retry.retries:
            after = response.headers.get("Retry-After", "")
            time.sleep(retry.wait(attempt, float(after) if after.isdigit() else None))
            continue
        final = str(response.url)
        if response.status_code >= 400:
            return LinkCheck(url, "broken", response.status_code, final)
        result = "redirected" if response.history and final != url else "ok"
        return LinkCheck(url, result, response.status_code, final)


def check_links(
    store: Store,
    *,
    course: str | None = None,
    concurrency: int = 4,
    per_host: int = 2,
    delay: float = 0.5,
    timeout: float = 15.0,
    retries: int = 2,
    on_checked: Callable[[LinkCheck], None] | None = None,
) -> pd.DataFrame:
    """Check every distinct external link; record results; return one row per occurrence.

    ``concurrency`` workers in all, at most ``per_host`` at once on any host, with starts on a
    host at least ``delay`` seconds apart (randomised 0.5-1.5x, as the sites engine does).
    """
    occurrences = store.query_df(
        "SELECT d.course_code AS course, d.source, l.target AS url, l.text, l.xpath "
        "FROM ouxml_links l JOIN ouxml_documents d USING (doc_id) WHERE l.kind = 'external'"
        + (" AND d.course_code = ?" if course else ""), [course] if course else [])
    urls = sorted(set(occurrences.url))
    politeness = Politeness(delay=delay, concurrency=per_host, rate=max(1 / max(delay, 1e-3),
                                                                        0.01), timeout=timeout)
    retry = RetryPolicy(retries=retries, backoff=0.5, max_backoff=10.0)
    checks: list[LinkCheck] = []
    with httpx.Client(follow_redirects=True, timeout=timeout, max_redirects=10,
                      headers={"User-Agent": USER_AGENT}) as client, \
            ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for check in pool.map(lambda u: _check_one(client, u, politeness, retry), urls):
            checks.append(check)
            if on_checked is not None:
                on_checked(check)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with store.connect() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO ouxml_link_checks VALUES (?, ?, ?, ?, ?, ?)",
            [(c.url, c.result, c.status, c.final_url, c.error, now) for c in checks])
    results = pd.DataFrame([c.__dict__ for c in checks],
                           columns=["url", "result", "status", "final_url", "error"])
    if occurrences.empty:
        return pd.DataFrame(columns=["result", "status", "url", "final_url", "error", "course",
                                     "source", "text", "xpath"])
    merged = occurrences.merge(results, on="url", how="left")
    order = {"broken": 0, "error": 1, "redirected": 2, "skipped": 3, "ok": 4}
    merged = merged.sort_values(["result", "url"], key=lambda s: s.map(order) if s.name ==
                                "result" else s).reset_index(drop=True)
    return merged[["result", "status", "url", "final_url", "error", "course", "source", "text",
                   "xpath"]]
