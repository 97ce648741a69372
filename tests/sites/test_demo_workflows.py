"""The workflows end to end against the demo university with every fault mode on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gaffertape.sites import workflows as wf
from gaffertape.workspace import Workspace

from .conftest import (
    ALL_FAULTS,
    FAST,
    assert_codes_and_marks_match_truth,
    assert_scripts_match_truth,
    assert_second_sync_is_quiet,
    demo_university,
    overrides_for,
    sync_with_faults,
)


def test_sync_with_every_fault_then_resume_then_post(tmp_path: Path, workspace: Workspace) -> None:
    with demo_university(tmp_path, students=30, **ALL_FAULTS) as demo:
        ov = overrides_for(demo)
        # allocation: everyone, despite malformed rows
        out, students = sync_with_faults(demo, workspace)
        truth = demo.truth()

        # downloads: every file, byte for byte, and nothing outside the student folders
        assert (out["download"]["result"] != "failed").all(), out["download"]
        evil = [pi for pi, s in students.items() if s["evil_entries"]]
        assert evil, "the fault settings should have produced an evil zip"
        assert_scripts_match_truth(workspace, students)
        assert not list(workspace.root.parent.glob("evil*"))
        assert not any(p.is_symlink() for p in workspace.scripts_dir.rglob("*"))
        rejected = workspace.store.query_df("SELECT pi FROM downloads WHERE rejected IS NOT NULL")
        assert set(rejected["pi"]) == set(evil)

        # codes, and marks in long form, as the truth has them
        marks = out["marks"]
        assert set(marks.columns) >= {"course", "pi", "role", "marker", "category", "mark",
                                      "comments"}
        assert_codes_and_marks_match_truth(out["codes"], marks, students)

        # a second run with nothing changed: at most one request per student
        assert_second_sync_is_quiet(demo, workspace, len(students))

        # post third marks for everyone who needs them; twice; plus a dry run
        need = [pi for pi, s in students.items() if s["flag"]["third_marking_required"]]
        assert need
        categories = [c["category"] for c in truth["scheme"]]
        rows = [
            {
                "pi": pi,
                **{c: (i + j) % 9 for j, c in enumerate(categories)},
                "comments": f"Third marker's view of {pi}: fine.",
            }
            for i, pi in enumerate(need)
        ]
        sheet = tmp_path / "third.xlsx"
        pd.DataFrame(rows).to_excel(sheet, index=False)
        dry = wf.post_third_marks(
            workspace, sheet, dry_run=True, politeness=FAST, overrides=ov, progress=False
        )
        assert set(dry["result"]) == {"would post"}
        assert demo.truth()["third_marks"] == []
        first = wf.post_third_marks(workspace, sheet, politeness=FAST, overrides=ov, progress=False)
        assert set(first["result"]) == {"posted"}, first
        second = wf.post_third_marks(
            workspace, sheet, politeness=FAST, overrides=ov, progress=False
        )
        assert set(second["result"]) == {"skipped (already there)"}
        posts = demo.truth()["third_marks"]
        accepted = [p for p in posts if p["accepted"]]
        assert sorted(p["pi"] for p in accepted) == sorted(need), "zero double posts"
        audit = workspace.store.query_df("SELECT action, COUNT(*) n FROM posts GROUP BY 1")
        audit_counts = dict(zip(audit["action"], audit["n"], strict=True))
        assert audit_counts["verified"] == len(need) and audit_counts["dry-run"] == len(need)
        third = workspace.store.query_df("SELECT * FROM marks WHERE role = 'third'")
        assert set(third["pi"]) == set(need)


def test_post_wrong_category_and_long_form(tmp_path: Path, workspace: Workspace) -> None:
    with demo_university(tmp_path, students=20) as demo:
        ov = overrides_for(demo)
        wf.get_allocation(workspace, politeness=FAST, overrides=ov, progress=False)
        truth = demo.truth()
        pi = next(s["pi"] for s in truth["students"] if s["flag"]["third_marking_required"])
        long = pd.DataFrame(
            [
                {"pi": pi, "category": c["category"], "mark": 5, "comments": "Long form."}
                for c in truth["scheme"]
            ]
        )
        path = tmp_path / "long.csv"
        long.to_csv(path, index=False)
        done = wf.post_third_marks(workspace, path, politeness=FAST, overrides=ov, progress=False)
        assert list(done["result"]) == ["posted"]
        bad = tmp_path / "bad.csv"
        pd.DataFrame([{"pi": pi, "Nonsense": 3}]).to_csv(bad, index=False)
        out = wf.post_third_marks(workspace, bad, politeness=FAST, overrides=ov, progress=False)
        assert list(out["result"]) == ["failed"] and "unknown categories" in out["error"].iloc[0]
        assert len(demo.truth()["third_marks"]) == 1


def test_lockout_stops_cleanly(tmp_path: Path, workspace: Workspace) -> None:
    rude = {"delay": 0.0, "rate": 500.0, "global_rate": 500.0, "concurrency": 4, "backoff": 0.01}
    with demo_university(
        tmp_path,
        students=40,
        lockout=True,
        lockout_burst=10,
        lockout_window_s=2,
        lockout_cooldown_s=30,
    ) as demo:
        ov = overrides_for(demo)
        wf.get_allocation(workspace, politeness=rude, overrides=ov, progress=False)
        frame = wf.collect_marks(workspace, politeness=rude, overrides=ov, progress=False)
        fetch = frame.attrs["fetch"]
        assert (fetch["result"] == "failed").any()
        assert fetch[fetch["result"] == "failed"]["error"].str.contains("lock").all()
        counters = demo.truth()["counters"]
        assert counters["lockouts"] >= 1
        # once locked, nothing more is sent (at most the requests already in flight): the
        # burst that triggered it, plus one per worker
        assert counters["requests"]["GET /oscar/marks"] <= 10 + 1 + 4 + 2
        assert fetch["error"].str.contains("retry after").any()


def test_bad_password_is_a_user_error(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gaffertape.errors import UserError

    monkeypatch.setenv("GAFFERTAPE_PASSWORD", "wrong-password")
    with demo_university(tmp_path, students=5) as demo, pytest.raises(UserError, match="rejected"):
        wf.get_allocation(workspace, politeness=FAST, overrides=overrides_for(demo), progress=False)
