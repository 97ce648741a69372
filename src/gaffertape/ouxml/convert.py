"""Authoring: Markdown (CommonMark + MyST), R Markdown, Jupyter and Word -> OU-XML 2.0, and
OU-XML -> Markdown / HTML for preview.

One route for every input: notebooks, R Markdown and Word documents are first turned into
Markdown, and Markdown is turned into OU-XML by walking markdown-it's token stream:

* headings -> ``Session`` / ``Section`` / ``SubSection`` / ``SubSubSection`` (the shallowest
  heading level used becomes ``Session``);
* paragraphs, ``**bold**``, ``*italic*``, `` `code` ``, links -> ``Paragraph``, ``b``, ``i``,
  ``ComputerCode``, ``a``; bullet and numbered lists -> ``BulletedList``/``NumberedList``;
* fenced code (and notebook code cells and R chunks) -> ``ProgramListing``;
* an image on its own line, or a MyST ``{figure}`` -> ``Figure`` (``Image``, ``Caption``,
  ``Alternative``); notebook image outputs become figures captioned with their cell;
* MyST admonitions (``{note}``, ``{tip}``, ``{admonition} Title``…) -> ``Box``;
  ``{activity}`` / ``{exercise}`` -> ``Activity`` (``Question``);
* a ``{glossary}`` directive, or a section headed "Glossary" holding ``Term: definition`` items
  or a definition list -> ``BackMatter/Glossary/GlossaryItem``.

Output is validated against ``OUIntermediateSchema.xsd`` (see :mod:`.schema`). Input that
cannot be converted fails with one line naming the file and line.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.deflist import deflist_plugin

from gaffertape.errors import UserError
from gaffertape.ouxml.extract import clean, image_file, text_of

LEVELS = ("Session", "Section", "SubSection", "SubSubSection")
BOXES = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
         "error", "seealso", "admonition", "box"}
# MyST directive -> OU-XML element of the ActivityStructure type (Heading, Question, Answer,
# Discussion); nested {answer} / {solution} / {discussion} directives fill the last two.
ACTIVITY_ELEMENTS = {"activity": "Activity", "ou-activity": "Activity", "exercise": "Exercise",
                     "saq": "SAQ"}
ACTIVITIES = set(ACTIVITY_ELEMENTS)
RESPONSES = {"answer": "Answer", "solution": "Answer", "discussion": "Discussion"}
_DIRECTIVE = re.compile(r"^\{([\w-]+)\}\s*(.*)$")
_GLOSS_ITEM = re.compile(r"^\**(?P<term>[^:*]+?)\**\s*[:—–]\s*(?P<definition>.+)$", re.S)


def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").use(colon_fence_plugin).use(deflist_plugin)


@dataclass
class _Context:
    source: str
    offset: int = 0  # line offset of this fragment within the source (for nested directives)
    glossary: list[tuple[str, str]] = field(default_factory=list)
    figures: int = 0


def _fail(ctx: _Context, token: Token | None, message: str, hint: str) -> UserError:
    line = ctx.offset + (token.map[0] + 1 if token is not None and token.map else 1)
    return UserError(f"{ctx.source}:{line}: {message}", hint=hint)


# ---------------------------------------------------------------------------------------------
# inline Markdown -> OU-XML mixed content


def _append_text(parent: Any, text: str) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _inline(parent: Any, children: list[Token]) -> None:
    stack = [parent]
    for tok in children:
        top = stack[-1]
        if tok.type == "text" or tok.type == "html_inline":
            _append_text(top, tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            _append_text(top, " ")
        elif tok.type == "code_inline":
            etree.SubElement(top, "ComputerCode").text = tok.content
        elif tok.type in ("strong_open", "em_open"):
            stack.append(etree.SubElement(top, "b" if tok.type == "strong_open" else "i"))
        elif tok.type == "link_open":
            stack.append(etree.SubElement(top, "a", href=str(tok.attrs.get("href", ""))))
        elif tok.type in ("strong_close", "em_close", "link_close") and len(stack) > 1:
            stack.pop()
        elif tok.type == "image":
            _append_text(top, tok.content)


def _lone_image(inline: Token) -> Token | None:
    kids = [t for t in inline.children or [] if not (t.type == "text" and not t.content.strip())]
    return kids[0] if len(kids) == 1 and kids[0].type == "image" else None


def _figure(parent: Any, src: str, alt: str, caption: str) -> Any:
    figure = etree.SubElement(parent, "Figure")
    etree.SubElement(figure, "Image", src=src)
    etree.SubElement(figure, "Caption").text = caption or alt or src
    if alt:
        etree.SubElement(figure, "Alternative").text = alt
    return figure


# ---------------------------------------------------------------------------------------------
# block Markdown -> OU-XML


class _Builder:
    """Walks block tokens, keeping a stack of open structure elements (Session, Section…)."""

    def __init__(self, unit: Any, ctx: _Context, title: str) -> None:
        self.unit = unit
        self.ctx = ctx
        self.title = title
        self.stack: list[tuple[int, Any]] = []  # (level index, element)
        self.base_level = 1
        self.in_glossary: int | None = None  # heading level of an open "Glossary" section

    def container(self) -> Any:
        if not self.stack:  # content before the first heading: an opening Session
            session = etree.SubElement(self.unit, "Session")
            etree.SubElement(session, "Title").text = self.title
            self.stack.append((0, session))
        return self.stack[-1][1]

    def heading(self, level: int, inline: Token) -> None:
        text = inline.content.strip()
        if text.lower().rstrip(":") == "glossary":  # the section's heading, exactly
            self.in_glossary = level
            return
        if self.in_glossary is not None and level <= self.in_glossary:
            self.in_glossary = None
        depth = min(max(level - self.base_level, 0), len(LEVELS) - 1)
        while self.stack and self.stack[-1][0] >= depth:
            self.stack.pop()
        depth = min(depth, len(self.stack))  # no skipped levels: ### after # becomes a Section
        parent = self.stack[-1][1] if self.stack else self.unit
        element = etree.SubElement(parent, LEVELS[depth])
        _inline(etree.SubElement(element, "Title"), inline.children or [])
        self.stack.append((depth, element))

    def blocks(self, tokens: list[Token], parent: Any | None = None) -> None:
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            target = parent if parent is not None else None
            if tok.type == "heading_open" and parent is None:
                self.heading(int(tok.tag[1]), tokens[i + 1])
                i += 3
                continue
            if self.in_glossary is not None and parent is None:
                i = self.glossary_block(tokens, i)
                continue
            target = parent if parent is not None else self.container()
            i = self.block(tokens, i, target)

    def block(self, tokens: list[Token], i: int, target: Any) -> int:
        tok = tokens[i]
        if tok.type == "paragraph_open":
            inline = tokens[i + 1]
            image = _lone_image(inline)
            if image is not None:
                self.ctx.figures += 1
                _figure(target, str(image.attrs.get("src", "")), image.content,
                        str(image.attrs.get("title") or ""))
            else:
                _inline(etree.SubElement(target, "Paragraph"), inline.children or [])
            return i + 3
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            return self.listing(tokens, i, target)
        if tok.type in ("fence", "colon_fence"):
            self.fence(tok, target)
            return i + 1
        if tok.type == "code_block":
            _program_listing(target, tok.content)
            return i + 1
        if tok.type == "blockquote_open":
            end = _closing(tokens, i)
            quote = etree.SubElement(target, "Quote")
            self.blocks(tokens[i + 1:end], quote)
            return end + 1
        if tok.type == "html_block" and tok.content.strip():
            etree.SubElement(target, "Paragraph").text = clean(re.sub(r"<[^>]+>", " ",
                                                                      tok.content))
        if tok.type == "dl_open":
            end = _closing(tokens, i)
            self.glossary_items(tokens[i:end + 1])
            return end + 1
        return i + 1

    def listing(self, tokens: list[Token], i: int, target: Any, sub: bool = False) -> int:
        end = _closing(tokens, i)
        ordered = tokens[i].type == "ordered_list_open"
        if sub:
            name, item_name = ("NumberedSubsidiaryList" if ordered else "BulletedSubsidiaryList",
                               "SubListItem")
        else:
            name, item_name = ("NumberedList" if ordered else "BulletedList", "ListItem")
        listing = etree.SubElement(target, name)
        j = i + 1
        while j < end:
            if tokens[j].type == "list_item_open":
                item_end = _closing(tokens, j)
                item = etree.SubElement(listing, item_name)
                k = j + 1
                while k < item_end:
                    kind = tokens[k].type
                    if kind == "paragraph_open":
                        if len(item) or (item.text or "").strip():
                            _append_text(item, " ")
                        _inline(item, tokens[k + 1].children or [])
                        k += 3
                    elif kind in ("bullet_list_open", "ordered_list_open") and not sub:
                        k = self.listing(tokens, k, item, sub=True)
                    else:
                        k += 1
                j = item_end + 1
            else:
                j += 1
        return end + 1

    def fence(self, tok: Token, target: Any) -> None:
        info = tok.info.strip()
        match = _DIRECTIVE.match(info)
        if match is None:
            _program_listing(target, tok.content)
            return
        name, argument = match[1].lower(), match[2].strip()
        options, body, body_line = _directive_body(tok.content)
        ctx = _Context(self.ctx.source, self.ctx.offset + (tok.map[0] + 1 if tok.map else 0)
                       + body_line, self.ctx.glossary)
        if name == "glossary":
            self.glossary_directive(tok, body)
        elif name == "figure":
            caption = clean(body)
            _figure(target, argument, options.get("alt", ""), caption)
        elif name in ("code-cell", "code", "code-block", "sourcecode"):
            _program_listing(target, body)
        elif name in ACTIVITIES:
            self.activity(target, name, argument, body, ctx)
        else:  # an admonition (or a directive OU-XML has no element for): a Box
            box = etree.SubElement(target, "Box")
            heading = argument or ("" if name == "admonition" else name.capitalize())
            if heading:
                etree.SubElement(box, "Heading").text = heading
            _Builder(self.unit, ctx, self.title).blocks(_parse(body), box)
            if len(box) == (1 if heading else 0):
                etree.SubElement(box, "Paragraph")

    def activity(self, target: Any, name: str, argument: str, body: str, ctx: _Context) -> None:
        activity = etree.SubElement(target, ACTIVITY_ELEMENTS[name])
        default = "SAQ" if name == "saq" else name.capitalize()
        etree.SubElement(activity, "Heading").text = argument or default
        question = etree.SubElement(activity, "Question")
        tokens = _parse(body)
        responses = {}
        for tok in tokens:
            match = _DIRECTIVE.match(tok.info.strip()) if tok.type in ("fence", "colon_fence") \
                else None
            if match and match[1].lower() in RESPONSES and tok.level == 0:
                responses[RESPONSES[match[1].lower()]] = _directive_body(tok.content)[1]
        kept = [t for t in tokens if not (t.type in ("fence", "colon_fence") and t.level == 0 and
                                          (m := _DIRECTIVE.match(t.info.strip())) and
                                          m[1].lower() in RESPONSES)]
        builder = _Builder(self.unit, ctx, self.title)
        builder.blocks(kept, question)
        if not len(question):
            etree.SubElement(question, "Paragraph")
        for element_name in ("Answer", "Discussion"):  # the schema's order
            if element_name in responses:
                response = etree.SubElement(activity, element_name)
                builder.blocks(_parse(responses[element_name]), response)
                if not len(response):
                    etree.SubElement(response, "Paragraph")

    def glossary_directive(self, tok: Token, body: str) -> None:
        """MyST ``{glossary}``: a term on its own line, its definition indented beneath."""
        term: str | None = None
        definition: list[str] = []
        start = (tok.map[0] + 2) if tok.map else 1
        for number, line in enumerate(body.splitlines(), start=start):
            if not line.strip():
                continue
            if line[:1].isspace():
                if term is None:
                    raise UserError(
                        f"{self.ctx.source}:{self.ctx.offset + number}: glossary definition "
                        "without a term", hint="put the term on its own line, unindented")
                definition.append(line.strip())
            else:
                self._add_term(term, definition, tok)
                term, definition = line.strip(), []
        self._add_term(term, definition, tok)

    def _add_term(self, term: str | None, definition: list[str], tok: Token) -> None:
        if term is None:
            return
        if not definition:
            raise _fail(self.ctx, tok, f"glossary term {term!r} has no definition",
                        "indent the definition on the line after the term")
        self.ctx.glossary.append((term, " ".join(definition)))

    def glossary_block(self, tokens: list[Token], i: int) -> int:
        """Inside a "Glossary" section: list items ``Term: definition`` or a definition list."""
        tok = tokens[i]
        if tok.type in ("bullet_list_open", "ordered_list_open", "dl_open"):
            end = _closing(tokens, i)
            self.glossary_items(tokens[i:end + 1])
            return end + 1
        if tok.type == "paragraph_open":
            self._term_line(tokens[i + 1])
            return i + 3
        if tok.type == "fence" and _DIRECTIVE.match(tok.info.strip() or "x"):
            self.fence(tok, self.container())
        return i + 1

    def glossary_items(self, tokens: list[Token]) -> None:
        term: str | None = None
        for j, tok in enumerate(tokens):
            if tok.type == "dt_open":
                term = tokens[j + 1].content.strip()
            elif tok.type == "dd_open" and term is not None:
                self.ctx.glossary.append((term, clean(tokens[j + 2].content)))
                term = None
            elif tok.type == "list_item_open":
                inline = tokens[j + 2] if tokens[j + 1].type == "paragraph_open" else None
                if inline is not None:
                    self._term_line(inline)

    def _term_line(self, inline: Token) -> None:
        match = _GLOSS_ITEM.match(inline.content.strip())
        if match is None:
            raise _fail(self.ctx, inline, f"glossary item {inline.content.strip()[:40]!r} is not "
                        "'Term: definition'", "write each item as **Term**: definition")
        self.ctx.glossary.append((match["term"].strip(), clean(match["definition"])))


def _closing(tokens: list[Token], i: int) -> int:
    """Index of the token closing ``tokens[i]`` (same nesting level)."""
    level = tokens[i].level
    closer = tokens[i].type.replace("_open", "_close")
    for j in range(i + 1, len(tokens)):
        if tokens[j].type == closer and tokens[j].level == level:
            return j
    return len(tokens) - 1


def _program_listing(parent: Any, code: str) -> None:
    listing = etree.SubElement(parent, "ProgramListing")
    for line in code.rstrip("\n").split("\n") or [""]:
        etree.SubElement(listing, "Paragraph").text = line.replace("\t", "    ")


def _directive_body(content: str) -> tuple[dict[str, str], str, int]:
    """MyST directive content: leading ``:key: value`` options, then the body."""
    options: dict[str, str] = {}
    lines = content.split("\n")
    skipped = 0
    while lines and (match := re.match(r"^:([\w-]+):\s*(.*)$", lines[0])):
        options[match[1]] = match[2].strip()
        lines.pop(0)
        skipped += 1
    return options, "\n".join(lines).strip("\n"), skipped


def _parse(text: str) -> list[Token]:
    return markdown_parser().parse(text)


def _front_matter(text: str) -> tuple[dict[str, str], str, int]:
    """Strip a YAML front matter block; return simple ``key: value`` pairs and the lines used."""
    if not text.startswith("---"):
        return {}, text, 0
    lines = text.split("\n")
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            meta = {}
            for line in lines[1:end]:
                if ":" in line and not line.startswith(" "):
                    key, value = line.split(":", 1)
                    meta[key.strip()] = value.strip().strip("\"'")
            return meta, "\n".join(lines[end + 1:]), end + 1
    return {}, text, 0


def markdown_to_ouxml(text: str, *, source: str = "<markdown>", title: str | None = None,
                      course_code: str = "DRAFT") -> etree._ElementTree:
    """OU-XML 2.0 (an ``Item`` tree) from CommonMark + MyST Markdown."""
    meta, body, skipped = _front_matter(text)
    title = meta.get("title") or title or Path(source).stem
    course_code = meta.get("course_code") or meta.get("module_code") or course_code
    item = etree.Element("Item", TextType="CompleteItem", SchemaVersion="2.0",
                         Template="Generic_A4_Unnumbered", DiscussionAlias="Discussion",
                         vleglossary="manual")
    etree.SubElement(item, "CourseCode").text = course_code
    etree.SubElement(item, "CourseTitle").text = meta.get("course_title") or course_code
    etree.SubElement(item, "ItemID")
    etree.SubElement(item, "ItemTitle").text = title
    unit = etree.SubElement(item, "Unit")
    etree.SubElement(unit, "UnitID")
    etree.SubElement(unit, "UnitTitle").text = title
    ctx = _Context(source, skipped)
    tokens = _parse(body)
    builder = _Builder(unit, ctx, title)
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    builder.base_level = min(levels) if levels else 1
    builder.blocks(tokens)
    if not unit.findall("Session"):
        session = etree.SubElement(unit, "Session")
        etree.SubElement(session, "Title").text = title
        etree.SubElement(session, "Paragraph")
    if ctx.glossary:
        glossary = etree.SubElement(etree.SubElement(unit, "BackMatter"), "Glossary")
        for term, definition in ctx.glossary:
            entry = etree.SubElement(glossary, "GlossaryItem")
            etree.SubElement(entry, "Term").text = term
            etree.SubElement(entry, "Definition").text = definition
    return item.getroottree()


# ---------------------------------------------------------------------------------------------
# other inputs -> Markdown


def _line_error(source: str, line: int, message: str, hint: str) -> UserError:
    return UserError(f"{source}:{line}: {message}", hint=hint)


def notebook_to_markdown(data: str, *, source: str, assets: Path | None = None) -> str:
    """A Jupyter notebook as Markdown: markdown cells as they are, code cells and text outputs
    as fenced code, image outputs as figures (PNG/JPEG written to ``assets``)."""
    try:
        notebook = json.loads(data)
    except json.JSONDecodeError as exc:
        raise _line_error(source, exc.lineno, f"not a valid notebook: {exc.msg}",
                          "the .ipynb file is not JSON; re-save it from Jupyter") from None
    except RecursionError:
        raise _line_error(source, 1, "not a valid notebook: JSON nested too deep",
                          "convert a .ipynb saved by Jupyter") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise _line_error(source, 1, "not a Jupyter notebook (no 'cells' list)",
                          "convert a .ipynb saved by Jupyter")
    try:  # any part may be the wrong type (a cell that is a number, bad base64 in an image)
        return _notebook_markdown(notebook, source, assets)
    except (AttributeError, TypeError, ValueError) as exc:  # binascii.Error is a ValueError
        raise _line_error(source, 1, f"not a Jupyter notebook: {type(exc).__name__}: {exc}",
                          "convert a .ipynb saved by Jupyter") from None


def _notebook_markdown(notebook: dict[str, Any], source: str, assets: Path | None) -> str:
    language = (notebook.get("metadata", {}).get("kernelspec", {}) or {}).get("language", "")
    language = language or "python"
    parts = []
    for number, cell in enumerate(notebook["cells"], start=1):
        source_text = cell.get("source", "")
        text = "".join(source_text) if isinstance(source_text, list) else str(source_text)
        if cell.get("cell_type") == "markdown":
            parts.append(text)
        elif cell.get("cell_type") == "code" and text.strip():
            parts.append(f"```{language}\n{text.rstrip()}\n```")
            parts.extend(_outputs(cell.get("outputs") or [], number, source, assets))
    return "\n\n".join(parts) + "\n"


def _outputs(outputs: list[Any], cell: int, source: str, assets: Path | None) -> list[str]:
    parts = []
    for index, output in enumerate(outputs, start=1):
        data = output.get("data") or {}
        for mime, suffix in (("image/png", "png"), ("image/jpeg", "jpg")):
            if mime in data:
                name = f"{Path(source).stem}_cell{cell}_{index}.{suffix}"
                if assets is not None:
                    assets.mkdir(parents=True, exist_ok=True)
                    blob = data[mime]
                    blob = "".join(blob) if isinstance(blob, list) else blob
                    (assets / name).write_bytes(base64.b64decode(blob))
                alt = "".join(data.get("text/plain", "")) or f"Output of cell {cell}"
                parts.append(f'![{clean(alt)}]({name} "Output of cell {cell}")')
                break
        else:
            text = output.get("text") or data.get("text/plain") or ""
            text = "".join(text) if isinstance(text, list) else str(text)
            if text.strip():
                parts.append(f"```text\n{text.rstrip()}\n```")
    return parts


_RMD_CHUNK = re.compile(r"^```\s*\{(\w+)[^}]*\}\s*$")


def rmarkdown_to_markdown(text: str, *, source: str) -> str:
    """R Markdown: front matter kept; chunks such as ```` ```{r label, echo=FALSE} ```` become
    ```` ```r ```` fences."""
    lines, open_at = [], None
    for number, line in enumerate(text.split("\n"), start=1):
        match = _RMD_CHUNK.match(line)
        if match and open_at is None and match[1].lower() not in BOXES | ACTIVITIES | {
                "glossary", "figure"}:
            lines.append(f"```{match[1]}")
            open_at = number
            continue
        if line.strip() == "```" and open_at is not None:
            open_at = None
        lines.append(line)
    if open_at is not None:
        raise _line_error(source, open_at, "code chunk is never closed",
                          "end the chunk with a line of three backticks")
    return "\n".join(lines)


DOCX_MAX_RATIO = 200  # a part may expand this many times its compressed size, plus 1 MiB
DOCX_MAX_TOTAL = 1024**3  # bytes of all parts together, uncompressed


def _check_docx_size(path: Path) -> None:
    """Refuse a .docx that would inflate past its bounds before python-docx reads every part
    into memory: a 340 KB document.xml of blanks took 700 MB. The sizes in the zip's
    directory are safe to trust here: Python's zipfile never inflates an entry past them."""
    import zipfile

    from gaffertape.ouxml.safeparse import MAX_BYTES

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # python-docx says what is wrong with it
    total = 0
    for info in infos:
        total += info.file_size
        too_big = info.file_size > info.compress_size * DOCX_MAX_RATIO + 1024**2 or (
            info.filename.endswith((".xml", ".rels")) and info.file_size > MAX_BYTES)
        if too_big or total > DOCX_MAX_TOTAL:
            raise _line_error(str(path), 1, f"refused: part {info.filename!r} inflates to "
                              f"{info.file_size / 1e6:.0f} MB ({total / 1e6:.0f} MB so far), "
                              "past the bounds for a Word document (a zip bomb shape)",
                              "save the document again from Word, without embedded videos")


