"""Word documents handed to `gaffertape ouxml convert`: a .docx is a zip, so it can be a bomb,
and its XML can be broken; each is one line naming the file, through the real CLI."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from gaffertape.workspace import Workspace

from .conftest import gaffertape


def _docx(path: Path, body: bytes = b"", *, blanks: int = 0, cut: bool = False) -> Path:
    """A real .docx whose body gets ``body`` and ``blanks`` MiB of spaces (streamed, so a
    100 MiB part costs nothing to build), or whose document.xml is ``cut`` in half."""
    base = path.with_name("base.docx")
    document = docx.Document()
    document.add_paragraph("hello")
    document.save(base)
    with zipfile.ZipFile(base) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    xml = members.pop("word/document.xml")
    split = xml.index(b"<w:body>") + len(b"<w:body>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(xml[: len(xml) // 2] if cut else xml[:split] + body)
            for _ in range(blanks):
                member.write(b" " * 1024**2)
            if not cut:
                member.write(xml[split:])
    return path


@pytest.mark.parametrize(("shape", "message"), [
    ({"blanks": 100}, "refused: part 'word/document.xml' inflates to 105 MB"),
    ({"cut": True}, "not a Word document"),
])
def test_hostile_docx_is_one_line_naming_the_file(tmp_path: Path, shape: dict,
                                                  message: str) -> None:
    """Before: the 100 MiB part (a 100 KB file) was read whole into memory and failed with
    'unexpected XMLSyntaxError ... please report it' (exit 1); so did a cut document.xml."""
    source = _docx(tmp_path / "week1.docx", **shape)
    run = gaffertape("ouxml", "convert", "week1.docx", "-o", "week1.xml", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert len(run.errors) == 1 and run.errors[0].startswith(f"error: {source.name}:1: ")
    assert message in run.errors[0]
    assert not (tmp_path / "week1.xml").exists()


def test_one_unreadable_link_does_not_stop_the_link_check(tmp_path: Path) -> None:
    """A document's link httpx cannot read ('http://a:b:c/', '[::1') raised InvalidURL or
    ValueError out of the worker pool: the whole `links --check` ended as 'unexpected ...',
    nothing recorded. Each is now an 'error' row and the others are checked."""
    doc = tmp_path / "links.xml"
    links = "".join(f'<a href="{href}">x</a>' for href in
                    ("http://a:b:c/", "http://[::1/a", "http://127.0.0.1:9/dead"))
    doc.write_text(f"<Item><CourseCode>L3</CourseCode><Unit><Session><Title>x</Title>"
                   f"<Paragraph>{links}</Paragraph></Session></Unit></Item>", encoding="utf-8")
    Workspace.init(tmp_path / "ws")
    assert gaffertape("-w", "ws", "ouxml", "ingest", "links.xml", cwd=tmp_path).returncode == 0
    run = gaffertape("-w", "ws", "ouxml", "links", "--check", "--format", "csv", "--delay",
                     "0.01", cwd=tmp_path)
    assert "unexpected" not in run.stderr, run.stderr
    assert run.stdout.count("not a valid address") == 2 and "ConnectError" in run.stdout


@pytest.mark.parametrize(("content", "message"), [
    ("[" * 100_000 + "]" * 100_000, "not a valid notebook: JSON nested too deep"),
    ('{"cells": [5], "metadata": 3}', "not a Jupyter notebook: AttributeError"),
    ('{"cells": [{"cell_type": "code", "source": "x", "outputs": [{"data": '
     '{"image/png": "!!notbase64"}}]}]}', "not a Jupyter notebook: Error: Invalid base64"),
])
def test_hostile_notebook_is_one_line_naming_the_file(tmp_path: Path, content: str,
                                                      message: str) -> None:
    """Deep JSON (RecursionError), cells of the wrong type and bad base64 in an image output
    each ended as 'unexpected ... please report it' (exit 1)."""
    (tmp_path / "nb.ipynb").write_text(content, encoding="utf-8")
    run = gaffertape("ouxml", "convert", "nb.ipynb", "-o", "nb.xml", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert len(run.errors) == 1 and run.errors[0].startswith(f"error: nb.ipynb:1: {message}")
    assert not (tmp_path / "nb.xml").exists()


def test_markdown_nested_past_xml_limits_is_one_line(tmp_path: Path) -> None:
    """50,000 nested emphasis markers made OU-XML nested past libxml2's 256 levels: the
    schema check's re-parse raised 'unexpected XMLSyntaxError ... please report it'."""
    (tmp_path / "deep.md").write_text("# T\n\n" + "*" * 50_000 + "x" + "*" * 50_000 + "\n",
                                      encoding="utf-8")
    run = gaffertape("ouxml", "convert", "deep.md", "-o", "deep.xml", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert len(run.errors) == 1 and "elements nested more than 256 deep" in run.errors[0]
    assert not (tmp_path / "deep.xml").exists()


def test_the_html_preview_of_a_hostile_document_runs_no_script(tmp_path: Path) -> None:
    """Text in an OU-XML document (escaped in its XML) came out as live HTML in the preview:
    a Session title '"><script>alert(1)</script>' and a link target '"><img onerror=...>'."""
    (tmp_path / "js.xml").write_text(
        '<Item><CourseCode>J1</CourseCode><Unit><Session><Title>S &lt;script&gt;alert(1)'
        '&lt;/script&gt;</Title><Paragraph><a href=\'"&gt;&lt;img src=x onerror=alert(2)&gt;\'>'
        "y</a></Paragraph></Session></Unit></Item>", encoding="utf-8")
    run = gaffertape("ouxml", "convert", "js.xml", "-o", "js.html", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "js.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as text
    assert "default-src 'none'" in page  # and no script would run anyway
