"""Never storm a login, never double-post, and stay polite across runs and processes.

Every count here is taken at the demo university's truth counters (what the server received),
not from gaffertape's own bookkeeping.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from gaffertape.errors import UserError
from gaffertape.locks import lock_holder
from gaffertape.sites import workflows as wf
from gaffertape.sites.engine import SignInFailed, SiteLocked
from gaffertape.sites.workflows.common import lock_name
from gaffertape.workspace import Workspace

from .conftest import FAST, cli_env, demo_university, overrides_for

PROFILES = Path(__file__).parents[2] / "src/gaffertape/sites/profiles"


def _profile_copy(tmp_path: Path, name: str, edit: dict[str, str]) -> Path:
    """A bundled profile with some lines replaced (each must match exactly once)."""
    text = (PROFILES / f"{name}.toml").read_text()
    for pattern, replacement in edit.items():
        text, count = re.subn(pattern, replacement, text, flags=re.M)
        assert count == 1, pattern
    path = tmp_path / f"{name}-variant.toml"
    path.write_text(text)
    return path


def _requests(demo, route: str | None = None) -> int:
    counters = demo.truth()["counters"]["requests"]
    return counters.get(route, 0) if route else sum(counters.values())


def test_wrong_password_answered_only_with_the_login_page(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The profile knows no failure text, so the only sign is the login page coming back: at
    most two password submissions in the whole run, however many workers, and a clear error."""
    monkeypatch.setenv("GAFFERTAPE_PASSWORD", "wrong-password")
    marks = _profile_copy(tmp_path, "demo-marks", {r"^failure_text = .*$": "failure_text = []"})
    subs = _profile_copy(
        tmp_path, "demo-submissions", {r"^failure_text = .*$": "failure_text = []"}
    )
    with demo_university(tmp_path, students=20) as demo:
        ov = overrides_for(demo)
        ov["marks"]["profile"], ov["submissions"]["profile"] = str(marks), str(subs)
        with pytest.raises(SignInFailed) as caught:
            wf.sync(workspace, politeness={**FAST, "concurrency": 6}, overrides=ov, progress=False)
        assert _requests(demo, "POST /sso/login") <= 2
        message = caught.value.one_line()
        assert "sign-in page again" in message and "password" in message
        assert "Sign in" in message and demo.base_url in message  # which page came back
        assert "wrong-password" not in message


def test_sign_in_error_names_the_step_and_the_missing_field(
    tmp_path: Path, workspace: Workspace
) -> None:
    marks = _profile_copy(
        tmp_path, "demo-marks", {r'^password_field = "password"$': 'password_field = "passwd"'}
    )
    with demo_university(tmp_path, students=5) as demo:
        ov = overrides_for(demo)
        ov["marks"]["profile"] = str(marks)
        with pytest.raises(SignInFailed) as caught:
            wf.get_allocation(workspace, politeness=FAST, overrides=ov, progress=False)
        assert _requests(demo, "POST /sso/login") == 0
    message = caught.value.one_line()
    assert "step 'sign-in'" in message and "'passwd'" in message
    assert "'Sign in' at" in message and "unexpected" not in message


def test_sign_in_that_changes_nothing_stops_too(tmp_path: Path, workspace: Workspace) -> None:
    """Signing in succeeds but the pages keep coming back as the sign-in page (a lost cookie):
    a few password submissions at most, then one clear error."""
    hooks = tmp_path / "lost_cookie.py"
    hooks.write_text(
        "def fix_page(html, url):\n"
        "    if 'allocation' in url:  # as if the session cookie were never sent\n"
        "        return html.replace('<body', '<body><p>Your session has expired</p>', 1)\n"
        "    return html\n"
    )
    marks = _profile_copy(tmp_path, "demo-marks", {r"^\[post\]$": f'[hooks]\nmodule = "{hooks}"'
                                                   '\n\n[post]'})
    with demo_university(tmp_path, students=10) as demo:
        ov = overrides_for(demo)
        ov["marks"]["profile"] = str(marks)
        with pytest.raises(SignInFailed, match="answered with its sign-in page again"):
            wf.get_allocation(workspace, politeness=FAST, overrides=ov, progress=False)
        assert _requests(demo, "POST /sso/login") <= 3