def docx_to_markdown(path: Path, *, assets: Path | None = None) -> str:
    """A Word (or Google Docs) .docx as Markdown: headings, paragraphs, bold/italic, lists,
    and embedded pictures as figures (written to ``assets``)."""
    import zipfile

    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_docx_size(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError,
            etree.XMLSyntaxError) as exc:
        raise _line_error(str(path), 1, f"not a Word document: {exc}",
                          "save it again as .docx (Word, LibreOffice or Google Docs)") from None
    title = document.core_properties.title
    parts = [f"---\ntitle: {title}\n---"] if title else []
    pictures = 0
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        text = "".join(_run_markdown(run) for run in paragraph.runs).strip()
        for blip in paragraph._p.xpath(".//a:blip/@r:embed"):
            part = document.part.related_parts.get(blip)
            if part is not None:
                pictures += 1
                name = f"{path.stem}_image{pictures}{Path(part.partname).suffix}"
                if assets is not None:
                    assets.mkdir(parents=True, exist_ok=True)
                    (assets / name).write_bytes(part.blob)
                parts.append(f'![Picture {pictures}]({name} "Figure {pictures}")')
        if not text:
            continue
        if style == "Title":
            parts.insert(0, f"---\ntitle: {paragraph.text.strip()}\n---")
        elif style.startswith("Heading") and style[-1:].isdigit():
            parts.append("#" * min(int(style[-1]), 6) + " " + paragraph.text.strip())
        elif "List Number" in style:
            parts.append(f"1. {text}")
        elif "List" in style:
            parts.append(f"- {text}")
        else:
            parts.append(text)
    return "\n\n".join(parts) + "\n"


