"""Students' zips that clash with themselves, runs killed mid-extraction, and summaries that must
count what happened: against real zips on disk and the real demo university."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from gaffertape.demo import DemoConfig, DemoUniversity, Faults
from gaffertape.sites import workflows as wf
from gaffertape.sites.commands import failures_per_student
from gaffertape.sites.engine import HostThrottle
from gaffertape.sites.safezip import UnsafeZip, ZipContentError, safe_extract
from gaffertape.sites.workflows.common import redo_unit
from gaffertape.sites.workflows.sync import downloads_this_run
from gaffertape.workspace import Workspace

PASSWORD = "demo-password-1"
FAST = {"delay": 0.01, "rate": 25.0, "global_rate": 100.0, "backoff": 0.05, "max_backoff": 0.5,
        "retries": 6}


def _zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    """A zip holding ``entries`` as given, duplicates included (as a hostile sender makes)."""
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": that is the point
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def test_clashing_entries_are_renamed_and_the_rest_extracted(tmp_path: Path) -> None:
    long_name = "é" * 200 + ".docx"  # 405 bytes: over any file system's 255
    zpath = _zip(tmp_path / "s.zip", [
        ("report.pdf", b"first"),
        ("report.pdf", b"second"),            # duplicate name
        ("notes", b"a file called notes"),    # file ...
        ("notes/todo.txt", b"... and a folder called notes"),
        (long_name, b"long"),
        ("../escape.txt", b"x"),
        ("ok/readme.md", b"fine"),
    ])
    dest = tmp_path / "scripts" / "A1234567"
    result = safe_extract(zpath, dest)
    files = {f.path: (dest / f.path).read_bytes() for f in result.files}
    assert files["report.pdf"] == b"first" and files["report~2.pdf"] == b"second"
    assert files["notes/todo.txt"] == b"... and a folder called notes"
    assert files["notes~2"] == b"a file called notes"
    shortened = [p for p in files if p.endswith(".docx")]
    assert len(shortened) == 1 and len(shortened[0].encode()) <= 255
    assert files[shortened[0]] == b"long"
    assert files["ok/readme.md"] == b"fine"
    assert [r.split(" (")[0] for r in result.rejected] == ["../escape.txt"]
    assert {a for a, _ in result.renamed} == {"report.pdf", "notes", long_name}
    # deterministic: the same zip gives the same names
    again = safe_extract(zpath, tmp_path / "again")
    assert [f.path for f in again.files] == [f.path for f in result.files]


def test_content_failure_is_not_downloaded_again() -> None:
    class Session:
        class retry:
            retries = 5

            @staticmethod
            def wait(attempt: int) -> float:
                return 0.0

        class profile:
            name = "test"

    calls = []

    def content_fails() -> None:
        calls.append(1)
        raise ZipContentError("every entry refused")

    with pytest.raises(ZipContentError):
        redo_unit(Session, content_fails)  # type: ignore[arg-type]
    assert len(calls) == 1

    def transfer_fails() -> None:
        calls.append(1)
        raise UnsafeZip("CRC error")

    calls.clear()
    with pytest.raises(UnsafeZip):
        redo_unit(Session, transfer_fails)  # type: ignore[arg-type]
    assert len(calls) == 6  # a corrupt transfer is worth retrying


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GAFFERTAPE_PASSWORD", PASSWORD)
    config = DemoConfig(seed=7, students=12, zip_mb=0.02, truth_path=tmp_path / "truth.json",
                        port=0, faults=Faults.profile("none", evil_zip_rate=0.3))
    HostThrottle.reset()
    with DemoUniversity(config) as university:
        yield university
    HostThrottle.reset()


def _overrides(demo: DemoUniversity) -> dict[str, dict[str, str]]:
    site = {"base_url": demo.base_url, "username": demo.username}
    return {"marks": dict(site), "submissions": dict(site)}


def test_leftovers_of_a_killed_extraction_are_removed_on_start(tmp_path: Path, demo) -> None:
    ws = Workspace.init(tmp_path / "ws")
    course = demo.truth()["students"][0]["course"]
    part = ws.scripts_dir / course / ".A1234567.x8k2.part"
    (part / "sub").mkdir(parents=True)
    (part / "sub" / "half.pdf").write_bytes(b"half")
    old = ws.scripts_dir / course / ".A1234567.old"
    old.mkdir()
    zpart = ws.downloads_dir / course / ".A1234567.zip.part"
    zpart.parent.mkdir(parents=True)
    zpart.write_bytes(b"PK")
    done = wf.download_scripts(ws, politeness=FAST, overrides=_overrides(demo), progress=False)
    assert (done["result"] != "failed").all(), done
    assert not part.exists() and not old.exists() and not zpart.exists()
    assert not [p for p in ws.root.rglob("*.part")]


def test_sync_summary_counts_what_happened(tmp_path: Path, demo) -> None:
    ws = Workspace.init(tmp_path / "ws")
    students = demo.truth()["students"]
    submitted = sum(s["submitted"] for s in students)
    evil = sum(bool(s["evil_entries"]) for s in students)
    assert evil, "the fault settings should give some evil zips"
    out = wf.sync(ws, politeness=FAST, overrides=_overrides(demo), progress=False)
    counts = out["download"]["result"].value_counts().to_dict()
    # a fresh workspace: everything was fetched now, nothing "skipped (verified)"
    assert "skipped (verified)" not in counts, counts
    assert counts.get("downloaded", 0) + counts.get("downloaded, entries refused", 0) == submitted
    assert counts.get("downloaded, entries refused", 0) == evil
    again = wf.sync(ws, politeness=FAST, overrides=_overrides(demo), progress=False)
    assert set(again["download"]["result"]) <= {"skipped (verified)"}
    assert (again["download"]["result"] == "skipped (verified)").sum() == len(students)


def test_downloads_this_run_prefers_what_the_pipeline_did() -> None:
    pipeline = pd.DataFrame([
        {"course": "C", "pi": "A0000001", "result": "downloaded", "error": None},
        {"course": "C", "pi": "A0000002", "result": "failed", "error": "boom"},
        {"course": "C", "pi": "A0000003", "result": "ok", "error": None},  # marks only
    ])
    second = pd.DataFrame([
        {"course": "C", "pi": "A0000001", "result": "skipped (verified)", "error": None},
        {"course": "C", "pi": "A0000002", "result": "downloaded", "error": None},  # retried
        {"course": "C", "pi": "A0000003", "result": "skipped (verified)", "error": None},
    ])
    merged = downloads_this_run(pipeline, second).set_index("pi")["result"].to_dict()
    assert merged == {"A0000001": "downloaded", "A0000002": "downloaded",
                      "A0000003": "skipped (verified)"}


def test_failure_table_counts_students_not_events() -> None:
    locked = [{"course": "C", "pi": f"A000000{i}", "result": "failed", "error": "locked"}
              for i in range(3)]
    steps = {"download": pd.DataFrame(locked), "codes": pd.DataFrame(locked),
             "marks": pd.DataFrame(locked[:2])}
    table = failures_per_student(steps)
    assert len(table) == 3
    assert table.set_index("pi").loc["A0000000", "error"] == \
        "download: locked; codes: locked; marks: locked"


def test_many_entries_each_within_their_ratio_cannot_add_up_to_a_bomb(tmp_path: Path) -> None:
    """40 entries of 1 MiB of zeros: each ~1 KB compressed, inside its own ratio thanks to the
    per-entry slack, but together 40 MiB from a 45 KB zip (~900x). Scaled up to 10,000
    entries, an 11 MB zip would have written the whole 8 GiB total bound to disk."""
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n in range(40):
            archive.writestr(f"part{n:02}.bin", bytes(1024**2))
    dest = tmp_path / "scripts" / "A1234567"
    with pytest.raises(ZipContentError, match="at most 200x the zip's size"):
        safe_extract(path, dest)
    assert not dest.exists() and list(dest.parent.iterdir()) == []  # nothing half-written


def test_names_one_file_on_macos_or_windows_are_renamed_everywhere(tmp_path: Path) -> None:
    """On a case-insensitive file system (macOS, Windows) 'Report.pdf' and 'report.pdf' are one
    file, as are 'é' written composed and decomposed: the second was refused there ('File
    exists') or overwrote a folder's name. They are now renamed on every system alike."""
    zpath = _zip(tmp_path / "s.zip", [
        ("Report.pdf", b"one"), ("report.PDF", b"two"),
        ("caf\u00e9.txt", b"composed"), ("cafe\u0301.txt", b"decomposed"),
        ("Notes", b"a file"), ("notes/todo.txt", b"in a folder"),
    ])
    result = safe_extract(zpath, tmp_path / "out")
    written = {f.path: (tmp_path / "out" / f.path).read_bytes() for f in result.files}
    assert written == {"Report.pdf": b"one", "report~2.PDF": b"two",
                       "caf\u00e9.txt": b"composed", "cafe\u0301~2.txt": b"decomposed",
                       "Notes~2": b"a file", "notes/todo.txt": b"in a folder"}
    assert not result.rejected
