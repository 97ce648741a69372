"""Turn pages (and pasted tables) into rows, driven by the profile's declarations."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import html as lxml_html

from gaffertape.errors import UserError
from gaffertape.identity import (
    OU_PI_PATTERN,
    is_pi,
    normalise_pi,
    valid_name_part,
    valid_pi,
)
from gaffertape.sites.engine import Page
from gaffertape.sites.profile import Allocation, Column, Marks, Presentations, Submission


def clean(text: str | None) -> str:
    """Collapse whitespace (including &nbsp;) and strip."""
    return " ".join((text or "").replace("\xa0", " ").split())


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def find_column(header: list[str], column: Column) -> int | None:
    """Index of the header cell ``column`` names: by text (ignoring case, spaces and
    punctuation) or by ``header_regex``; None if there is none."""
    for i, text in enumerate(header):
        if column.header_regex is not None:
            if re.search(column.header_regex, text):
                return i
        elif column.header is not None and _norm(text) == _norm(column.header):
            return i
    return None


def _describe_column(column: Column) -> str:
    return repr(column.header) if column.header is not None else f"/{column.header_regex}/"


def table_rows(table: Any) -> tuple[list[str], list[list[Any]]]:
    """Header texts and the data rows' cell elements of an HTML table, tolerant of odd markup."""
    rows = table.xpath(".//tr")
    header: list[str] = []
    data: list[list[Any]] = []
    for row in rows:
        cells = row.xpath("./th|./td")
        if not header and row.xpath("./th"):
            header = [clean(c.text_content()) for c in cells]
            continue
        if cells:
            data.append(cells)
    return header, data


def _fit_cells(cells: list[Any], width: int) -> list[Any]:
    """Repair a malformed row: drop surplus empty cells (the first ones), pad missing trailing
    ones. One pass: each cell is looked at once (a row of 10,000 stray ``<td></td>`` took
    minutes when the empties were listed again after every deletion)."""
    surplus = len(cells) - width
    dropped: set[int] = set()
    for i, cell in enumerate(cells):
        if len(dropped) >= surplus:
            break
        if not clean(cell.text_content()) and not cell.xpath(".//a"):
            dropped.add(i)
    kept = [c for i, c in enumerate(cells) if i not in dropped]
    return kept + [None] * (width - len(kept))


def parse_presentations(page: Page, spec: Presentations) -> list[str]:
    """The presentations linked from the page: the course is a query parameter of each link
    (``param``), or part of its path (``path_regex``, group 1)."""
    courses: list[str] = []
    for link in page.xpath(spec.link):
        parts = urlsplit(link.get("href", ""))
        if spec.path_regex:
            match = re.search(spec.path_regex, parts.path)
            values = [match[1]] if match else []
        else:
            values = parse_qs(parts.query).get(spec.param) or []
        if values and values[0] not in courses:
            courses.append(values[0])
    return courses


def parse_allocation(
    page: Page, spec: Allocation, course: str, pi_pattern: str = OU_PI_PATTERN
) -> list[dict[str, Any]]:
    tables = page.xpath(spec.table)
    if not tables:
        raise UserError(
            f"no allocation table at {page.url} (profile XPath {spec.table!r})",
            hint="the page layout changed: update [allocation] table in the profile",
        )
    header, rows = table_rows(tables[0])
    columns: dict[str, int] = {}
    for field, column in spec.columns.items():
        found = find_column(header, column)
        if found is None:
            raise UserError(
                f"allocation table at {page.url} has no column {_describe_column(column)} "
                f"(found: {', '.join(header)})",
                hint="update [allocation.columns]",
            )
        columns[field] = found
    patterns = {f: re.compile(c.pattern) for f, c in spec.columns.items() if c.pattern}
    out: list[dict[str, Any]] = []
    for raw in rows:
        cells = _fit_cells(raw, len(header))
        texts = [clean(c.text_content()) if c is not None else "" for c in cells]
        all_texts = [clean(c.text_content()) for c in raw]
        record: dict[str, Any] = {"course": course}
        for field, i in columns.items():
            value = texts[i] if i < len(texts) else ""
            pattern = patterns.get(field)
            if pattern and not pattern.search(value):
                # a shifted or broken row: take the one cell that fits the column's pattern
                value = next((t for t in all_texts if pattern.search(t)), value)
            record[field] = spec.columns[field].values.get(value, value)
        if "pi" in record:
            record["pi"] = normalise_pi(record["pi"])
        if not is_pi(record.get("pi", ""), pi_pattern) and "pi" in patterns:
            continue  # not a student row (e.g. a footer)
        hrefs = [a.get("href", "") for c in raw for a in c.xpath(".//a")]
        for field, pattern in spec.links.items():
            rx = re.compile(pattern)
            match = next((h for h in hrefs if rx.search(h)), None)
            record[field] = urljoin(page.url, match) if match else None
        out.append(record)
    return out


