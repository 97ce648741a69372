"""The main job: the whole story against the demo university, from a fresh clone.

``run_demo`` starts the demo university in-process (faults on), initialises a workspace, logs in,
scrapes the allocation, downloads and safely unzips every script, collects confirmation codes
and marks, flags the scripts that need a third marker and writes the marking reports, then prints
where everything is. The steps are a list (``STEPS``), so later capabilities add one line each.

This module (with tests and benchmarks) is the only code outside ``cli/demo.py`` that imports
``gaffertape.demo``; the password it sets in the environment is the demo's published fake one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from gaffertape import ui
from gaffertape.atomic import write_text_atomic
from gaffertape.credentials import env_var_for
from gaffertape.errors import UserError
from gaffertape.logs import configure_logging
from gaffertape.marking.api import write_reports
from gaffertape.sites import workflows as wf
from gaffertape.workspace import CONFIG_NAME, Workspace

BEGIN, END = (
    "# >>> gaffertape demo sites (managed by `gaffertape demo run`)",
    "# <<< gaffertape demo",
)


PROFILES = {
    "demo": {"marks": "demo-marks", "submissions": "demo-submissions"},
    "fenland": {"marks": "fenland-marks", "submissions": "fenland-submissions"},
}
"""The bundled site profiles of each demo institution: the job needs nothing else."""


def configure_demo_sites(
    ws: Workspace, base_url: str, username: str, institution: str = "demo"
) -> Workspace:
    """Point the workspace's [sites.*] tables at the demo (a managed block, rewritten each run)."""
    path = ws.root / CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", "", text, flags=re.S)
    tables = "\n".join(
        f'[sites.{kind}]\nprofile = "{profile}"\nbase_url = "{base_url}"\n'
        f'username = "{username}"\n'
        for kind, profile in PROFILES[institution].items()
    )
    block = f"{BEGIN}\n{tables}{END}\n"
    write_text_atomic(path, text.rstrip("\n") + "\n\n" + block)
    return Workspace.open(ws.root)


@dataclass
class JobContext:
    """What each step sees: the workspace, the open site sessions and the demo."""

    ws: Workspace
    sites: wf.Sites
    demo: Any
    results: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def _allocation(ctx: JobContext) -> None:
    frame = wf.get_allocation(ctx.ws, sites=ctx.sites)
    ctx.summary["students"] = len(frame)
    ctx.summary["third marking required"] = int((frame["status"] == "Third marking required").sum())


def _download(ctx: JobContext) -> None:
    frame = wf.download_scripts(ctx.ws, sites=ctx.sites)
    failed = frame[frame["result"] == "failed"]
    if not failed.empty:  # one more pass for anything the faults defeated
        ui.console.print(f"{len(failed)} downloads failed; one more pass for them")
        retry = wf.download_scripts(ctx.ws, pis=list(failed["pi"]), sites=ctx.sites)
        frame = frame[frame["result"] != "failed"]
        frame = pd.concat([frame, retry], ignore_index=True)
    ctx.results["download"] = frame
    counts = frame["result"].value_counts().to_dict()
    ctx.summary["downloads"] = ", ".join(f"{k} {v}" for k, v in counts.items())
    ctx.summary["files extracted"] = int(frame["files"].fillna(0).sum())
    refused = frame[frame["error"].notna() & (frame["result"] != "failed")]
    if not refused.empty:
        ctx.summary["zips with refused unsafe entries"] = ", ".join(refused["pi"])


def _codes(ctx: JobContext) -> None:
    frame = wf.collect_codes(ctx.ws, sites=ctx.sites)
    out = wf.export_codes(ctx.ws, ctx.ws.reports_dir / "codes.xlsx", frame)
    ctx.summary["codes"] = f"{int(frame['code'].notna().sum())} (exported to {out})"


def _marks(ctx: JobContext) -> None:
    frame = wf.collect_marks(ctx.ws, sites=ctx.sites)
    ctx.summary["marks rows"] = f"{len(frame)} (first and second markers, long form)"


