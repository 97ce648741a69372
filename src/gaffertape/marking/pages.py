"""HTML for script reports and the award-board pack, and printing HTML to PDF.

One function renders a script's section (heading, reasons, summary, table, markers' comments,
charts) for both the per-script report and the award-board pack. The pack adds a cover page
(every flagged script: both marks, the signed difference, the reasons and its page), a box on
each script's page for the board's decision, and page numbers in the page margin.

PDF comes from headless Chromium printing the board HTML after its charts are drawn: one
browser start for the whole pack, text stays selectable, charts stay vector, and CSS page
breaks start each script on a new page. The cover's page numbers are checked against the
printed PDF (a long comment can push a script onto two pages) and the pack is reprinted with
the real numbers if they differ.
"""

from __future__ import annotations

import html
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from gaffertape.atomic import atomic_write, write_text_atomic
from gaffertape.chromium import HEADLESS_ARGS, require_chromium
from gaffertape.errors import UserError
from gaffertape.marking.charts import ROLE_COLOURS, number
from gaffertape.marking.marks import ROLES

STYLE = """
body { font-family: sans-serif; font-size: 10.5pt; margin: 1.5em; color: #222; }
section { break-before: page; }
h1 { font-size: 16pt; margin: 0 0 .4em; } h2 { font-size: 14pt; margin: 0 0 .3em; }
.why { color: #a00; font-weight: bold; margin: .3em 0; }
table { border-collapse: collapse; font-size: 9pt; margin: .5em 0; }
td, th { border: 1px solid #ccc; padding: 2px 6px; text-align: right; vertical-align: top; }
td:first-child, th:first-child, td.text, th.text { text-align: left; }
.comments { font-size: 9pt; margin: .4em 0; } .comments p { margin: .15em 0; }
.role { font-weight: bold; }
.decision { border: 2px solid #333; padding: 6px 10px; margin-top: .4em; font-size: 10pt;
            break-inside: avoid; }
.decision span { display: inline-block; min-width: 9em; margin-right: 1.5em;
                 border-bottom: 1px solid #333; height: 1.6em; vertical-align: bottom; }
.cover td.reasons { text-align: left; max-width: 22em; } .key { white-space: nowrap; }
@page { size: A4; margin: 12mm 12mm 16mm;
        @bottom-center { content: "Page " counter(page) " of " counter(pages);
                         font: 9pt sans-serif; color: #555; } }
"""

#: Cover rows that fit an A4 page (two lines each), for the first guess at page numbers.
COVER_ROWS_PER_PAGE = 25

TABLE_COLUMNS = {"category": "category", "max": "max", "weight": "weight", "first": "first",
                 "second": "second", "third": "third",
                 "diff_raw": "2nd − 1st (raw)", "diff_weighted": "2nd − 1st (weighted)",
                 "diff_pct_points": "2nd − 1st (% points)"}


def page(title: str, body: str, head: str = "") -> str:
    """A complete HTML page with the shared style."""
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title><style>{STYLE}</style>{head}</head>"
            f"<body>{body}</body></html>")


def signed(value: float, digits: int = 1) -> str:
    """A difference with its sign: +3, −2.5, 0 (a real minus sign, as printed tables use)."""
    if pd.isna(value):
        return ""
    text = f"{abs(value):.{digits}f}".rstrip("0").rstrip(".") if digits else f"{abs(value):.0f}"
    return "0" if text in ("0", "") else ("+" if value > 0 else "−") + text


