"""A second institution, reached with profiles only: the whole flow against Fenland University.

Fenland differs from the first demo in every respect a profile describes (multi-step sign-in
with an SSO hop, course and PI in the path, marks one row per marker, files as a listing, a GET
download named by its URL, lockout in minutes, no read-back of third marks). Checked against its
truth file, with faults on.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gaffertape.marking.api import write_reports
from gaffertape.sites import workflows as wf
from gaffertape.sites.engine import SignInFailed
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

PASSWORD_POST = "POST /idp/authenticate"


def test_whole_flow_against_fenland_with_faults(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAFFERTAPE_PASSWORD", "fenland-password-2")
    with demo_university(tmp_path, students=30, institution="fenland", **ALL_FAULTS) as demo:
        ov = overrides_for(demo)
        out, students = sync_with_faults(demo, workspace)
        truth = demo.truth()

        # statuses through the value map (names went through the row-cleaner hook)
        alloc = out["allocation"].set_index("pi")
        for pi, s in students.items():
            want = ("No submission" if not s["submitted"] else
                    "Third marking required" if s["flag"]["third_marking_required"] else "Marked")
            assert alloc.loc[pi, "status"] == want

        # every file verified byte for byte; unsafe entries refused
        assert (out["download"]["result"] != "failed").all(), out["download"]
        assert all(f["sha256"] for s in students.values() for f in s["files"])
        assert_scripts_match_truth(workspace, students)
        listed = workspace.store.query_df("SELECT pi, file, size FROM submitted_files")
        for row in listed.itertuples(index=False):
            sizes = {f["name"]: f["size"] for f in students[row.pi]["files"]}
            assert sizes[row.file] == row.size

        # every code, every mark (marker rows, category columns with their maxima)
        assert_codes_and_marks_match_truth(out["codes"], out["marks"], students)

        # a second sync with nothing changed: at most one request per student
        assert_second_sync_is_quiet(demo, workspace, len(students))

        # marking flags from these marks: exactly the scripts the institution flagged
        write_reports(workspace)
        flagged = workspace.store.query_df(
            "SELECT pi FROM marking_flags WHERE status = 'needs third marker'")
        need = sorted(pi for pi, s in students.items() if s["flag"]["third_marking_required"])
        assert sorted(flagged["pi"]) == need

        # post third marks (no read-back on this site), then a repeat post sends nothing
        categories = [c["category"] for c in truth["scheme"]]
        sheet = tmp_path / "third.csv"
        pd.DataFrame([{"pi": pi, **{c: (i + j) % 9 for j, c in enumerate(categories)},
                       "comments": f"Third view of {pi}"} for i, pi in enumerate(need)]
                     ).to_csv(sheet, index=False)
        dry = wf.post_third_marks(workspace, sheet, dry_run=True, politeness=FAST,
                                  overrides=ov, progress=False)
        assert set(dry["result"]) == {"would post"} and demo.truth()["third_marks"] == []
        posted = wf.post_third_marks(workspace, sheet, politeness=FAST, overrides=ov,
                                     progress=False)
        uncertain = posted[posted["result"] == "failed"]
        assert uncertain["error"].str.contains("uncertain").all(), uncertain
        if not uncertain.empty:  # the answer was lost: the user checks, then forces just those
            wf.post_third_marks(workspace, sheet, pis=list(uncertain["pi"]), force=True,
                                politeness=FAST, overrides=ov, progress=False)
        sent = len(demo.truth()["third_marks"])
        repeat = wf.post_third_marks(workspace, sheet, politeness=FAST, overrides=ov,
                                     progress=False)
        assert set(repeat["result"]) == {"skipped (already there)"}
        final = demo.truth()
    assert len(final["third_marks"]) == sent, "the repeat post sent nothing"
    accepted = [p for p in final["third_marks"] if p["accepted"]]
    assert sorted(p["pi"] for p in accepted) == need, "zero double posts"
    for post in accepted:
        i = need.index(post["pi"])
        assert [float(m) for m in post["marks"]] == [(i + j) % 9 for j in range(5)]
        assert post["code"] == students[post["pi"]]["confirmation_code"]

    # zero retry storms: sign-ins only as often as sessions expire (every 25 requests here,
    # per site), and password submissions only for sign-ins, bar those the faults cut off (a
    # 5xx or reset answer to the password POST or to the SSO hop after it)
    requests, logins = final["counters"]["requests"], final["counters"]["logins"]
    assert logins <= sum(requests.values()) / 25 + 4
    assert requests[PASSWORD_POST] <= 2 * logins + 2
    assert final["counters"]["lockouts"] == 0


def test_wrong_password_at_fenland_stops_after_two_submissions(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fenland answers a wrong password only by starting the sign-in again, no message."""
    monkeypatch.setenv("GAFFERTAPE_PASSWORD", "not-the-password")
    with demo_university(tmp_path, students=20, institution="fenland") as demo:
        with pytest.raises(SignInFailed) as caught:
            wf.sync(workspace, politeness={**FAST, "concurrency": 6},
                    overrides=overrides_for(demo), progress=False)
        requests = demo.truth()["counters"]["requests"]
    assert requests[PASSWORD_POST] <= 2
    message = caught.value.one_line()
    assert "ended on the sign-in page again" in message and "Fenland sign-in" in message
    assert "gaffertape login fenland-marks" in message