def _run_markdown(run: Any) -> str:
    text = run.text
    if not text.strip():
        return text
    if run.bold:
        text = f"**{text}**"
    if run.italic:
        text = f"*{text}*"
    return text


def to_ouxml(path: Path, *, assets: Path | None = None, course_code: str = "DRAFT"
             ) -> etree._ElementTree:
    """Any supported authoring format -> OU-XML 2.0 (not yet validated)."""
    source = str(path)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return markdown_to_ouxml(docx_to_markdown(path, assets=assets), source=source,
                                 course_code=course_code)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise _line_error(source, line, "not UTF-8 text", "save the file as UTF-8") from None
    if suffix == ".ipynb":
        text = notebook_to_markdown(text, source=source, assets=assets)
    elif suffix == ".rmd":
        text = rmarkdown_to_markdown(text, source=source)
    elif suffix not in (".md", ".markdown", ".myst", ".txt"):
        raise UserError(f"{source}: cannot convert {suffix or 'a file without extension'} "
                        "to OU-XML", hint="use .md, .Rmd, .ipynb or .docx")
    return markdown_to_ouxml(text, source=source, course_code=course_code)


# ---------------------------------------------------------------------------------------------
# OU-XML -> Markdown / HTML


def _inline_md(element: Any) -> str:
    parts = [element.text or ""]
    for child in element:
        inner = _inline_md(child)
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "b":
            parts.append(f"**{inner.strip()}**" if inner.strip() else inner)
        elif tag == "i":
            parts.append(f"*{inner.strip()}*" if inner.strip() else inner)
        elif tag == "ComputerCode":
            parts.append(f"`{''.join(child.itertext())}`")
        elif tag == "a":
            parts.append(f"[{inner.strip()}]({child.get('href', '')})")
        elif tag == "br":
            parts.append(" ")
        elif tag in ("BulletedSubsidiaryList", "NumberedSubsidiaryList", "UnNumberedSubsidiaryList",
                     "Paragraph"):
            pass  # handled by the list writer
        else:
            parts.append(inner)
        parts.append(child.tail or "")
    return clean("".join(parts))