def parse_marks(
    page: Page, spec: Marks, clean_row: Callable[[dict], dict] | None = None
) -> list[dict[str, Any]]:
    """Rows (role, marker, category, max, mark, comments) for every marker on the page, in
    either layout the profile declares; ``clean_row`` is the profile's ``clean_marks_row``."""
    rows = _marks_by_marker_rows(page, spec) if spec.layout == "marker_rows" else (
        _marks_by_category_rows(page, spec)
    )
    return [clean_row(r) for r in rows] if clean_row else rows


def _marks_by_category_rows(page: Page, spec: Marks) -> list[dict[str, Any]]:
    """Per marker: a heading (role, name), then a table with one row per category."""
    assert spec.heading is not None and spec.heading_regex is not None
    rx = re.compile(spec.heading_regex)
    out: list[dict[str, Any]] = []
    for heading in page.xpath(spec.heading):
        match = rx.match(clean(heading.text_content()))
        if not match:
            continue
        role = spec.roles.get(match["role"], match["role"].lower())
        marker = clean(match["marker"])
        tables = heading.xpath(spec.table)
        if not tables:
            continue
        comments_el = heading.xpath(spec.comments) if spec.comments else []
        comments = comments_el[0].text_content().strip() if comments_el else None
        header, rows = table_rows(tables[0])
        ci, mi, xi = _marks_columns(page, header, (spec.category_column, spec.mark_column),
                                    spec.max_column, hint="update [marks]")
        for cells in rows:
            texts = [clean(c.text_content()) for c in cells]
            if len(texts) <= max(ci, mi):
                continue
            out.append(
                {
                    "role": role,
                    "marker": marker,
                    "category": texts[ci],
                    "max": _number(texts[xi]) if xi is not None and xi < len(texts) else None,
                    "mark": _number(texts[mi]),
                    "comments": comments,
                }
            )
    return out


def _marks_columns(page: Page, header: list[str], required: tuple[str, str],
                   optional: str | None, *, hint: str) -> tuple[int, int, int | None]:
    """Positions of the two columns a marks table must have and of an optional third; a
    one-line error naming the page and the missing headers otherwise."""
    first, second = (find_column(header, Column(header=name)) for name in required)
    extra = find_column(header, Column(header=optional)) if optional else None
    if first is None or second is None:
        raise UserError(
            f"marks table at {page.url} lacks {required[0]!r} or {required[1]!r} "
            f"(found {header})",
            hint=hint,
        )
    return first, second, extra


