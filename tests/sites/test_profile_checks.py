"""Profile checks: static (selectors that point at the wrong kind of element), live (every
selector tried on the real site), the paste fallback reading the profile's headings, and the
wording of lockouts."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.sites import parse
from gaffertape.sites.engine import wait_seconds
from gaffertape.sites.profile import load_profile, parse_profile
from gaffertape.sites.workflows import get_allocation
from gaffertape.workspace import Workspace

from .conftest import cli_env, demo_university, overrides_for

PROFILES = Path(__file__).parents[2] / "src/gaffertape/sites/profiles"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('download_form = "//form[contains(@action, \'download\')]"',
         'download_form = "//div[@id=\'x\']/a[@class=\'zip\']"', "use `download_link`"),
        ('files_table = "//table[contains(@class, \'files\')]"',
         'files_table = "//ul[@class=\'files\']"', "use `files_list`"),
    ],
)
def test_static_check_catches_selectors_of_the_wrong_kind(old: str, new: str,
                                                          message: str) -> None:
    text = (PROFILES / "demo-submissions.toml").read_text()
    assert old in text
    with pytest.raises(UserError, match=message):
        parse_profile(text.replace(old, new), "mine.toml")


def test_both_institutions_profiles_load() -> None:
    for name in ("demo-marks", "demo-submissions", "fenland-marks", "fenland-submissions"):
        profile = load_profile(name)
        assert profile.name == name
    assert load_profile("fenland-marks").load_hooks() == ["clean_allocation_row"]


@pytest.mark.parametrize("institution", ["demo", "fenland"])
def test_live_check_reports_every_selector(tmp_path: Path, institution: str) -> None:
    with demo_university(tmp_path, students=20, institution=institution) as demo:
        marks = PROFILES / f"{institution}-marks.toml"
        command = [sys.executable, "-m", "gaffertape", "sites", "profiles", "--check",
                   str(marks), "--live", "--base-url", demo.base_url, "--username",
                   demo.username, "--format", "csv"]
        env = cli_env(GAFFERTAPE_PASSWORD=demo.password)
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        report = pd.read_csv(io.StringIO(result.stdout.lstrip("\ufeff")))
        assert report["matched"].all()
        assert {"link", "table", "columns.pi", "columns.status", "rows", "form",
                "mark_field_regex", "code_field"} <= set(report["key"])
        assert "not matched" in result.stderr and "Traceback" not in result.stderr
        posts = demo.truth()["counters"]["requests"]
        assert not any(k.startswith("POST") and "login" not in k and "idp" not in k
                       and "acs" not in k for k in posts), "a live check never submits a form"

        # a broken selector is reported by name, and the exit code says so
        broken = tmp_path / "broken.toml"
        text = marks.read_text()
        table = "//table[@class='grid']" if institution == "fenland" else (
            "//table[contains(concat(' ', normalize-space(@class), ' '), ' allocation ')]")
        assert table in text
        broken.write_text(text.replace(table, "//table[@id='nope']"))
        command[command.index(str(marks))] = str(broken)
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        assert result.returncode == 1
        report = pd.read_csv(io.StringIO(result.stdout.lstrip("\ufeff")))
        missed = report[~report["matched"]]
        assert missed["selector"].iloc[0] == "//table[@id='nope']"


def test_paste_reads_the_profiles_headings(tmp_path: Path, workspace: Workspace) -> None:
    """A table copied from Fenland's cohort page: PI headed "Identifier", names ("Surname,
    Given", through the profile's row cleaner), groups and the site's status words come
    through."""
    with demo_university(tmp_path, students=6, institution="fenland") as demo:
        students = demo.truth()["students"]
        ov = overrides_for(demo)
    lines = ["Student name\tIdentifier\tGroup\tStage"] + [
        "{1}, {0}".format(*s["name"].split(" ", 1)) + f"\t{s['pi']}\t{s['tutor_group']}\t"
        f"{'Awaiting 3rd marker' if s['flag']['third_marking_required'] else 'Marked'}"
        for s in students
    ]
    frame = get_allocation(workspace, course="TM470-25J", paste="\n".join(lines) + "\n",
                           overrides=ov, progress=False).set_index("pi")
    for s in students:
        assert frame.loc[s["pi"], "name"] == s["name"]
        assert frame.loc[s["pi"], "tutor_group"] == s["tutor_group"]
        want = "Third marking required" if s["flag"]["third_marking_required"] else "Marked"
        assert frame.loc[s["pi"], "status"] == want


def test_lockout_wording_in_seconds_minutes_and_hours() -> None:
    assert wait_seconds("Try again in 30 seconds.", r"Try again in (\d+) seconds") == 30
    assert wait_seconds("Please try again in 15 minutes", None) == 900
    assert wait_seconds("locked: wait 2 hours", None) == 7200
    assert wait_seconds("try again in 1 minute", r"try again in (\d+) (minutes?|hours?)") == 60
    assert wait_seconds("no number here", None) is None


def test_marker_rows_and_lists_parse() -> None:
    spec = load_profile("fenland-marks").marks
    assert spec is not None
    page = parse.Page("http://h/m", 200, (
        "<table class='assessment'><tr><th>Role</th><th>Marker</th><th>Evaluation (/8)</th>"
        "<th>Presentation (/10)</th><th>Feedback</th></tr><tr><td>1st</td><td>Dr A</td>"
        "<td>6</td><td>7.5</td><td>Good</td></tr></table>"))
    rows = parse.parse_marks(page, spec)
    assert rows == [
        {"role": "first", "marker": "Dr A", "category": "Evaluation", "max": 8.0, "mark": 6.0,
         "comments": "Good"},
        {"role": "first", "marker": "Dr A", "category": "Presentation", "max": 10.0,
         "mark": 7.5, "comments": "Good"},
    ]


def test_scheme_from_the_sites_marks_pages(tmp_path: Path, workspace: Workspace,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from gaffertape.sites.workflows import scheme_from_site, scheme_toml

    monkeypatch.setenv("GAFFERTAPE_PASSWORD", "fenland-password-2")
    with demo_university(tmp_path, students=6, institution="fenland") as demo:
        frame = scheme_from_site(workspace, overrides=overrides_for(demo))
        want = [(c["category"], c["max"]) for c in demo.truth()["scheme"]]
    assert list(zip(frame["category"], frame["max"], strict=True)) == want
    assert "[[categories]]" in scheme_toml(frame, "x")


def test_marking_flags_points_to_scheme_when_categories_differ(tmp_path: Path) -> None:
    """Marks whose categories are not the scheme's: the error names --scheme; a scheme made
    from the site's categories (as `sites scheme --out` writes it) then works."""
    from gaffertape.sites.workflows import scheme_toml

    categories = ["Aims", "Method", "Results"]
    rows = [{"course": "C", "pi": "A1234567", "role": role, "marker": name, "category": c,
             "mark": mark, "comments": ""}
            for role, name, mark in (("first", "Ann", 7), ("second", "Bo", 2))
            for c in categories]
    marks = tmp_path / "marks.csv"
    pd.DataFrame(rows).to_csv(marks, index=False)
    Workspace.init(tmp_path)
    command = [sys.executable, "-m", "gaffertape", "marking", "flags", "--from", str(marks)]
    result = subprocess.run(command, env=cli_env(), capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 2 and "--scheme" in result.stderr, result.stderr
    scheme = tmp_path / "scheme.toml"
    site = pd.DataFrame({"category": categories, "max": [10.0, 10.0, 10.0]})
    scheme.write_text(scheme_toml(site, "From the site"))
    result = subprocess.run([*command, "--scheme", str(scheme)], env=cli_env(),
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "A1234567" in result.stdout


def test_a_site_answering_differently_is_a_one_line_error(tmp_path: Path) -> None:
    """A page the profile points at that is not there: a clear error, never "unexpected"."""
    marks = tmp_path / "marks.toml"
    marks.write_text((PROFILES / "demo-marks.toml").read_text().replace(
        'url = "/oscar/allocation?pres={course}"', 'url = "/oscar/allocations?pres={course}"'))
    ws = Workspace.init(tmp_path / "ws")
    with demo_university(tmp_path, students=5) as demo:
        (ws.root / "gaffertape.toml").write_text(
            f'[sites.marks]\nprofile = "{marks}"\nbase_url = "{demo.base_url}"\n'
            f'username = "{demo.username}"\n')
        command = [sys.executable, "-m", "gaffertape", "--workspace", str(ws.root), "sites",
                   "allocation", "--quiet"]
        result = subprocess.run(command, env=cli_env(), capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert "HTTP 404" in result.stderr and "--live" in result.stderr
    assert "unexpected" not in result.stderr and "report it" not in result.stderr