class _MarkdownWriter:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.glossary: list[tuple[str, str]] = []

    def write(self, element: Any, depth: int) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in LEVELS or tag in ("InternalSection",):
            level = depth + 1
            title = element.find("Title")
            heading = element.find("Heading") if title is None else title
            self.out.append("#" * min(level, 6) + " " + (_inline_md(heading) if heading is not None
                                                          else tag))
            for child in element:
                if child is not title and child is not heading:
                    self.write(child, level)
        elif tag == "Paragraph":
            text = _inline_md(element)
            if text:
                self.out.append(text)
        elif tag in ("BulletedList", "NumberedList", "UnNumberedList"):
            self.out.append(self.listing(element, ordered=tag == "NumberedList"))
        elif tag == "ProgramListing":
            lines = [("".join(p.itertext())) for p in element.findall("Paragraph")]
            self.out.append("```\n" + "\n".join(lines) + "\n```")
        elif tag == "Figure":
            image = element.find(".//Image")
            alt = (image.get("alt") if image is not None else "") or text_of(
                element.find("Alternative"))
            caption = text_of(element.find("Caption")).replace('"', "'")
            self.out.append(f'![{alt}]({image_file(image)} "{caption}")')
        elif tag == "Box":
            self.directive(element, "note")
        elif tag in ("Activity", "SAQ", "Exercise"):
            self.directive(element, tag.lower())
        elif tag == "Quote":
            inner = _MarkdownWriter()
            for child in element:
                inner.write(child, depth)
            self.out.append("\n".join("> " + line if line else ">"
                                      for line in "\n\n".join(inner.out).split("\n")))
        elif tag == "LearningOutcomes":
            items = [f"- {_inline_md(o)}" for o in element.findall("LearningOutcome")]
            self.out.append("**Learning outcomes**\n\n" + "\n".join(items))
        elif tag == "GlossaryItem":
            self.glossary.append((text_of(element.find("Term")),
                                  text_of(element.find("Definition"))))
        elif tag == "MediaContent":
            caption = text_of(element.find("Caption")) or element.get("type", "media")
            self.out.append(f"[{caption}]({element.get('src', '')})")
        elif tag in ("Caption", "Alternative", "Description", "Heading", "Title", "UnitTitle",
                     "UnitID", "settings"):
            return
        else:
            for child in element:
                self.write(child, depth)

    def directive(self, element: Any, name: str) -> None:
        heading = element.find("Heading")
        inner = _MarkdownWriter()
        for child in element:
            if child is heading:
                continue
            if child.tag in ("Answer", "Discussion"):
                inner.directive(child, child.tag.lower())
            elif child.tag == "Question":
                for part in child:
                    inner.write(part, 3)
            else:
                inner.write(child, 3)
        body = "\n\n".join(inner.out)
        longest = max((len(m) for m in re.findall(r"^`{3,}", body, re.M)), default=2)
        fence = "`" * max(3, longest + 1)
        label = f" {text_of(heading)}" if heading is not None else ""
        self.out.append(f"{fence}{{{name}}}{label}\n{body}\n{fence}")

    def listing(self, element: Any, *, ordered: bool, indent: str = "") -> str:
        lines = []
        for number, item in enumerate(element.findall("*"), start=1):
            marker = f"{number}." if ordered else "-"
            lines.append(f"{indent}{marker} {_inline_md(item)}")
            for sub in item:
                if sub.tag in ("BulletedSubsidiaryList", "NumberedSubsidiaryList",
                               "UnNumberedSubsidiaryList"):
                    lines.append(self.listing(sub, ordered=sub.tag.startswith("Numbered"),
                                              indent=indent + " " * (len(marker) + 1)))
        return "\n".join(lines)


