"""Malicious and malformed documents are refused with one line naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaffertape.errors import UserError
from gaffertape.ouxml.safeparse import MAX_BYTES, parse_bytes, parse_file

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Item [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<Item><Paragraph>&secret;</Paragraph></Item>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Item>&lol9;</Item>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Item SYSTEM "http://127.0.0.1:9/evil.dtd">
<Item/>"""

DEEP = b"<Item>" + b"<a>" * 10_000 + b"x" + b"</a>" * 10_000 + b"</Item>"


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [(XXE, 2, "entities"), (BILLION_LAUGHS, 3, "entities"), (EXTERNAL_DTD, 2, "external"),
     (DEEP, 1, "nested")],
    ids=["xxe", "billion-laughs", "external-dtd", "10000-deep"],
)
def test_malicious_documents_are_refused(data: bytes, line: int, words: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_bytes(data, "evil.xml")
    message = caught.value.one_line()
    assert message.startswith(f"evil.xml:{line}: refused")
    assert words in message and "\n" not in message


def test_entity_is_never_expanded_even_without_a_doctype_check(tmp_path: Path) -> None:
    """Belt and braces: libxml2 itself is configured not to read files or expand entities."""
    from lxml import etree

    from gaffertape.ouxml.safeparse import _parser

    root = etree.fromstring(XXE, _parser())
    assert "root:" not in etree.tostring(root, encoding="unicode")


def test_malformed_xml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.xml"
    bad.write_text("<Item>\n<Unit>\n<Session>\n</Unit>\n</Item>\n", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        parse_file(bad)
    message = caught.value.one_line()
    assert message.startswith(f"{bad}:4: not well-formed XML")
    assert "\n" not in message


@pytest.mark.parametrize("content", [b"", b"   \n", b"\xff\xfe<\x00I\x00", b"<Item>half"])
def test_empty_truncated_and_misencoded_files_fail_cleanly(content: bytes) -> None:
    with pytest.raises(UserError, match=r"^x\.xml:\d+: "):
        parse_bytes(content, "x.xml")


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with open(big, "wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    with pytest.raises(UserError, match="over the 50 MB limit"):
        parse_file(big)


def test_mutated_documents_fail_only_with_user_errors() -> None:
    """300 seeded random corruptions of a real-shaped document (bytes flipped, cut short,
    duplicated): each parses and extracts, or fails with a one-line file:line error."""
    import random

    from gaffertape.ouxml.extract import extract

    from .samples import DOC_12

    original = DOC_12.encode("utf-8")
    rng = random.Random(13)
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            action = rng.choice(("flip", "cut", "dup"))
            at = rng.randrange(len(data))
            if action == "flip":
                data[at] = rng.randrange(256)
            elif action == "cut":
                del data[at:]
                data += b"x" if not data else b""
            else:
                data[at:at] = data[at:at + rng.randint(1, 40)]
        try:
            tree = parse_bytes(bytes(data), "m.xml")
        except UserError as exc:
            assert exc.one_line().startswith("m.xml:") and "\n" not in exc.one_line()
            outcomes["refused"] += 1
        else:
            extract(tree, "m.xml", bytes(data))
            outcomes["parsed"] += 1
    assert outcomes["parsed"] > 0 and outcomes["refused"] > 0
