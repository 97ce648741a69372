"""HTML for script reports and the award-board pack, and printing HTML to PDF.

One function renders a script's section (heading, reasons, summary, table, charts) for both the
per-script report and the award-board pack. PDF comes from headless Chromium printing the board
HTML after its charts are drawn: one browser start for the whole pack, text stays selectable,
charts stay vector, and CSS page breaks give one page per script.
"""

from __future__ import annotations

import html
import subprocess
from pathlib import Path

import pandas as pd

from gaffertape.atomic import atomic_write
from gaffertape.chromium import HEADLESS_ARGS, require_chromium
from gaffertape.errors import UserError

STYLE = """
body { font-family: sans-serif; font-size: 11pt; margin: 1.5em; }
section { page-break-after: always; break-after: page; }
section:last-child { page-break-after: auto; break-after: auto; }
h2 { margin: 0 0 .3em; } .why { color: #a00; font-weight: bold; }
table { border-collapse: collapse; font-size: 9pt; margin: .5em 0; }
td, th { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
@page { size: A4; margin: 12mm; }
"""

TABLE_COLUMNS = {"category": "category", "max": "max", "weight": "weight", "first": "first",
                 "second": "second", "third": "third", "diff_raw": "diff (raw)",
                 "diff_weighted": "diff (weighted)", "diff_pct_points": "diff (% points)"}


def page(title: str, body: str, head: str = "") -> str:
    """A complete HTML page with the shared style."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{STYLE}</style>{head}</head><body>{body}</body></html>")


def script_section(flag: dict, summary: str, table: pd.DataFrame, charts: list[str]) -> str:
    """One script: heading, reasons, plain-English summary, category table and charts."""
    shown = table[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)
    shown = shown.round(2).to_html(index=False, na_rep="", border=0)
    reasons = html.escape(flag["reasons"]) or "no significant difference"
    chart_html = "".join(f"<div class='chart'>{c}</div>" for c in charts)
    return (f"<section><h2>{html.escape(flag['course'])} {html.escape(flag['pi'])}: "
            f"{html.escape(flag['status'])}</h2><p class='why'>{reasons}</p>"
            f"<p>{html.escape(summary)}</p>{shown}{chart_html}</section>")


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