def _marks_by_marker_rows(page: Page, spec: Marks) -> list[dict[str, Any]]:
    """One table: a row per marker (role, name, optional comments), a column per category
    (headers matching ``category_header_regex``, which may carry the maximum)."""
    tables = page.xpath(spec.table)
    if not tables:
        return []
    header, rows = table_rows(tables[0])
    ri, ni, oi = _marks_columns(page, header, (spec.role_column, spec.marker_column),
                                spec.comments_column,
                                hint="update [marks] role_column / marker_column")
    rx = re.compile(spec.category_header_regex)
    categories = [(i, m) for i, h in enumerate(header) if (m := rx.match(h))]
    out: list[dict[str, Any]] = []
    for cells in rows:
        texts = [clean(c.text_content()) for c in cells]
        if len(texts) <= max(ri, ni):
            continue
        role = spec.roles.get(texts[ri], texts[ri].lower())
        comments = texts[oi] if oi is not None and oi < len(texts) else None
        for i, match in categories:
            if i >= len(texts):
                continue
            top = match.groupdict().get("max")
            out.append(
                {
                    "role": role,
                    "marker": texts[ni],
                    "category": clean(match["category"]),
                    "max": _number(top) if top else None,
                    "mark": _number(texts[i]),
                    "comments": comments,
                }
            )
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def parse_submission(
    page: Page, spec: Submission, clean_file: Callable[[dict], dict] | None = None
) -> dict[str, Any]:
    """Code, listed files and the download (a form, or a link's URL) of a submission page."""
    if spec.no_submission_text and page.contains(spec.no_submission_text):
        return {"submitted": False, "code": None, "files": [], "form": None, "link": None}
    code = None
    if spec.code:
        found = page.xpath(spec.code)
        code = clean(found[0].text_content()) if found else None
    files = _files_from_table(page, spec) if spec.files_table else _files_from_list(page, spec)
    if clean_file is not None:
        files = [clean_file(f) for f in files]
    form = link = None
    if spec.download_form:
        forms = page.xpath(spec.download_form)
        form = forms[0] if forms else None
    elif spec.download_link:
        links = page.xpath(spec.download_link)
        link = urljoin(page.url, links[0].get("href")) if links and links[0].get("href") else None
    return {"submitted": True, "code": code, "files": files, "form": form, "link": link}


def _size(text: str | None) -> int | None:
    """Bytes from a size cell ("12,345", "12 345 bytes")."""
    digits = re.sub(r"[^0-9]", "", text or "")
    return int(digits) if digits else None


def _files_from_table(page: Page, spec: Submission) -> list[dict[str, Any]]:
    assert spec.files_table is not None
    tables = page.xpath(spec.files_table)
    if not tables:
        return []
    header, rows = table_rows(tables[0])
    fi = find_column(header, Column(header=spec.file_column))
    si = find_column(header, Column(header=spec.size_column))
    ti = find_column(header, Column(header=spec.submitted_column))
    files = []
    for cells in rows:
        texts = [clean(c.text_content()) for c in cells]
        if fi is None or fi >= len(texts):
            continue
        files.append(
            {
                "file": texts[fi],
                "size": _size(texts[si]) if si is not None and si < len(texts) else None,
                "submitted": texts[ti] if ti is not None and ti < len(texts) else None,
            }
        )
    return files


def _files_from_list(page: Page, spec: Submission) -> list[dict[str, Any]]:
    """Files from a ``<ul>``/``<ol>``/``<dl>`` listing: one item each, the parts found by the
    profile's XPaths relative to the item."""
    if not spec.files_list:
        return []

    def part(item: Any, xpath: str | None) -> str | None:
        if xpath is None:
            return None
        found = item.xpath(xpath)
        if not found:
            return None
        first = found[0]
        return clean(first if isinstance(first, str) else first.text_content())

    files = []
    for item in page.xpath(spec.files_list):
        name = part(item, spec.file_name)
        if name:
            files.append(
                {
                    "file": name,
                    "size": _size(part(item, spec.file_size)),
                    "submitted": part(item, spec.file_submitted),
                }
            )
    return files


def form_mark_fields(form: Any, field_regex: str) -> list[tuple[str, str | None]]:
    """(field name, label text) of the mark inputs of a form, in field-number order."""
    rx = re.compile(field_regex)
    found: list[tuple[int, str, str | None]] = []
    for element in form.xpath(".//input|.//select"):
        name = element.get("name") or ""
        match = rx.match(name)
        if not match:
            continue
        label = None
        ident = element.get("id")
        if ident:
            labels = form.xpath(f".//label[@for='{ident}']")
            if labels:
                label = clean(labels[0].text_content())
        if label is None:
            parent_label = element.xpath("ancestor::label[1]")
            if parent_label:
                label = clean(parent_label[0].text_content())
        if label is None:
            cell = element.xpath("ancestor::td[1]/preceding-sibling::*[1]")
            if cell:
                label = clean(cell[0].text_content())
        number = int(match[1]) if match.groups() and match[1].isdigit() else len(found)
        found.append((number, name, label.rstrip(":") if label else None))
    found.sort()
    return [(name, label) for _, name, label in found]


