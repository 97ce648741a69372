"""The marking Python API: load marks once, then flags, reports, cohort, board pack, feedback.

Nothing is cached on disk: every report is regenerated from the marks each time, so a corrected
mark can never leave a stale report behind.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from gaffertape import ui
from gaffertape.atomic import atomic_write, write_text_atomic
from gaffertape.charts import ChartExporter, export_static
from gaffertape.chromium import find_chromium
from gaffertape.errors import UserError
from gaffertape.export import export_table, export_workbook
from gaffertape.marking import charts, cohort, feedback, pages, report
from gaffertape.marking.flags import compute_flags, role_table
from gaffertape.marking.marks import read_marks_file, read_marks_store, validate_marks
from gaffertape.marking.scheme import MarkScheme, load_scheme
from gaffertape.workspace import Workspace

NEEDS_THIRD = "needs third marker"


@dataclass(frozen=True)
class Marking:
    """Validated marks with everything derived from them, computed once per run."""

    scheme: MarkScheme
    marks: pd.DataFrame
    roles: pd.DataFrame
    flags: pd.DataFrame

    @classmethod
    def from_marks(cls, raw: pd.DataFrame, scheme: MarkScheme | None = None) -> Marking:
        """Check a long-form marks DataFrame against the scheme and derive the flags."""
        scheme = scheme or MarkScheme()
        marks = validate_marks(raw, scheme)
        roles = role_table(marks, scheme)
        return cls(scheme, marks, roles, compute_flags(roles, scheme))

    @property
    def flagged(self) -> pd.DataFrame:
        """Scripts with a significant difference, most urgent first."""
        return self.flags[self.flags["flagged"]].reset_index(drop=True)

    def script(self, pi: str, course: str | None = None) -> tuple[dict, dict]:
        """(flags row, role row) of one script; found by (course, pi) in one index built for
        the run, since searching the tables per script is slow over a thousand scripts."""
        rows = self._by_script.get((course, pi))
        if rows is None:  # no course given, or not there: the search says what is wrong
            return report.find_script(self.flags, self.roles, pi, course)
        return dict(rows[0]), dict(rows[1])

    @functools.cached_property
    def _by_script(self) -> dict[tuple[str, str], tuple[dict, dict]]:
        roles = {(r["course"], r["pi"]): r for r in self.roles.to_dict("records")}
        return {(f["course"], f["pi"]): (f, roles[(f["course"], f["pi"])])
                for f in self.flags.to_dict("records")}


def scheme_for(workspace: Workspace | None, scheme_file: Path | str | None = None) -> MarkScheme:
    """The scheme file if given, else the workspace's ``[marking]`` config, else the default.

    A ``scheme_file`` in ``gaffertape.toml`` is relative to the workspace folder.
    """
    section = workspace.section("marking") if workspace else {}
    if scheme_file is None and workspace and section.get("scheme_file"):
        scheme_file = workspace.root / section["scheme_file"]
    return load_scheme(scheme_file, section.get("scheme"))


def load(source: Path | str | pd.DataFrame | None = None, *, workspace: Workspace | None = None,
         scheme: MarkScheme | None = None) -> Marking:
    """Marks from a DataFrame, a CSV/XLSX file, or (``source=None``) the workspace store."""
    scheme = scheme or scheme_for(workspace)
    if isinstance(source, pd.DataFrame):
        raw = source
    elif source is not None:
        raw = read_marks_file(source)
    elif workspace is not None:
        raw = read_marks_store(workspace.store)
    else:
        raise UserError("no marks given", hint="pass --from FILE or use a workspace store")
    return Marking.from_marks(raw, scheme)


def cohort_report(data: Marking) -> dict[str, pd.DataFrame]:
    """Cohort tables: scripts by attention, per-category disagreement, marker bias."""
    return {
        "scripts": data.flags,
        "categories": cohort.category_disagreement(data.roles, data.scheme),
        "markers": cohort.marker_bias(data.roles, data.flags, data.scheme),
    }


def _script_charts(data: Marking, flag: dict, role: dict) -> tuple[str, pd.DataFrame, list]:
    """(summary, category table, the two charts as plain figure dicts) for one script."""
    text, table = report.script_report(flag, role, data.scheme)
    title = f"{flag['course']} {flag['pi']}"
    specs = [charts.category_spec(table, f"{title}: marks by category"),
             charts.totals_spec(table, data.scheme, f"{title}: totals by category")]
    return text, table, specs


def _script_figures(data: Marking, flag: dict, role: dict) -> tuple[str, pd.DataFrame, list]:
    """:func:`_script_charts` with the charts as Plotly figures (interactive pages)."""
    text, table, specs = _script_charts(data, flag, role)
    return text, table, [go.Figure(spec) for spec in specs]


@functools.cache
def inline_plotlyjs() -> str:
    """plotly.js as one inline script tag: pages work offline, moved or emailed on their own."""
    return f"<script>{get_plotlyjs()}</script>"


def select_scripts(data: Marking, which: str) -> list[tuple[str, str]]:
    """(course, pi) of ``which`` scripts: "flagged" or "all", most urgent first."""
    table = data.flagged if which == "flagged" else data.flags
    return list(zip(table["course"], table["pi"], strict=True))


#: The two charts of a script report, in the order ``_script_figures`` builds them.
SCRIPT_CHARTS = ("categories", "totals")


def write_script_reports(data: Marking, pis: list[str] | list[tuple[str, str]], folder: Path,
                         formats: tuple[str, ...] = (), course: str | None = None, *,
                         interactive: bool = False) -> list[Path]:
    """Per script: a self-contained ``report.html`` (text, table, comments, the two charts)
    plus ``categories.<fmt>`` and ``totals.<fmt>`` for each format asked for (none by default:
    the report carries its charts; PNG files are for pasting into a document).

    The report's charts are inline SVG drawn in the same browser batch as the static files:
    ~60 KB a report, no JavaScript, works offline, in mail readers that block scripts and on
    paper. ``interactive`` puts Plotly charts (hover, zoom) and plotly.js inline instead, ~4.8
    MB a report. ``pis`` are PIs (with ``course`` if ambiguous) or (course, pi) pairs. One
    :class:`gaffertape.charts.ChartExporter` draws every chart of the run in batches.
    """
    scripts = [p if isinstance(p, tuple) else (course, p) for p in pis]
    drawn = formats if interactive else ("svg", *(f for f in formats if f != "svg"))

    def figures():  # built lazily: the next batch is built while the browser draws this one
        for script_course, pi in scripts:
            flag, role = data.script(pi, script_course)
            text, table, figs = (_script_figures if interactive else _script_charts)(
                data, flag, role)
            yield (flag, role, text, table, figs), figs

    written: list[Path] = []
    with contextlib.ExitStack() as stack:
        exporter = stack.enter_context(ChartExporter()) if drawn else None
        progress = stack.enter_context(ui.make_progress())
        task = progress.add_task("Script reports", total=len(scripts), status="")
        items = exporter.stream(figures(), drawn) if exporter else (
            (script, [{}] * len(figs)) for script, figs in figures())
        for (flag, role, text, table, figs), images in items:
            out = folder / f"{flag['course']}_{flag['pi']}"
            written.append(_write_report(out, flag, role, text, table, [
                pio.to_html(f, include_plotlyjs=False, full_html=False) for f in figs
            ] if interactive else [image["svg"].decode("utf-8") for image in images],
                interactive))
            for name, image in zip(SCRIPT_CHARTS, images, strict=True):
                for fmt in formats:
                    with atomic_write(out / f"{name}.{fmt}") as part:
                        part.write_bytes(image[fmt])
                    written.append(out / f"{name}.{fmt}")
            progress.update(task, advance=1, status=flag["pi"])
    return written


def _write_report(out: Path, flag: dict, role: dict, text: str, table: pd.DataFrame,
                  charts_html: list[str], interactive: bool) -> Path:
    body = pages.script_section(flag, role, text, table, charts_html)
    return write_text_atomic(out / "report.html", pages.page(
        f"{flag['course']} {flag['pi']}", body, inline_plotlyjs() if interactive else ""))


def write_board(data: Marking, folder: Path, *, pdf: bool = True) -> list[Path]:
    """The award-board pack: a cover listing every flagged script and its page, then one page
    per flagged script with a box for the board's decision, as HTML and (``pdf``) PDF.

    The HTML carries plotly.js once and every chart as an interactive figure; Chromium prints
    that same page to PDF (one browser start for the whole pack), which is ~20x faster than
    exporting each chart through kaleido first.
    """
    flagged = data.flagged
    sections = []
    with ui.make_progress() as progress:
        task = progress.add_task("Board pages", total=len(flagged), status="")
        for pi, course in zip(flagged["pi"], flagged["course"], strict=True):
            flag, role = data.script(pi, course)
            text, table, figs = _script_figures(data, flag, role)
            figs[0].update_layout(width=680, height=250, margin={"t": 50, "b": 40})
            figs[1].update_layout(width=680, height=205 + 40 * len(figs[1].data[0].y),
                                  margin={"t": 60, "b": 125})
            sections.append(pages.script_section(flag, role, text, table, [
                pio.to_html(f, include_plotlyjs=False, full_html=False,
                            config={"displayModeBar": False}) for f in figs], decision=True))
            progress.update(task, advance=1, status=pi)
    return pages.write_board_files(flagged, sections, inline_plotlyjs(), folder, pdf=pdf)


COHORT_TABLES = ("scripts", "categories", "markers")


def write_cohort(data: Marking, folder: Path, *, xlsx: bool = False,
                 formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """The cohort tables and charts, under the one set of names the main job and
    ``gaffertape marking cohort`` share: ``cohort_<table>.csv`` (and ``cohort.xlsx``),
    ``cohort_charts.html`` (interactive, self-contained) and ``cohort_<chart>.<fmt>``."""
    tables = cohort_report(data)
    written = [export_table(df, folder / f"cohort_{name}.csv") for name, df in tables.items()]
    if xlsx:
        written.append(export_workbook(tables, folder / "cohort.xlsx"))
    figures = charts.cohort_charts(data.flags, data.roles, data.scheme)
    body = "".join(pio.to_html(f, include_plotlyjs=False, full_html=False) for f in
                   figures.values())
    written.append(write_text_atomic(folder / "cohort_charts.html", pages.page(
        "Cohort: where and why markers differ", body, inline_plotlyjs())))
    if formats:
        written += export_static(
            [f for _ in formats for f in figures.values()],
            [folder / f"cohort_{name}.{fmt}" for fmt in formats for name in figures])
    return written


def write_feedback(data: Marking, folder: Path) -> pd.DataFrame:
    """Draft feedback for every script: a table, plus one editable Markdown file per script
    (``_PROVISIONAL`` in the name and first line until the script has a final mark)."""
    drafts = feedback.feedback_drafts(data.roles, data.flags, data.scheme)
    feedback.write_feedback(drafts, folder)
    return drafts


PDF_SKIPPED = ("board.pdf skipped: Chromium was not found (install Debian's chromium package,"
               " or set BROWSER_PATH, then run `gaffertape marking board`)")


def write_reports(workspace: Workspace, *, board: bool = False) -> dict[str, object]:
    """What the main job calls: flags, cohort tables and charts, the third-marking list.

    Writes under ``reports/marking/`` (and the board pack if ``board``: HTML always, PDF and
    static charts when Chromium is installed), refreshes the ``marking_flags`` store table, and
    returns a summary dict; ``notes`` says what was skipped and how to get it.
    """
    data = load(workspace=workspace)
    folder = workspace.reports_dir / "marking"
    browser = find_chromium() is not None
    third = data.flags[data.flags["status"] == NEEDS_THIRD]
    written = write_cohort(data, folder, formats=("png",) if browser else ())
    written.append(export_table(third, folder / "third_marking.csv"))
    _store_flags(workspace, data.flags)
    notes, pack = [], []
    if board and not data.flagged.empty:
        pack = write_board(data, folder, pdf=browser)
        written += pack
        if not browser:
            notes.append(PDF_SKIPPED)
    return {"scripts": len(data.flags), "flagged": int(data.flags["flagged"].sum()),
            "needs_third_marker": third["pi"].tolist(), "agreed": int(
                (data.flags["status"] == "agreed").sum()), "files": [str(p) for p in written],
            "board": [str(p) for p in pack], "notes": notes}


def _store_flags(workspace: Workspace, flags: pd.DataFrame) -> None:
    columns = ["course", "pi", "status", "flagged", "reasons", "first_pct", "second_pct",
               "third_pct", "average_pct", "final_pct", "final_grade", "final_qualifier"]
    out = flags[columns].assign(flagged=flags["flagged"].astype(int),
                                generated_at=datetime.now(UTC).isoformat())
    workspace.store.write_df("marking_flags", out, replace_where="1=1")
