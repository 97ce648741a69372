"""OU-XML search speed: FTS5 over the store vs a naive parse-and-scan, measured in the same run.

A corpus of N documents (default 1,000) is generated at run time in a temporary folder by
varying the real ones in ../shared/data/ouxml: each copy gets its own course code and title,
drops a seeded random fifth of its paragraphs and gains a paragraph of words drawn from the
corpus vocabulary, so documents differ in content and size. Then:

* ingest time per document (parse + extract + store, one transaction per document);
* index size (the SQLite file after a checkpoint) and FTS rows;
* search latency p50/p95 over a fixed query set (each query run several times, top 20 with
  snippets, through ``gaffertape.search_ouxml`` given the workspace, as a notebook calls it:
  the timed call includes the DataFrame; the read-only connection it keeps per thread is
  opened by a warm-up search first, as it would be by a user's first search), and the three
  slowest queries, since the tail is what the p95 target is about;
* the naive baseline: for each query, parse every file with lxml and scan every element's text
  for all the query words (what a notebook would do). It is slow, so it runs on the first
  ``--baseline-queries`` queries; the ratio is baseline mean / FTS mean per query.

Targets: p95 < 20 ms, and >= 100x faster than the baseline.

Run: .venv/bin/python benchmarks/ouxml_search.py [--docs 1000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from gaffertape import search_ouxml
from gaffertape.ouxml.ingest import ingest
from gaffertape.ouxml.safeparse import _parser, parse_file
from gaffertape.workspace import Workspace

QUERIES = [
    "network", "buffer", "packet switching", "scientific notation", "biometric identity",
    "router", "bandwidth", "data exchange", "video", "encryption", "protocol", "glossary term",
    "markdown", "identity card", "communication link", "microsensors", "decimal point", "audio",
    "learning outcomes", "wireless", "jupyter notebook", "copyright", "mobile phone",
    "digital signal", "verification",
]
_REPO = Path(__file__).resolve().parents[1]
_CANDIDATES = [up / "shared" / "data" / "ouxml" for up in (_REPO.parent, _REPO.parent.parent)]


def make_corpus(real: list[Path], count: int, dest: Path, seed: int = 13) -> list[Path]:
    """``count`` variants of the real documents, written to ``dest``."""
    rng = random.Random(seed)
    trees = [parse_file(p) for p in real]
    vocabulary = sorted({w for t in trees for w in re.findall(r"[a-z]{4,}", " ".join(
        t.getroot().itertext()).lower())})
    files = []
    for i in range(count):
        original = trees[i % len(trees)]
        root = etree.fromstring(etree.tostring(original), _parser())
        code = root.find("CourseCode")
        if code is not None:
            code.text = f"{code.text}-V{i // len(trees):03d}"
        title = root.find("ItemTitle")
        if title is not None:
            title.text = f"{title.text or ''} (variant {i})"
        paragraphs = list(root.iter("Paragraph"))
        for paragraph in rng.sample(paragraphs, len(paragraphs) // 5):
            paragraph.getparent().remove(paragraph)
        session = next(root.iter("Session"), None)
        if session is not None:
            extra = etree.SubElement(session, "Paragraph")
            extra.text = " ".join(rng.choice(vocabulary) for _ in range(80))
        path = dest / f"doc{i:05d}.xml"
        path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
        files.append(path)
    return files


def naive_search(files: list[Path], query: str) -> list[tuple[str, str]]:
    """Parse every file and scan every element's own text for all the query's words."""
    words = [w.lower() for w in re.findall(r"\w+", query)]
    hits = []
    for path in files:
        tree = etree.parse(str(path), _parser())
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            text = " ".join(element.itertext()).lower()
            if all(w in text for w in words) and element.tag in ("Paragraph", "Title", "Caption",
                                                                 "LearningOutcome", "Term"):
                hits.append((path.name, tree.getpath(element)))
    return hits


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each query")
    parser.add_argument("--baseline-queries", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200 documents, 1 baseline query")
    parser.add_argument("--data", type=Path, default=next(
        (p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0]))
    args = parser.parse_args()
    if args.quick:
        args.docs, args.baseline_queries = 200, 1
    real = sorted(p for p in args.data.glob("*.xml"))
    if not real:
        sys.exit(f"real data not found at {args.data}")
    with tempfile.TemporaryDirectory(prefix="ouxml-bench-") as tmp:
        corpus_dir = Path(tmp) / "corpus"
        corpus_dir.mkdir()
        started = time.perf_counter()
        files = make_corpus(real, args.docs, corpus_dir)
        corpus_mb = sum(f.stat().st_size for f in files) / 1e6
        print(f"corpus: {len(files)} documents from {len(real)} real ones, {corpus_mb:.1f} MB "
              f"(generated in {time.perf_counter() - started:.1f} s)")

        workspace = Workspace.init(Path(tmp) / "ws")
        started = time.perf_counter()
        result = ingest(workspace.store, [corpus_dir])
        ingest_s = time.perf_counter() - started
        assert not result.errors, result.errors
        print(f"ingest: {ingest_s:.1f} s, {ingest_s / len(files) * 1000:.1f} ms per document")
        with workspace.store.connect() as conn:
            fts_rows = conn.execute("SELECT COUNT(*) FROM ouxml_fts").fetchone()[0]
        with workspace.store.connect() as conn:
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("BEGIN")
        size = workspace.db_path.stat().st_size / 1e6
        print(f"index: {size:.1f} MB SQLite file ({size / corpus_mb:.2f}x the XML), "
              f"{fts_rows:,} full-text rows")

        latencies: dict[str, list[float]] = {}
        cpu: list[float] = []
        hits: dict[str, int] = {}
        search_ouxml("warm up", workspace=workspace)
        for _ in range(args.repeats):
            for query in QUERIES:
                started, started_cpu = time.perf_counter(), time.thread_time()
                found = search_ouxml(query, limit=20, workspace=workspace)
                latencies.setdefault(query, []).append((time.perf_counter() - started) * 1000)
                cpu.append((time.thread_time() - started_cpu) * 1000)
                hits[query] = len(found)
        every = [ms for values in latencies.values() for ms in values]
        p50, p95 = percentile(every, 0.50), percentile(every, 0.95)
        print(f"search: {len(QUERIES)} queries x {args.repeats}: p50 {p50:.2f} ms, "
              f"p95 {p95:.2f} ms, max {max(every):.2f} ms (target p95 < 20 ms: "
              f"{'met' if p95 < 20 else 'MISSED'})")
        # On a shared machine wall time includes waiting for a core; CPU time does not.
        print(f"  CPU time per search: p50 {percentile(cpu, 0.5):.2f} ms, p95 "
              f"{percentile(cpu, 0.95):.2f} ms; load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores")
        slowest = sorted(latencies.items(), key=lambda item: -statistics.median(item[1]))[:3]
        print("  slowest (median of the runs): " + ", ".join(
            f"{query!r} {statistics.median(values):.2f} ms" for query, values in slowest))

        baseline_ms, fts_ms = [], []
        for query in QUERIES[: args.baseline_queries]:
            started = time.perf_counter()
            naive = naive_search(files, query)
            baseline_ms.append((time.perf_counter() - started) * 1000)
            fts_ms.append(statistics.mean(latencies[query]))
            print(f"  baseline {query!r}: {baseline_ms[-1]:.0f} ms, {len(naive)} elements "
                  f"(FTS: {fts_ms[-1]:.2f} ms, top {hits[query]})")
        ratio = statistics.mean(baseline_ms) / statistics.mean(fts_ms)
        print(f"ratio: FTS search is {ratio:,.0f}x faster than parse-and-scan on the same "
              f"corpus (target >= 100x: {'met' if ratio >= 100 else 'MISSED'})")


if __name__ == "__main__":
    main()