def ouxml_to_markdown(tree: Any) -> str:
    """Markdown (MyST where OU-XML has no plain-Markdown form) from an OU-XML tree."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    writer = _MarkdownWriter()
    title = text_of(root.find("ItemTitle"))
    units = root.findall(".//Unit") or [root]
    for unit in units:
        for child in unit:
            writer.write(child, 0)
    parts = ([f"---\ntitle: {title}\ncourse_code: {text_of(root.find('CourseCode'))}\n---"]
             if title else [])
    parts += writer.out
    if writer.glossary:
        entries = "\n".join(f"{term}\n  {definition}" for term, definition in writer.glossary)
        parts.append("```{glossary}\n" + entries + "\n```")
    return "\n\n".join(parts) + "\n"


_HTML_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; img-src * data:">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: #1d1d1d; }}
aside {{ border-left: 4px solid #2a6ebb; background: #f1f6fc; padding: .5rem 1rem;
        margin: 1rem 0; }}
aside.activity {{ border-color: #b35c00; background: #fff5ea; }}
aside > strong:first-child {{ display: block; }}
pre {{ background: #f4f4f4; padding: .75rem; overflow-x: auto; }}
img {{ max-width: 100%; }} dt {{ font-weight: bold; }}
</style></head><body>
{body}
</body></html>
"""