def test_repeat_post_without_read_back_sends_nothing(
    tmp_path: Path, workspace: Workspace
) -> None:
    """A site that cannot show third marks back: the audit alone keeps a repeat post from
    sending anything, and the user is told once that there is no read-back."""
    marks = _profile_copy(tmp_path, "demo-marks", {r'^role = "third"$': 'role = "third"\n'
                                                   'readback = "unavailable"'})
    with demo_university(tmp_path, students=20, error_rate=0.1) as demo:
        ov = overrides_for(demo)
        ov["marks"]["profile"] = str(marks)
        truth = demo.truth()
        need = [s["pi"] for s in truth["students"] if s["flag"]["third_marking_required"]]
        categories = [c["category"] for c in truth["scheme"]]
        sheet = tmp_path / "third.csv"
        pd.DataFrame(
            [{"pi": pi, **dict.fromkeys(categories, 4), "comments": "ok"} for pi in need]
        ).to_csv(sheet, index=False)
        first = wf.post_third_marks(workspace, sheet, politeness=FAST, overrides=ov,
                                    progress=False)
        assert set(first["result"]) == {"posted"}, first
        assert "cannot show third marks back" in first.attrs["note"]
        before = _requests(demo)
        again = wf.post_third_marks(workspace, sheet, politeness=FAST, overrides=ov,
                                    progress=False)
        assert set(again["result"]) == {"skipped (already there)"}
        assert _requests(demo) == before, "a repeat post sends nothing at all"
        changed = sheet.with_name("changed.csv")
        pd.DataFrame([{"pi": need[0], **dict.fromkeys(categories, 6)}]).to_csv(
            changed, index=False
        )
        refused = wf.post_third_marks(workspace, changed, politeness=FAST, overrides=ov,
                                      progress=False)
        assert "--force" in refused["error"].iloc[0]
        forced = wf.post_third_marks(workspace, changed, force=True, politeness=FAST,
                                     overrides=ov, progress=False)
        assert list(forced["result"]) == ["posted"]
        posts = [p for p in demo.truth()["third_marks"] if p["accepted"]]
    assert sorted(p["pi"] for p in posts) == sorted([*need, need[0]])


def test_read_back_from_a_page_of_its_own(tmp_path: Path, workspace: Workspace) -> None:
    """`readback = "page"`: marks already there are found on that page and not posted again
    (even with the audit forgotten), and a post is verified from it."""
    marks = _profile_copy(tmp_path, "demo-marks", {
        r'^role = "third"$': 'role = "third"\nreadback = "page"\n'
                             'readback_url = "/oscar/marks?pres={course}&pi={pi}"'})
    with demo_university(tmp_path, students=20) as demo:
        ov = overrides_for(demo)
        ov["marks"]["profile"] = str(marks)
        truth = demo.truth()
        pi = next(s["pi"] for s in truth["students"] if s["flag"]["third_marking_required"])
        sheet = tmp_path / "third.csv"
        pd.DataFrame([{"pi": pi, **{c["category"]: 3 for c in truth["scheme"]}}]).to_csv(
            sheet, index=False)
        first = wf.post_third_marks(workspace, sheet, politeness=FAST, overrides=ov,
                                    progress=False)
        assert list(first["result"]) == ["posted"]
        with workspace.store.connect() as conn:
            conn.execute("DELETE FROM posts")  # the audit lost: the page still tells
        again = wf.post_third_marks(workspace, sheet, politeness=FAST, overrides=ov,
                                    progress=False)
        assert list(again["result"]) == ["skipped (already there)"]
        assert len(demo.truth()["third_marks"]) == 1
    audit = workspace.store.query_df("SELECT action, verified FROM posts")
    assert list(audit["action"]) == ["skipped"] and audit["verified"].iloc[0] == 1


