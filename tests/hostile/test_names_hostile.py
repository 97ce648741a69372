"""Course codes from files other people send: they become file names, never paths."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.marking.scheme import DEFAULT_CATEGORIES
from gaffertape.sites.parse import parse_pasted
from gaffertape.sites.workflows.marks import scheme_toml
from gaffertape.workspace import Workspace

from .conftest import far_cell_xlsx, gaffertape


def _marks_and_workspace(folder: Path, *, course: str) -> None:
    """marks.csv (one script of ``course``, both markers) and a workspace ``ws`` in ``folder``."""
    rows = [{"course": course, "pi": "A1234567", "role": role, "marker": role,
             "category": c.name, "mark": 5, "comments": ""}
            for role in ("first", "second") for c in DEFAULT_CATEGORIES]
    pd.DataFrame(rows).to_csv(folder / "marks.csv", index=False)
    Workspace.init(folder / "ws")


def test_marks_file_course_cannot_write_feedback_outside_the_folder(tmp_path: Path) -> None:
    """``course = ../../../../escaped`` made ``marking feedback`` write
    ``<workspace>/../escaped_A1234567_PROVISIONAL.md``, creating folders on the way."""
    _marks_and_workspace(tmp_path, course="../../../../escaped")
    run = gaffertape("-w", "ws", "marking", "feedback", "--from", "marks.csv", cwd=tmp_path)
    assert run.returncode == 2
    assert len(run.errors) == 1 and run.errors[0].startswith(
        "error: marks.csv row 2: course '../../../../escaped' cannot name a report file")
    assert list(tmp_path.rglob("*escaped*")) == []


@pytest.mark.parametrize("course", ["../x", "a/b", "..", "TM470\\25J", "TM\x1b[31m470"])
def test_pasted_allocation_course_that_is_a_path_is_refused(course: str) -> None:
    with pytest.raises(UserError, match=r"pasted allocation row 2: course code .* cannot name"):
        parse_pasted(f"PI,Course\nA1234567,{course}\n", None)


def test_control_characters_from_data_never_reach_the_terminal(tmp_path: Path) -> None:
    """An ANSI escape in a value (a zip entry's name, a page's text) or in an error message
    was printed as is: ESC[2J clears the screen, ESC]0; retitles the window, OSC 52 writes
    to the clipboard in some terminals. Tables and error lines now write it out (``\\x1b``)."""
    Workspace.init(tmp_path / "ws")
    shown = gaffertape("-w", "ws", "sql", "select chr(27) || ']0;PWNED' || chr(7) || 'x' as name",
                       cwd=tmp_path)
    assert shown.returncode == 0 and "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "\\x1b]0;PWNED\\x07x" in shown.stdout
    failed = gaffertape("-w", "ws", "sql", 'select * from "\x1b[2Jnope"', cwd=tmp_path)
    assert failed.returncode != 0 and "\x1b" not in failed.stderr
    assert "\\x1b[2Jnope" in failed.errors[0]


@pytest.mark.parametrize("command", [
    ["marking", "flags", "--from", "far.xlsx"],
    ["sites", "post", "far.xlsx", "--dry-run"],
    ["demographics", "load", "far.xlsx"],
    ["demographics", "load", "--comparators", "far.xlsx"],
    ["sites", "download", "--pis-file", "far.xlsx"],
])
def test_a_far_cell_workbook_is_one_line_not_an_abort(tmp_path: Path, command: list[str]) -> None:
    """The 4.8 KB workbook with a value at XFD1048576 made calamine abort the process (SIGABRT,
    a Rust out-of-memory) in every reader outside `sheets`: marks, third marks, records."""
    far_cell_xlsx(tmp_path / "far.xlsx")
    Workspace.init(tmp_path / "ws")
    run = gaffertape("-w", "ws", *command, cwd=tmp_path)
    assert run.returncode in (1, 2), (run.returncode, run.stderr[-500:])  # 1: files failed
    assert len(run.errors) == 1 and "far.xlsx (sheet 'Far away'): refused: a value as far as row" \
        " 1,048,576" in run.stderr.replace("\n", " ")


def test_report_folders_are_private_like_the_workspace(tmp_path: Path) -> None:
    """reports/marking and reports/marking/feedback were made 0755 (the umask's default):
    anyone on the machine could list the file names, which name every student by PI."""
    _marks_and_workspace(tmp_path, course="TM470-25J")
    run = gaffertape("-w", "ws", "marking", "feedback", "--from", "marks.csv", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    reports = tmp_path / "ws" / "reports"
    made = [reports / "marking", reports / "marking" / "feedback"]
    assert {oct(p.stat().st_mode & 0o777) for p in made} == {"0o700"}
    assert {oct(p.stat().st_mode & 0o777) for p in made[1].iterdir()} == {"0o600"}


def test_a_scheme_read_from_a_site_is_valid_toml_whatever_its_names(tmp_path: Path) -> None:
    """Category names are the site's text: an emoji was written as a JSON surrogate pair and
    DEL raw, neither of which TOML accepts, so `sites scheme --out` wrote a scheme that
    `marking --scheme` could not load."""
    names = ["Design \U0001f3a8", "a\x7fb", 'q"uote\\ \n', "Évaluation"]
    text = scheme_toml(pd.DataFrame({"category": names, "max": [8.0, 4.0, 2.0, 1.0]}), "S é")
    loaded = tomllib.loads(text)
    assert loaded["name"] == "S é" and [c["name"] for c in loaded["categories"]] == names


def test_a_csv_header_in_data_cannot_inject_sql(tmp_path: Path) -> None:
    """DuckDB's sniffer 'Prompt' pastes column names in unquoted, and it was used as the view's
    reader: a CSV dropped into data/ whose header reads "b': 'BIGINT'}); COPY ... TO
    'data/pwn.csv'; --" wrote data/pwn.csv (any file the connection may write), and a plain
    quote in a header broke every query with 'unexpected ParserException'."""
    ws = Workspace.init(tmp_path / "ws")
    data = ws.root / "data"
    data.mkdir(exist_ok=True)
    target = data / "pwn.csv"
    (data / "inj.csv").write_text(f"a,\"b': 'BIGINT'}}); COPY (SELECT 42 AS pwned) TO "
                                  f"'{target}'; --\"\n1,2\n", encoding="utf-8")
    (data / "quote.csv").write_text("ok,x'y\n1,2\n", encoding="utf-8")
    for table, header in (("inj", "b': 'BIGINT'}); COPY"), ("quote", "x'y")):
        run = gaffertape("-w", "ws", "sql", f"select * from data.{table}", "--format", "csv",
                         cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert header in run.stdout.splitlines()[0]
    assert not target.exists()


@pytest.mark.parametrize("number", ["max = inf", "weight = inf"])
def test_a_scheme_with_an_infinite_number_is_refused(tmp_path: Path, number: str) -> None:
    """TOML reads inf (nan and -inf were already refused as not > 0). A maximum of inf (as
    `sites scheme --out` writes when a site shows 'Max: inf') made every percentage 0: marks
    of 1e300 and 2 were 'not flagged'."""
    key = number.split(" = ")[0]
    fields = {"max": "max = 8", "weight": "weight = 1.0"} | {key: number}
    (tmp_path / "s.toml").write_text(
        'name = "x"\n[[categories]]\nname = "A"\n' + "\n".join(fields.values()) + "\n",
        encoding="utf-8")
    rows = [{"course": "TM470-25J", "pi": "A1234567", "role": role, "marker": role,
             "category": "A", "mark": mark, "comments": ""}
            for role, mark in (("first", 1e300), ("second", 2))]
    pd.DataFrame(rows).to_csv(tmp_path / "marks.csv", index=False)
    Workspace.init(tmp_path / "ws")
    run = gaffertape("-w", "ws", "marking", "flags", "--from", "marks.csv", "--scheme",
                     "s.toml", cwd=tmp_path)
    assert run.returncode == 2, run.stdout
    assert run.errors[0].startswith(f"error: s.toml: categories.0.{key}: Input should be a "
                                    "finite number")