def _verify(ctx: JobContext) -> None:
    """Check every extracted file against the demo's truth (what the server says it sent)."""
    truth = ctx.demo.truth()
    checked = bad = 0
    for student in truth["students"]:
        for spec in student.get("files") or []:
            if not student.get("submitted"):
                continue
            target = ctx.ws.scripts_dir / student["course"] / student["pi"] / spec["name"]
            checked += 1
            if not target.is_file() or (spec.get("sha256") and _sha256(target) != spec["sha256"]):
                bad += 1
    ctx.summary["files verified against the server"] = f"{checked - bad} of {checked}"
    ctx.summary["server requests"] = sum(truth["counters"]["requests"].values())
    ctx.summary["faults injected"] = (
        ", ".join(f"{k} {v}" for k, v in truth["counters"]["faults"].items()) or "none"
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _marking(ctx: JobContext) -> None:
    """Flag the scripts that need a third marker and write the marking reports and board pack."""
    summary = write_reports(ctx.ws, board=True)
    for note in summary["notes"]:  # e.g. the PDF skipped without Chromium, and how to get it
        ui.console.print(note, highlight=False, markup=False)
    ctx.summary["scripts needing a third marker"] = len(summary["needs_third_marker"])
    ctx.summary["marking reports"] = ctx.ws.reports_dir / "marking"
    ctx.results["board"] = "; ".join([*summary["board"], *summary["notes"]]) or "no flagged scripts"
    ctx.results["third_marking"] = ctx.ws.store.query_df(
        "SELECT course, pi, round(first_pct, 1) AS first_pct, round(second_pct, 1) AS second_pct,"
        " reasons FROM marking_flags WHERE status = 'needs third marker' ORDER BY pi"
    )


Step = tuple[str, Callable[[JobContext], None]]

STEPS: list[Step] = [
    ("Allocation", _allocation),
    ("Download scripts", _download),
    ("Confirmation codes", _codes),
    ("Marks", _marks),
    ("Verify against the demo's truth", _verify),
    ("Marking: flags and reports", _marking),
]


def run_demo(
    students: Annotated[int, typer.Option(help="How many students the demo has.")] = 60,
    faults: Annotated[
        str, typer.Option(help="Fault profile: none, realistic or hostile.")
    ] = "realistic",
    workspace: Annotated[Path, typer.Option(help="Workspace folder to create or reuse.")] = Path(
        "gaffertape-workspace"
    ),
    port: Annotated[int, typer.Option(help="Demo port (0 = any free port).")] = 0,
    seed: Annotated[int, typer.Option(help="Demo data seed.")] = 1,
    zip_mb: Annotated[float, typer.Option(help="Mean zip size in MB.")] = 0.3,
    institution: Annotated[
        str, typer.Option(help=f"Which demo institution: {', '.join(PROFILES)}.")
    ] = "demo",
    app: Annotated[bool, typer.Option(
        "--app", help="Then keep the demo running and serve the browser app on the workspace.",
    )] = False,
) -> None:
    """Run the whole job against the demo university, with faults on.

    Starts the demo, logs in, gets the allocation, downloads and unzips every script, collects
    codes and marks, flags the scripts that need a third marker and writes the reports. With
    ``--app``, the demo keeps running and the app starts on the workspace (its URL is printed).
    """
    if institution not in PROFILES:
        raise UserError(
            f"unknown institution {institution!r}", hint=f"choose one of {', '.join(PROFILES)}"
        )
    with contextlib.ExitStack() as keep:
        ctx = run_steps(students=students, faults=faults, workspace=workspace, port=port,
                        seed=seed, zip_mb=zip_mb, institution=institution,
                        keep_demo=keep if app else None)
        if app:
            from gaffertape.app.commands import serve_app

            serve_app(ctx.ws)


def run_steps(
    *,
    students: int = 60,
    faults: str = "realistic",
    workspace: Path = Path("gaffertape-workspace"),
    port: int = 0,
    seed: int = 1,
    zip_mb: float = 0.3,
    institution: str = "demo",
    keep_demo: contextlib.ExitStack | None = None,
) -> JobContext:
    """``run_demo`` for Python callers and tests: runs every step in ``STEPS``. The demo stops
    at the end unless ``keep_demo`` is given: then it runs until that stack closes."""
    from gaffertape.demo import DemoConfig, DemoUniversity, Faults

    started = time.monotonic()
    ws = Workspace.init(workspace)
    configure_logging(ws.logs_dir)
    config = DemoConfig(
        seed=seed,
        students=students,
        zip_mb=zip_mb,
        faults=Faults.profile(faults),
        truth_path=ws.root / "demo-truth.json",
        port=port,
        institution=institution,
    )
    with contextlib.ExitStack() as own:
        demo = (keep_demo or own).enter_context(DemoUniversity(config))
        # The demo's password is public and fake; real sites use the keyring (`gaffertape login`).
        for site in PROFILES[institution].values():
            os.environ[env_var_for(site)] = demo.password
        ws = configure_demo_sites(ws, demo.base_url, demo.username, institution)
        ui.console.print(
            f"Demo university ({institution}) at {demo.base_url} (faults: {faults}); "
            f"workspace {ws.root}",
            highlight=False,
        )
        with wf.Sites(ws) as sites:
            ctx = JobContext(ws=ws, sites=sites, demo=demo)
            for title, step in STEPS:
                ui.console.rule(title)
                step(ctx)
            ctx.summary["requests by gaffertape"] = sites.requests()
            ctx.summary["password submissions"] = sites.password_submissions()
        demo.flush_truth()
    ctx.summary["time"] = f"{time.monotonic() - started:.1f} s"
    ui.print_summary("Demo run", ctx.summary)
    if "third_marking" in ctx.results:
        ui.print_summary("Scripts that need a third marker", ctx.results["third_marking"])
    ui.print_summary(
        "Where everything is",
        {
            "workspace": ws.root,
            "scripts": ws.scripts_dir,
            "zips": ws.downloads_dir,
            "codes": ws.reports_dir / "codes.xlsx",
            "marking reports": ws.reports_dir / "marking",
            "award-board pack": ctx.results.get("board", "not written"),
            "store": ws.db_path,
            "log": ws.logs_dir / "gaffertape.log",
            "try": f'gaffertape -w {ws.root} sql "select status, count(*) from students '
            'group by 1"',
            "and": f'gaffertape -w {ws.root} sql "select role, category, avg(mark) from marks '
            'group by 1, 2"',
            "and also": f"gaffertape -w {ws.root} tables",
        },
    )
    return ctx