def test_fenland_lockout_in_minutes_is_recorded(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAFFERTAPE_PASSWORD", "fenland-password-2")
    rude = {"delay": 0.0, "rate": 500.0, "global_rate": 500.0, "concurrency": 4, "backoff": 0.01}
    with demo_university(tmp_path, students=30, institution="fenland", lockout=True,
                         lockout_burst=10, lockout_cooldown_s=900) as demo:
        ov = overrides_for(demo)
        wf.get_allocation(workspace, politeness=FAST, overrides=ov, progress=False)
        frame = wf.collect_marks(workspace, politeness=rude, overrides=ov, progress=False)
        assert frame.attrs["fetch"]["error"].str.contains("lock").any()
    until = workspace.store.query_df("SELECT until, seen_at FROM site_lockouts")
    wait = pd.to_datetime(until["until"].iloc[0]) - pd.to_datetime(until["seen_at"].iloc[0])
    assert 14 * 60 <= wait.total_seconds() <= 15 * 60 + 5, "15 minutes, read from the words"


def test_main_job_against_fenland(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`gaffertape demo run --institution fenland`: the same job, profiles only."""
    import json

    from gaffertape.cli import mainjob
    from gaffertape.sites.engine import HostThrottle

    monkeypatch.delenv("GAFFERTAPE_PASSWORD", raising=False)  # the job sets the demo's own
    HostThrottle.reset()
    ctx = mainjob.run_steps(students=12, faults="hostile", workspace=tmp_path / "ws",
                            zip_mb=0.02, institution="fenland")
    HostThrottle.reset()
    done, total = ctx.summary["files verified against the server"].split(" of ")
    assert done == total and int(total) > 0
    truth = json.loads((tmp_path / "ws" / "demo-truth.json").read_text())
    assert truth["institution"] == "fenland"
    expected = {s["pi"] for s in truth["students"] if s["flag"]["third_marking_required"]}
    assert set(ctx.results["third_marking"]["pi"]) == expected
    assert ctx.summary["third marking required"] == len(expected)
    config = (tmp_path / "ws" / "gaffertape.toml").read_text()
    assert 'profile = "fenland-marks"' in config and "fenland-password" not in config


def test_cli_post_says_once_that_there_is_no_read_back(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gaffertape.cli import app

    ws = Workspace.init(tmp_path / "ws")
    with demo_university(tmp_path, students=20, institution="fenland") as demo:
        (ws.root / "gaffertape.toml").write_text("".join(
            f'[sites.{kind}]\nprofile = "fenland-{kind}"\nbase_url = "{demo.base_url}"\n'
            f'username = "{demo.username}"\n\n' for kind in ("marks", "submissions")))
        truth = demo.truth()
        need = [s["pi"] for s in truth["students"] if s["flag"]["third_marking_required"]][:2]
        sheet = tmp_path / "third.csv"
        pd.DataFrame([{"pi": pi, **{c["category"]: 4 for c in truth["scheme"]}} for pi in need]
                     ).to_csv(sheet, index=False)
        runner = CliRunner()
        command = ["--workspace", str(ws.root), "sites", "post", str(sheet), "--quiet"]
        env = {"GAFFERTAPE_PASSWORD": demo.password, "COLUMNS": "200"}
        first = runner.invoke(app, command, env=env)
        second = runner.invoke(app, command, env=env)
        posts = demo.truth()["third_marks"]
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert first.output.count("cannot show third marks back") == 1
    assert "posted" in first.output and "skipped (already there)" in second.output
    assert sorted(p["pi"] for p in posts) == sorted(need)
