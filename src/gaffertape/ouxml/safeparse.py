"""Parse OU-XML safely: no entities, no DTD, no network, bounded size and depth.

Course documents come from shared drives, zips and the web, so a document is treated as hostile
until parsed. libxml2 (through lxml) is told never to load a DTD, fetch anything or substitute
entities, and to keep its built-in limits (``huge_tree=False``: nesting deeper than 256 levels
and single text nodes over 10 MB are refused). On top of that we refuse any ``<!DOCTYPE>`` that
declares entities or points at an external file (the XXE and "billion laughs" shapes), and any
file larger than :data:`MAX_BYTES`. Every refusal is a one-line :class:`UserError` naming the
file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from gaffertape.errors import UserError

MAX_BYTES = 50 * 1024 * 1024  # the largest real OU-XML unit we know of is a few MB
MAX_DEPTH = 200  # real documents nest about 15 deep; libxml2 itself stops at 256

_DOCTYPE = re.compile(rb"<!DOCTYPE\b(?P<body>[^\[>]*)(?P<subset>\[.*?\])?\s*>", re.S | re.I)
_ENTITY = re.compile(rb"<!ENTITY\b", re.I)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=False,
        collect_ids=False,
    )


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _refuse_doctype(data: bytes, name: str) -> None:
    """Refuse DOCTYPEs that declare entities or reference an external DTD (XXE, entity bombs)."""
    head = data[: 64 * 1024]
    match = _DOCTYPE.search(head)
    entity = _ENTITY.search(head if match is None else data)
    if entity is not None:
        raise UserError(
            f"{name}:{_line_of(data, entity.start())}: refused: the document declares XML "
            "entities (an XXE or entity-expansion attack shape); OU-XML never needs them",
            hint="remove the <!DOCTYPE …> block",
        )
    if match is not None and re.search(rb"\b(SYSTEM|PUBLIC)\b", match["body"]):
        raise UserError(
            f"{name}:{_line_of(data, match.start())}: refused: the DOCTYPE points at an external "
            "DTD, which is never fetched",
            hint="remove the <!DOCTYPE …> line",
        )


def _check_depth(root: etree._Element, name: str) -> None:
    """Refuse absurd nesting (libxml2 refuses > 256; this keeps our own tree walks safe)."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UserError(
                f"{name}:{element.sourceline}: refused: elements nested more than {MAX_DEPTH} deep",
                hint="this is not a real OU-XML document",
            )
        stack.extend((child, depth + 1) for child in element)


def parse_bytes(data: bytes, name: str) -> etree._ElementTree:
    """Parse one document's bytes; ``name`` (file or zip member) appears in every error."""
    if len(data) > MAX_BYTES:
        raise UserError(
            f"{name}: refused: {len(data) / 1e6:.1f} MB is over the {MAX_BYTES // 2**20} MB limit "
            "for one document", hint="split the document")
    if not data.strip():
        raise UserError(f"{name}:1: empty file, not an OU-XML document")
    _refuse_doctype(data, name)
    try:
        root = etree.fromstring(data, _parser(), base_url=None)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        message = str(exc.msg or exc).split(", line ")[0]
        if "depth" in message.lower():
            raise UserError(
                f"{name}:{line}: refused: elements nested too deep ({message})",
                hint="this is not a real OU-XML document") from None
        raise UserError(
            f"{name}:{line}: not well-formed XML: {message}",
            hint="fix the XML at that line (an editor with XML checking shows it)") from None
    _check_depth(root, name)
    return root.getroottree()


def parse_file(path: Path | str) -> etree._ElementTree:
    """Parse one OU-XML file from disk (size checked before reading)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    if size > MAX_BYTES:
        raise UserError(
            f"{path}: refused: {size / 1e6:.1f} MB is over the {MAX_BYTES // 2**20} MB limit for "
            "one document", hint="split the document")
    return parse_bytes(path.read_bytes(), str(path))
