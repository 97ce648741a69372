"""Authoring: every converted document validates against OUIntermediateSchema.xsd; Markdown
round-trips; bad input fails with one line naming the file and line.

The schema is compiled once per test process (several seconds: it imports MathML 3).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from gaffertape.errors import UserError
from gaffertape.ouxml import convert as c
from gaffertape.ouxml.extract import extract
from gaffertape.ouxml.schema import schema_errors

SAMPLE_MD = """---
title: Networks in practice
course_code: TST101
---

Opening text with **bold**, *italic*, `code` and a [link](https://example.org).

# Routers

A router forwards packets.

- first point
- second point with **bold**
  - a nested point

1. step one
2. step two

```python
def route(packet):
    return packet.destination
```

![A home router with four ports](images/router.png "Figure 1 A home router")

## Buffers

```{note} Remember
Buffers hold data.
```

:::{tip}
Colon fences work too.
:::

````{activity} Activity 1 Buffers
Name a buffer you have used.

```{answer}
Your printer's memory.
```
````

```{saq} SAQ 1
What does a router do?
```

### Buffer sizes

```{figure} images/buffer.png
:alt: A queue of packets

Packets waiting in a buffer
```

## Glossary

- **Buffer**: memory that holds data in transit
- **Router**: a device that forwards packets
"""

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()


def _valid(tree: object) -> None:
    assert schema_errors(tree) == []


def _digest(markdown: str) -> dict[str, list[str]]:
    """What a reader sees: headings, text, list items, code, images and glossary entries."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    seen: dict[str, list[str]] = {"headings": [], "text": [], "items": [], "code": [],
                                  "images": []}
    in_item = 0
    for i, tok in enumerate(tokens):
        if tok.type == "list_item_open":
            in_item += 1
        elif tok.type == "list_item_close":
            in_item -= 1
        elif tok.type == "inline":
            kind = ("headings" if tokens[i - 1].type == "heading_open" else
                    "items" if in_item else "text")
            for child in tok.children or []:
                if child.type == "image":
                    seen["images"].append(
                        f"{child.attrs['src']}|{child.content}|{child.attrs.get('title')}")
            seen[kind].append(tok.content)
        elif tok.type == "fence" and not tok.info.startswith("{"):
            seen["code"].append(tok.content)
    return seen


def test_markdown_converts_to_valid_ouxml(tmp_path: Path) -> None:
    source = tmp_path / "sample.md"
    source.write_text(SAMPLE_MD, encoding="utf-8")
    tree = c.to_ouxml(source)
    _valid(tree)
    root = tree.getroot()
    assert root.get("SchemaVersion") == "2.0" and root.findtext("CourseCode") == "TST101"
    assert [t.text for t in root.iterfind(".//Session/Title")] == [
        "Networks in practice", "Routers"]
    assert root.findtext(".//Section/Title") == "Buffers"
    assert root.findtext(".//SubSection/Title") == "Buffer sizes"
    assert [b.findtext("Heading") for b in root.iter("Box")] == ["Remember", "Tip"]
    assert root.findtext(".//Activity/Heading") == "Activity 1 Buffers"
    assert root.findtext(".//Activity/Question/Paragraph") == "Name a buffer you have used."
    assert root.findtext(".//Activity/Answer/Paragraph") == "Your printer's memory."
    assert root.findtext(".//SAQ/Heading") == "SAQ 1"
    assert [f.findtext("Caption") for f in root.iter("Figure")] == [
        "Figure 1 A home router", "Packets waiting in a buffer"]
    assert root.find(".//ListItem/BulletedSubsidiaryList/SubListItem").text == "a nested point"
    assert [p.text for p in root.iterfind(".//ProgramListing/Paragraph")] == [
        "def route(packet):", "    return packet.destination"]
    # the generated document is also a good ingest input
    extracted = extract(tree, "sample.xml", c.serialise(tree))
    assert extracted.count("glossary") == 2 and extracted.count("figures") == 2
    assert extracted.count("activities") == 2


def test_round_trip_keeps_headings_text_lists_code_figures_glossary() -> None:
    tree = c.markdown_to_ouxml(SAMPLE_MD, source="sample.md")
    back = c.ouxml_to_markdown(tree)
    original, returned = _digest(SAMPLE_MD), _digest(back)
    assert set(original["headings"]) - {"Glossary"} <= set(returned["headings"])
    assert original["items"][:3] == returned["items"][:3]  # both list kinds, nested item
    assert original["code"] == returned["code"]
    assert original["images"][0] in returned["images"]
    assert "images/buffer.png|A queue of packets|Packets waiting in a buffer" in returned["images"]
    for text in original["text"][:2]:
        assert text in returned["text"]
    again = c.markdown_to_ouxml(back, source="back.md")
    _valid(again)
    glossary = [(g.findtext("Term"), g.findtext("Definition")) for g in again.iter("GlossaryItem")]
    assert glossary == [("Buffer", "memory that holds data in transit"),
                        ("Router", "a device that forwards packets")]
    assert c.ouxml_to_markdown(again) == back  # a fixed point after one trip
    assert again.getroot().findtext(".//Activity/Answer/Paragraph") == "Your printer's memory."