def markdown_to_html(text: str, title: str = "Preview") -> str:
    """An offline HTML preview of Markdown, with MyST directives drawn as boxes.

    Raw HTML is shown as text, never passed through, and the page allows no script: a course
    document from elsewhere whose title reads ``<script>...</script>`` (escaped in its XML)
    would otherwise run in the browser that opens the preview."""
    from html import escape

    md = markdown_parser()
    md.options["html"] = False
    default_fence = md.renderer.rules["fence"]

    def fence(_renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        tok = tokens[idx]
        match = _DIRECTIVE.match(tok.info.strip())
        if match is None:
            return default_fence(tokens, idx, options, env)
        name, argument = match[1].lower(), match[2].strip()
        _options, body, _ = _directive_body(tok.content)
        if name == "glossary":
            entries = []
            for term, definition in re.findall(r"^(\S.*)\n((?:[ \t]+.*\n?)+)", body + "\n", re.M):
                entries.append(f"<dt>{escape(term)}</dt><dd>{escape(clean(definition))}</dd>")
            return "<h2>Glossary</h2><dl>" + "".join(entries) + "</dl>"
        kind = "activity" if name in ACTIVITIES else "box"
        heading = f"<strong>{escape(argument or name.capitalize())}</strong>"
        return f'<aside class="{kind}">{heading}{md.render(body)}</aside>'

    md.add_render_rule("fence", fence)
    md.add_render_rule("colon_fence", fence)
    meta, body, _ = _front_matter(text)
    title = meta.get("title", title)
    return _HTML_PAGE.format(title=escape(title), body=f"<h1>{escape(title)}</h1>\n"
                             + md.render(body))


def ouxml_to_html(tree: Any) -> str:
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    return markdown_to_html(ouxml_to_markdown(root), text_of(root.find("ItemTitle")) or "Preview")


def serialise(tree: Any) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8", pretty_print=True)