# -- pasted allocations ------------------------------------------------------------------------

_HEADER_ALIASES = {
    "pi": "pi",
    "personalidentifier": "pi",
    "studentpi": "pi",
    "studentid": "pi",
    "name": "name",
    "studentname": "name",
    "student": "name",
    "tutorgroup": "tutor_group",
    "group": "tutor_group",
    "tg": "tutor_group",
    "status": "status",
    "course": "course",
    "presentation": "course",
    "pres": "course",
}


def _pasted_pi(
    row: list[str], header_map: dict[int, str], pattern: str, row_no: int
) -> str | None:
    """The row's PI: from the PI column if there is one (invalid = error), else the first
    cell that is a PI; None for a row without one (a blank or title line)."""
    column = next((i for i, key in header_map.items() if key == "pi"), None)
    if column is None:
        return next((normalise_pi(c) for c in row if is_pi(c, pattern)), None)
    if column >= len(row) or not normalise_pi(row[column]):
        return None
    return valid_pi(row[column], where=f"pasted allocation row {row_no}", pattern=pattern)


def _header_key(text: str, columns: dict[str, Column]) -> str | None:
    """The field a pasted header names: the profile's mapping first, then the usual names."""
    for field, column in columns.items():
        if find_column([text], column) == 0:
            return field
    return _HEADER_ALIASES.get(_norm(text))


def parse_pasted(
    text: str,
    course: str | None,
    columns: dict[str, Column] | None = None,
    pi_pattern: str = OU_PI_PATTERN,
) -> list[dict[str, Any]]:
    """Students from a pasted allocation: an HTML table, TSV/CSV, or text copied from a page.

    Headers are recognised by the usual names, and by the profile's ``[allocation.columns]``
    (``columns``), so a table copied from the site reads as the site heads it. With a PI
    column, a row whose PI is not valid is an error naming the row (never skipped); without
    one, the first cell of each row that is a valid PI is taken."""
    if re.search(r"<t[dr][\s>]", text, re.I):
        tree = lxml_html.fromstring(text)
        grid = []
        for tr in tree.xpath("//tr"):
            grid.append([clean(c.text_content()) for c in tr.xpath("./th|./td")])
    else:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if any("\t" in ln for ln in lines):
            grid = [[clean(c) for c in ln.split("\t")] for ln in lines]
        elif lines and lines[0].count(",") >= 1:
            grid = [[clean(c) for c in row] for row in csv.reader(io.StringIO("\n".join(lines)))]
        else:
            grid = [[clean(c) for c in re.split(r"\s{2,}|\s*\|\s*", ln.strip())] for ln in lines]
    header_map: dict[int, str] = {}
    out: list[dict[str, Any]] = []
    for row_no, row in enumerate(grid, start=1):
        keys = {i: _header_key(c, columns or {}) for i, c in enumerate(row)}
        if not header_map and "pi" in keys.values():
            header_map = {i: k for i, k in keys.items() if k}
            continue
        pi = _pasted_pi(row, header_map, pi_pattern, row_no)
        if pi is None:
            continue
        record: dict[str, Any] = {"pi": pi}
        for i, key in header_map.items():
            if i < len(row) and key != "pi" and row[i]:
                mapping = (columns or {}).get(key)
                record[key] = mapping.values.get(row[i], row[i]) if mapping else row[i]
        record.setdefault("course", course)
        if not record["course"]:
            raise UserError(
                "the pasted allocation has no course column",
                hint="give --course, e.g. --course TM470-25J",
            )
        record["course"] = valid_name_part(record["course"], what="course code",
                                           where=f"pasted allocation row {row_no}")
        out.append(record)
    if not out:
        raise UserError(
            "no students found in the pasted allocation (no cell looks like a PI such as A1234567)",
            hint="paste the table including the PI column",
        )
    return out