def test_notebook_cells_outputs_and_images(tmp_path: Path) -> None:
    notebook = {
        "metadata": {"kernelspec": {"language": "python"}},
        "cells": [
            {"cell_type": "markdown", "source": ["# Plotting\n", "We draw a chart."]},
            {"cell_type": "code", "source": "print('hi')", "outputs": [
                {"output_type": "stream", "text": ["hi\n"]}]},
            {"cell_type": "code", "source": "plot()", "outputs": [
                {"output_type": "display_data",
                 "data": {"image/png": PNG, "text/plain": "<Figure size 1x1>"}}]},
        ],
        "nbformat": 4, "nbformat_minor": 5,
    }
    source = tmp_path / "plots.ipynb"
    source.write_text(json.dumps(notebook), encoding="utf-8")
    tree = c.to_ouxml(source, assets=tmp_path / "assets")
    _valid(tree)
    root = tree.getroot()
    assert root.findtext(".//Session/Title") == "Plotting"
    listings = [[p.text for p in pl] for pl in root.iter("ProgramListing")]
    assert listings == [["print('hi')"], ["hi"], ["plot()"]]
    figure = root.find(".//Figure")
    assert figure.findtext("Caption") == "Output of cell 3"
    assert (tmp_path / "assets" / figure.find("Image").get("src")).read_bytes()[:4] == b"\x89PNG"


def test_rmarkdown_chunks(tmp_path: Path) -> None:
    source = tmp_path / "analysis.Rmd"
    source.write_text("---\ntitle: An analysis\n---\n\n# Data\n\n```{r load, echo=FALSE}\n"
                      "x <- read.csv('a.csv')\n```\n\nDone.\n", encoding="utf-8")
    tree = c.to_ouxml(source)
    _valid(tree)
    assert tree.getroot().findtext("ItemTitle") == "An analysis"
    assert tree.getroot().findtext(".//ProgramListing/Paragraph") == "x <- read.csv('a.csv')"


def test_docx(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Week 1", level=1)
    paragraph = document.add_paragraph("Some ")
    paragraph.add_run("bold").bold = True
    paragraph.add_run(" text.")
    document.add_heading("Reading", level=2)
    document.add_paragraph("first", style="List Bullet")
    document.add_paragraph("second", style="List Bullet")
    source = tmp_path / "week1.docx"
    document.save(str(source))
    tree = c.to_ouxml(source)
    _valid(tree)
    root = tree.getroot()
    assert root.findtext(".//Session/Title") == "Week 1"
    assert root.find(".//Session/Paragraph/b").text == "bold"
    assert [i.text for i in root.iter("ListItem")] == ["first", "second"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.ipynb", '{\n "cells": [\n   oops\n]}', "bad.ipynb:3: not a valid notebook"),
        ("bad.Rmd", "# A\n\n```{r}\nx <- 1\n", "bad.Rmd:3: code chunk is never closed"),
        ("gloss.md", "# A\n\ntext\n\n## Glossary\n\n- just words here\n",
         "gloss.md:7: glossary item"),
        ("term.md", "# A\n\n```{glossary}\nLonely term\n```\n", "term.md:3: glossary term"),
        ("bad.docx", "not a zip", "bad.docx:1: not a Word document"),
        ("notes.pdf", "x", "notes.pdf: cannot convert .pdf"),
    ],
)
def test_invalid_input_one_line_with_file_and_line(tmp_path: Path, name: str, content: str,
                                                   expected: str) -> None:
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        c.to_ouxml(source)
    message = caught.value.one_line()
    assert message.startswith(f"{tmp_path}/{expected}") and "\n" not in message


def test_non_utf8_markdown(tmp_path: Path) -> None:
    source = tmp_path / "latin.md"
    source.write_bytes(b"# Title\n\ncaf\xe9\n")
    with pytest.raises(UserError, match=r"latin\.md:3: not UTF-8"):
        c.to_ouxml(source)


def test_html_preview_of_a_real_shape() -> None:
    tree = c.markdown_to_ouxml(SAMPLE_MD, source="sample.md")
    html = c.ouxml_to_html(tree)
    assert html.startswith("<!doctype html>") and "<title>Networks in practice</title>" in html
    assert '<aside class="activity"><strong>Activity 1 Buffers</strong>' in html
    assert "<dt>Buffer</dt><dd>memory that holds data in transit</dd>" in html
    assert '<img src="images/router.png" alt="A home router with four ports"' in html
    assert "<script" not in html  # offline and inert
