"""Audits: figures without real alt text/descriptions, media without transcripts, structure
summary, and the link checker against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gaffertape.ouxml import audit
from gaffertape.ouxml.ingest import ingest
from gaffertape.sites.engine import HostThrottle
from gaffertape.workspace import Workspace


def test_figures_missing_text(ingested: Workspace) -> None:
    found = audit.figures_missing_text(ingested.store)
    # TST101's figure has alt "Figure 1" (a label, not a description) and no long description
    assert found.image_file.tolist() == ["t_001i.jpg"]
    assert found.problem[0] == "no real alt text or long description"


def test_media_without_transcripts(ingested: Workspace) -> None:
    found = audit.media_without_transcripts(ingested.store)
    assert found[["course", "media_type", "src"]].values.tolist() == [
        ["TST101", "video", "router.mp4"]]  # TST202's audio has a transcript


def test_structure_summary(ingested: Workspace) -> None:
    summary = audit.structure_summary(ingested.store).set_index("course")
    assert summary.loc["TST101", ["documents", "sessions", "sections", "subsections",
                                  "outcomes", "activities", "saqs", "figures"]].tolist() == [
        1, 1, 1, 1, 2, 1, 1, 1]
    assert summary.loc["TST202", "glossary"] == 2
    assert summary.loc["TST101", "words"] > summary.loc["TST202", "words"] > 10
    assert len(audit.structure_summary(ingested.store, by="document")) == 2


class _Site(BaseHTTPRequestHandler):
    active = 0
    peak = 0
    lock = threading.Lock()
    flaky_calls = 0

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, body: bool) -> None:
        # Counted only while the request is being "worked on", before any answer is sent: a
        # client that has its answer may send the next request before this thread could count
        # itself out, which would look like one connection too many.
        with _Site.lock:
            _Site.active += 1
            _Site.peak = max(_Site.peak, _Site.active)
        time.sleep(0.05)
        with _Site.lock:
            _Site.active -= 1
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
        elif self.path == "/gone":
            self.send_response(404)
        elif self.path == "/flaky":
            _Site.flaky_calls += 1
            self.send_response(503 if _Site.flaky_calls == 1 else 200)
        elif self.path == "/nohead" and not body:
            self.send_response(405)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    HostThrottle.reset()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    HostThrottle.reset()


def test_link_checker_reports_broken_and_redirected(workspace: Workspace, site: str,
                                                    tmp_path: Path) -> None:
    paths = ["ok", "moved", "gone", "flaky", "nohead", *[f"page{i}" for i in range(6)]]
    links = "".join(f'<a href="{site}/{p}">{p}</a>' for p in paths)
    links += '<a href="mailto:someone@example.org">mail</a>'
    doc = tmp_path / "links.xml"
    doc.write_text(f"<Item><CourseCode>L1</CourseCode><Unit><Session><Title>Links</Title>"
                   f"<Paragraph>{links}<a href=\"{site}/gone\">again</a></Paragraph></Session>"
                   f"</Unit></Item>", encoding="utf-8")
    ingest(workspace.store, [doc])
    report = audit.check_links(workspace.store, concurrency=6, per_host=2, delay=0.01)
    by_url = {r.url.rsplit("/", 1)[-1]: r for r in report.itertuples()}
    assert by_url["gone"].result == "broken" and by_url["gone"].status == 404
    assert by_url["moved"].result == "redirected" and by_url["moved"].final_url == f"{site}/ok"
    assert by_url["flaky"].result == "ok"  # a 503 is retried
    assert by_url["nohead"].result == "ok"  # HEAD refused, GET answers
    assert by_url["mailto:someone@example.org"].result == "skipped"
    assert (report.result == "broken").sum() == 2  # both occurrences of /gone, with provenance
    assert report.result.iloc[0] == "broken" and report.xpath.iloc[0].startswith("/Item/")
    assert _Site.peak <= 2  # never more than per_host connections at once
    stored = workspace.store.query_df("SELECT result, COUNT(*) AS n FROM ouxml_link_checks "
                                      "GROUP BY result ORDER BY result")
    assert dict(zip(stored.result, stored.n, strict=True)) == {
        "broken": 1, "ok": 9, "redirected": 1, "skipped": 1}


def test_link_checker_unreachable_host(workspace: Workspace, tmp_path: Path) -> None:
    doc = tmp_path / "dead.xml"
    doc.write_text('<Item><CourseCode>L2</CourseCode><Unit><Session><Title>x</Title><Paragraph>'
                   '<a href="http://127.0.0.1:9/nothing">dead</a></Paragraph></Session></Unit>'
                   '</Item>', encoding="utf-8")
    ingest(workspace.store, [doc])
    report = audit.check_links(workspace.store, retries=0, delay=0.01, timeout=2)
    assert report.result.tolist() == ["error"] and "Connect" in report.error[0]