def _category_table(table: pd.DataFrame) -> str:
    """The category table as HTML: marks as people write them, differences signed. Written
    row by row (``DataFrame.to_html`` costs ~10 ms a script, ten seconds over a thousand)."""
    cells = {"max": number, "weight": number, "diff_raw": lambda v: signed(v, 2),
             "diff_weighted": lambda v: signed(v, 2),
             "diff_pct_points": lambda v: signed(v, 1),
             **{role: lambda v: "" if pd.isna(v) else number(v) for role in ROLES}}
    columns = [c for c in TABLE_COLUMNS if c != "third" or table["third"].notna().any()]
    head = "".join(f"<th>{html.escape(TABLE_COLUMNS[c])}</th>" for c in columns)
    rows = "".join("<tr>" + "".join(
        f"<td>{html.escape(str(cells.get(c, str)(row[c])))}</td>" for c in columns) + "</tr>"
        for row in table[columns].to_dict("records"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def comments_html(role_row: dict) -> str:
    """Each marker's overall comments, in the marker's colour, or a note that there are none."""
    parts = []
    for role in ROLES:
        marker, text = role_row.get(f"{role}_marker"), role_row.get(f"{role}_comments")
        if marker is None or pd.isna(marker):
            continue
        said = html.escape(str(text)) if text is not None and not pd.isna(text) and str(
            text).strip() else "<i>no comments</i>"
        parts.append(f"<p><span class='role' style='color:{ROLE_COLOURS[role]}'>"
                     f"{role.capitalize()} marker ({html.escape(str(marker))}):</span> {said}</p>")
    return "<div class='comments'><b>Markers' comments</b>" + "".join(parts) + "</div>"


def decision_box(flag: dict) -> str:
    """Where the board writes its decision on a printed page."""
    return (f"<div class='decision'><b>Board decision for {html.escape(flag['course'])} "
            f"{html.escape(flag['pi'])}</b><br>Agreed mark (%): <span></span> Grade: <span>"
            f"</span> Initials: <span></span></div>")


def script_section(flag: dict, role_row: dict, summary: str, table: pd.DataFrame,
                   charts: list[str], *, decision: bool = False) -> str:
    """One script: heading, reasons, summary, category table, comments, charts (and a box for
    the board's decision)."""
    reasons = html.escape(flag["reasons"]) or "no significant difference"
    chart_html = "".join(f"<div class='chart'>{c}</div>" for c in charts)
    return (f"<section id='{html.escape(flag['course'])}_{html.escape(flag['pi'])}'>"
            f"<h2>{html.escape(flag['course'])} {html.escape(flag['pi'])}: "
            f"{html.escape(flag['status'])}</h2><p class='why'>{reasons}</p>"
            f"<p>{html.escape(summary)}</p>{_category_table(table)}{comments_html(role_row)}"
            f"{chart_html}{decision_box(flag) if decision else ''}</section>")


def _mark(flag: dict, role: str) -> str:
    pct = flag[f"{role}_pct"]
    return "" if pd.isna(pct) else f"{pct:.1f}% ({html.escape(str(flag[f'{role}_marker']))})"


def cover(flagged: pd.DataFrame, page_of: dict[str, int]) -> str:
    """The pack's first page(s): every flagged script with both marks, the signed difference
    (second minus first, percentage points), the reasons and the page it is on."""
    rows = []
    for n, flag in enumerate(flagged.to_dict("records"), start=1):
        key = f"{flag['course']}_{flag['pi']}"
        rows.append(
            f"<tr><td>{n}</td><td class='text key'>{html.escape(flag['course'])}</td>"
            f"<td class='text key'><a href='#{html.escape(key)}'>{html.escape(flag['pi'])}</a></td>"
            f"<td>{_mark(flag, 'first')}</td><td>{_mark(flag, 'second')}</td>"
            f"<td>{signed(flag['second_pct'] - flag['first_pct'])}</td>"
            f"<td class='reasons'>{html.escape(flag['reasons'])}</td>"
            f"<td>{page_of.get(key, '')}</td></tr>")
    return (f"<div class='cover'><h1>Award board: {len(flagged)} flagged scripts</h1>"
            f"<p>Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from the marks. Difference ="
            f" second minus first marker, in percentage points. Each script's page has a box for"
            f" the board's decision.</p><table><thead><tr><th>#</th><th class='text'>course</th>"
            f"<th class='text'>PI</th><th>first marker</th><th>second marker</th>"
            f"<th>difference</th><th class='text'>reasons</th><th>page</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def board_html(flagged: pd.DataFrame, sections: list[str], page_of: dict[str, int],
               head: str) -> str:
    return page("Award board", cover(flagged, page_of) + "".join(sections), head)


def print_pdf(html_path: Path, pdf_path: Path, timeout: float = 600) -> Path:
    """Print an HTML file to PDF with headless Chromium (system browser, never downloaded)."""
    browser = require_chromium("PDF output")
    with atomic_write(pdf_path) as tmp:
        cmd = [browser, *HEADLESS_ARGS, "--no-pdf-header-footer",
               f"--virtual-time-budget={int(timeout * 1000)}", f"--print-to-pdf={tmp}",
               html_path.resolve().as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0 or tmp.stat().st_size == 0:
            raise UserError(f"Chromium could not print {html_path} to PDF: "
                            f"{done.stderr.strip()[-300:]}")
    return pdf_path


def pages_in_pdf(pdf_path: Path, keys: list[str]) -> dict[str, int]:
    """The page (1-based) each script starts on, by ``course_pi`` key: the page with its
    heading, "<course> <pi>: <status>" (the cover lists course and PI in separate cells)."""
    from pypdf import PdfReader

    texts = [" ".join(p.extract_text().split()) for p in PdfReader(pdf_path).pages]
    found = {}
    for key in keys:
        heading = re.compile(re.escape(key.replace("_", " ", 1)) + ":")
        page_number = next((n for n, text in enumerate(texts, start=1) if heading.search(text)),
                           None)
        if page_number is not None:
            found[key] = page_number
    return found


def write_board_files(flagged: pd.DataFrame, sections: list[str], head: str, folder: Path, *,
                      pdf: bool) -> list[Path]:
    """board.html and (``pdf``) board.pdf, with the cover's page numbers as printed."""
    keys = [f"{c}_{p}" for c, p in zip(flagged["course"], flagged["pi"], strict=True)]
    html_path = folder / "board.html"
    if not pdf:  # no PDF to read page numbers from: leave the page column empty
        return [write_text_atomic(html_path, board_html(flagged, sections, {}, head))]
    cover_pages = 1 + (len(keys) - 1) // COVER_ROWS_PER_PAGE  # a first guess, checked below
    guess = {key: n for n, key in enumerate(keys, start=cover_pages + 1)}
    for _ in range(3):  # the cover's own length can move pages, so settle in a few passes
        write_text_atomic(html_path, board_html(flagged, sections, guess, head))
        printed = pages_in_pdf(print_pdf(html_path, folder / "board.pdf"), keys)
        if printed == guess:
            break
        guess = printed
    return [html_path, folder / "board.pdf"]