def test_lockout_is_remembered_across_runs(tmp_path: Path, workspace: Workspace) -> None:
    rude = {"delay": 0.0, "rate": 500.0, "global_rate": 500.0, "concurrency": 4, "backoff": 0.01}
    with demo_university(
        tmp_path, students=40, lockout=True, lockout_burst=10, lockout_cooldown_s=600
    ) as demo:
        ov = overrides_for(demo)
        wf.get_allocation(workspace, politeness=FAST, overrides=ov, progress=False)
        frame = wf.collect_marks(workspace, politeness=rude, overrides=ov, progress=False)
        assert frame.attrs["fetch"]["error"].str.contains("lock").any()
        stored = workspace.store.query_df("SELECT * FROM site_lockouts")
        assert len(stored) == 1 and stored["site"].iloc[0] in demo.base_url

        # three more runs during the cool-down: not one request, not one password
        sent = _requests(demo)
        common = {"politeness": FAST, "overrides": ov, "progress": False}
        reruns = (
            lambda: wf.collect_marks(workspace, refresh=True, **common),
            lambda: wf.download_scripts(workspace, **common),
            lambda: wf.collect_codes(workspace, refresh=True, **common),
        )
        for rerun in reruns:
            with pytest.raises(SiteLocked, match="locked") as caught:
                rerun()
            assert "--ignore-lockout" in caught.value.one_line()
        assert _requests(demo) == sent

        # told to, it tries (and meets the lockout page again, which it records)
        again = wf.collect_marks(
            workspace, politeness=FAST, overrides=ov, progress=False, refresh=True,
            ignore_lockout=True,
        )
        assert _requests(demo) > sent
        assert again.attrs["fetch"]["error"].str.contains("lock").all()


def test_cli_refuses_a_locked_site(tmp_path: Path) -> None:
    from gaffertape.sites.workflows.common import record_lockout

    ws = Workspace.init(tmp_path / "ws")
    with demo_university(tmp_path, students=5) as demo:
        host = demo.base_url.split("://")[1]
        record_lockout(ws, host, SiteLocked("demo-marks", 900))
        command = [sys.executable, "-m", "gaffertape", "--workspace", str(ws.root), "sites",
                   "marks", "--base-url", demo.base_url, "--username", demo.username, "--quiet"]
        result = subprocess.run(command, env=cli_env(), capture_output=True, text=True)
        assert result.returncode == 2, result.stderr
        assert "--ignore-lockout" in result.stderr and "Traceback" not in result.stderr
        assert _requests(demo) == 0


def test_two_processes_on_one_workspace(tmp_path: Path) -> None:
    """A second run on the same workspace and site waits for the first or says which run holds
    it; the site sees one run's traffic, each zip downloaded once."""
    ws = Workspace.init(tmp_path / "ws")
    config = ws.root / "gaffertape.toml"
    base = config.read_text()
    # slow enough (about 20 s) that the first run still holds the lock when the second starts,
    # even on a loaded machine
    with demo_university(tmp_path, students=8, zip_mb=0.1, bandwidth_bps=40_000) as demo:
        config.write_text(base + "\n[sites]\nlock_wait = 0.5\n")
        command = [sys.executable, "-m", "gaffertape", "--workspace", str(ws.root), "sites",
                   "download", "--base-url", demo.base_url, "--username", demo.username,
                   "--quiet", "--concurrency", "1"]
        first = subprocess.Popen(command, env=cli_env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        name = lock_name(demo.base_url.split("://")[1])
        deadline = time.monotonic() + 30
        while lock_holder(ws.root, name) is None:
            assert time.monotonic() < deadline and first.poll() is None, first.communicate()
            time.sleep(0.05)
        refused = subprocess.run(command, env=cli_env(), capture_output=True, text=True)
        assert refused.returncode == 2, refused.stderr
        assert f"pid {first.pid}" in refused.stderr and "sites download" in refused.stderr
        config.write_text(base + "\n[sites]\nlock_wait = 120\n")
        waiting = subprocess.run(command, env=cli_env(), capture_output=True, text=True)
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert waiting.returncode == 0, waiting.stderr
        truth = demo.truth()
    submitted = sum(1 for s in truth["students"] if s["submitted"])
    assert truth["counters"]["zips_completed"] == submitted, "every zip fetched once"
    assert truth["counters"]["requests"].get("POST /sso/login", 0) <= 2


def test_user_error_for_unknown_hook_module(tmp_path: Path, workspace: Workspace) -> None:
    marks = _profile_copy(tmp_path, "demo-marks", {r"^\[post\]$": '[hooks]\nmodule = "nope.py"'
                                                   '\n\n[post]'})
    with demo_university(tmp_path, students=5) as demo:
        ov = overrides_for(demo)
        ov["marks"]["profile"] = str(marks)
        with pytest.raises(UserError, match="cannot be loaded"):
            wf.get_allocation(workspace, politeness=FAST, overrides=ov, progress=False)
        assert _requests(demo) == 0, "hooks are loaded before any request"
