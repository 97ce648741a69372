"""CLI commands for the sites capability.

``gaffertape sites allocation|download|codes|marks|post|sync|profiles``.

Each command is a thin wrapper around the function of the same job in
:mod:`gaffertape.sites.workflows`, plus progress bars and a summary.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from gaffertape import ui
from gaffertape.cli.context import current_workspace
from gaffertape.sites import workflows as wf
from gaffertape.sites.profile import bundled_profiles, load_profile

app = typer.Typer(
    help="Sites: scrape allocations, download scripts, collect codes and marks, post third marks.",
    no_args_is_help=True,
)

Course = Annotated[str | None, typer.Option("--course", "-c", help="Presentation, e.g. TM470-25J.")]
Pis = Annotated[list[str] | None, typer.Option("--pi", help="A student PI (repeatable).")]
PisFile = Annotated[
    Path | None, typer.Option("--pis-file", help="File listing PIs (txt/CSV/XLSX).")
]
Status = Annotated[
    list[str] | None,
    typer.Option(
        "--status", help='Only students with this allocation status, e.g. "Third marking required".'
    ),
]
Delay = Annotated[float | None, typer.Option(help="Base pause before each request, seconds.")]
Concurrency = Annotated[int | None, typer.Option(help="Parallel connections per host (default 6).")]
Rate = Annotated[float | None, typer.Option(help="Max requests per second per host (default 8).")]
Retries = Annotated[int | None, typer.Option(help="Retries on 5xx/timeouts/resets (default 5).")]
Username = Annotated[str | None, typer.Option("--username", "-u", help="Site username.")]
BaseUrl = Annotated[str | None, typer.Option("--base-url", help="Site base URL (both sites).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
IgnoreLockout = Annotated[
    bool,
    typer.Option(
        "--ignore-lockout",
        help="Contact the site even though an earlier run recorded that it locked the account.",
    ),
]


def _common(
    delay: float | None,
    concurrency: int | None,
    rate: float | None,
    retries: int | None,
    username: str | None,
    base_url: str | None,
    ignore_lockout: bool = False,
) -> dict[str, Any]:
    site = {"username": username, "base_url": base_url}
    return {
        "ignore_lockout": ignore_lockout,
        "politeness": {
            "delay": delay,
            "concurrency": concurrency,
            "rate": rate,
            "retries": retries,
        },
        "overrides": {"marks": dict(site), "submissions": dict(site)},
    }


def _pis(pi: list[str] | None, pis_file: Path | None) -> list[str] | None:
    found = list(pi or [])
    if pis_file is not None:
        found += wf.read_pis_file(pis_file)
    return found or None


def _finish(
    frame: pd.DataFrame,
    title: str,
    command: str,
    fmt: str | None = None,
    options: dict[str, Any] | None = None,
) -> None:
    if fmt:
        ui.print_dataframe(frame, fmt=fmt)
    if frame.empty or "result" not in frame.columns:
        ui.print_summary(title, {"students": len(frame)})
        return
    counts = frame["result"].value_counts().to_dict()
    ui.print_summary(title, {"students": len(frame), **counts})
    failed = frame[frame["result"] == "failed"]
    warnings = (
        frame[(frame["result"] != "failed") & frame.get("error", pd.Series(dtype=object)).notna()]
        if "error" in frame.columns
        else frame.iloc[0:0]
    )
    for row in warnings.itertuples(index=False):
        ui.console.print(f"[yellow]warning[/yellow] {ui.plain(row.pi)}: {ui.plain(row.error)}",
                         highlight=False)
    if not failed.empty:
        ui.print_summary("Failed", failed[["course", "pi", "error"]])
        rerun = _rerun(command, options or {}, sorted(set(failed["pi"])))
        ui.console.print(
            f"[red]{len(failed)} failed.[/red] Rerun just those with:\n  {ui.plain(rerun)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


def _rerun(command: str, options: dict[str, Any], pis: list[str]) -> str:
    """The same command (its options as given) restricted to the failed PIs."""
    words = ["gaffertape", "--workspace", str(current_workspace().root), "sites", command]
    for name, value in options.items():
        if name in {"pi", "pis_file", "status", "ws", "frame", "file"} or value in (None, False):
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            words.append(flag)
        else:
            for item in value if isinstance(value, list | tuple) else [value]:
                words += [flag, str(item)]
    if options.get("file") is not None:
        words.append(str(options["file"]))
    return shlex.join([*words, *[x for p in pis for x in ("--pi", p)]])


@app.command()
def allocation(
    course: Course = None,
    paste: Annotated[
        Path | None,
        typer.Option(
            "--paste", help="Read a pasted table (HTML, TSV, CSV or copied text); '-' for stdin."
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="Print: table, csv, json.")
    ] = None,
    delay: Delay = None,
    concurrency: Concurrency = None,
    rate: Rate = None,
    retries: Retries = None,
    username: Username = None,
    base_url: BaseUrl = None,
    ignore_lockout: IgnoreLockout = False,
    quiet: Quiet = False,
) -> None:
    """Scrape the allocation (or read a pasted one) into the `students` table."""
    ws = current_workspace()
    pasted: str | Path | None = None
    if paste is not None:
        pasted = sys.stdin.read() if str(paste) == "-" else paste
    frame = wf.get_allocation(
        ws,
        course=course,
        paste=pasted,
        progress=not quiet,
        **_common(delay, concurrency, rate, retries, username, base_url, ignore_lockout),
    )
    if fmt:
        ui.print_dataframe(frame.drop(columns=["marks_url", "third_url"]), fmt=fmt)
    by_status = frame["status"].fillna("(none)").value_counts().to_dict()
    ui.print_summary(
        "Allocation",
        {"students": len(frame), "courses": ", ".join(frame["course"].unique()), **by_status},
    )


@app.command()
def download(
    course: Course = None,
    pi: Pis = None,
    pis_file: PisFile = None,
    status: Status = None,
    force: Annotated[bool, typer.Option(help="Download again even if verified on disk.")] = False,
    delay: Delay = None,
    concurrency: Concurrency = None,
    rate: Rate = None,
    retries: Retries = None,
    username: Username = None,
    base_url: BaseUrl = None,
    ignore_lockout: IgnoreLockout = False,
    quiet: Quiet = False,
) -> None:
    """Download, verify and safely unzip scripts into <workspace>/scripts/<course>/<PI>/."""
    opts = dict(locals())
    ws = current_workspace()
    frame = wf.download_scripts(
        ws,
        course=course,
        pis=_pis(pi, pis_file),
        status=status,
        force=force,
        progress=not quiet,
        **_common(delay, concurrency, rate, retries, username, base_url, ignore_lockout),
    )
    ui.console.print(f"Scripts are in {ws.scripts_dir}", highlight=False)
    _finish(frame, "Downloads", "download", options=opts)


@app.command()
def codes(
    course: Course = None,
    pi: Pis = None,
    pis_file: PisFile = None,
    status: Status = None,
    refresh: Annotated[bool, typer.Option(help="Fetch again even if stored.")] = False,
    export: Annotated[Path | None, typer.Option(help="Also write a .csv or .xlsx file.")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="Print: table, csv, json.")
    ] = None,
    delay: Delay = None,
    concurrency: Concurrency = None,
    rate: Rate = None,
    retries: Retries = None,
    username: Username = None,
    base_url: BaseUrl = None,
    ignore_lockout: IgnoreLockout = False,
    quiet: Quiet = False,
) -> None:
    """Collect confirmation codes into the `codes` table (and optionally CSV/XLSX)."""
    opts = dict(locals())
    ws = current_workspace()
    frame = wf.collect_codes(
        ws,
        course=course,
        pis=_pis(pi, pis_file),
        status=status,
        refresh=refresh,
        progress=not quiet,
        **_common(delay, concurrency, rate, retries, username, base_url, ignore_lockout),
    )
    if export is not None:
        wf.export_codes(ws, export, frame)
        ui.console.print(f"Wrote {export}", highlight=False)
    _finish(frame, "Codes", "codes", fmt, options=opts)


@app.command()
def marks(
    course: Course = None,
    pi: Pis = None,
    pis_file: PisFile = None,
    status: Status = None,
    refresh: Annotated[bool, typer.Option(help="Fetch again even if unchanged.")] = False,
    delay: Delay = None,
    concurrency: Concurrency = None,
    rate: Rate = None,
    retries: Retries = None,
    username: Username = None,
    base_url: BaseUrl = None,
    ignore_lockout: IgnoreLockout = False,
    quiet: Quiet = False,
) -> None:
    """Collect every marker's marks into the long-form `marks` table."""
    opts = dict(locals())
    ws = current_workspace()
    frame = wf.collect_marks(
        ws,
        course=course,
        pis=_pis(pi, pis_file),
        status=status,
        refresh=refresh,
        progress=not quiet,
        **_common(delay, concurrency, rate, retries, username, base_url, ignore_lockout),
    )
    fetch = frame.attrs.get("fetch", pd.DataFrame())
    ui.print_summary(
        "Marks",
        {
            "rows": len(frame),
            "students": frame[["course", "pi"]].drop_duplicates().shape[0] if len(frame) else 0,
            "fetched now": len(fetch),
        },
    )
    if not fetch.empty:
        _finish(fetch, "Marks fetch", "marks", options=opts)


@app.command()
def post(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV/XLSX: pi, [course], one column per category (or category + mark), [comments]."
        ),
    ],
    course: Course = None,
    pi: Pis = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change.")] = False,
    force: Annotated[
        bool,
        typer.Option(help="Post even to students whose third marks the site already accepted."),
    ] = False,
    delay: Delay = None,
    concurrency: Concurrency = None,
    rate: Rate = None,
    retries: Retries = None,
    username: Username = None,
    base_url: BaseUrl = None,
    ignore_lockout: IgnoreLockout = False,
    quiet: Quiet = False,
) -> None:
    """Post third marks with each student's confirmation code (idempotent, audited)."""
    opts = dict(locals())
    ws = current_workspace()
    frame = wf.post_third_marks(
        ws,
        file,
        course=course,
        pis=pi,
        dry_run=dry_run,
        force=force,
        progress=not quiet,
        **_common(delay, concurrency, rate, retries, username, base_url, ignore_lockout),
    )
    if dry_run and "change" in frame.columns:
        for row in frame.itertuples(index=False):
            if isinstance(row.change, str):
                ui.console.print(f"{row.pi}: {row.change}", highlight=False)
    if frame.attrs.get("note"):
        ui.console.print(f"[yellow]note[/yellow] {frame.attrs['note']}", highlight=False)
    _finish(frame, "Third marks" + (" (dry run)" if dry_run else ""), "post", options=opts)


@app.command()
def sync(
    course: Course = None,
    pi: Pis = None,
    pis_file: PisFile = None,
    status: Status = None,
    delay: Delay = None,
    concurrency: Concurrency = None,
    rate: Rate = None,
    retries: Retries = None,
    username: Username = None,
    base_url: BaseUrl = None,
    ignore_lockout: IgnoreLockout = False,
    quiet: Quiet = False,
) -> None:
    """Allocation + download + codes + marks, resuming where the last run stopped."""
    opts = dict(locals())
    ws = current_workspace()
    out = wf.sync(
        ws,
        course=course,
        pis=_pis(pi, pis_file),
        status=status,
        progress=not quiet,
        **_common(delay, concurrency, rate, retries, username, base_url, ignore_lockout),
    )
    fetch = out["marks"].attrs.get("fetch", pd.DataFrame())
    ui.print_summary(
        "Sync",
        {
            "students": len(out["allocation"]),
            "downloads": ", ".join(
                f"{k} {v}" for k, v in out["download"]["result"].value_counts().items()
            )
            if len(out["download"])
            else "none",
            "codes": int(out["codes"]["code"].notna().sum()) if len(out["codes"]) else 0,
            "marks rows": len(out["marks"]),
            "scripts": ws.scripts_dir,
        },
    )
    _finish(
        failures_per_student({"download": out["download"], "codes": out["codes"], "marks": fetch}),
        "Failures",
        "sync",
        options=opts,
    )


def failures_per_student(steps: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per student who failed in any step, the steps' errors joined: a student locked
    out of three steps is one failure, not three."""
    failed = [
        frame.loc[frame["result"] == "failed", ["course", "pi", "error"]].assign(step=step)
        for step, frame in steps.items()
        if not frame.empty and "result" in frame.columns
    ]
    if not failed or all(f.empty for f in failed):
        return pd.DataFrame(columns=["course", "pi", "result", "error"])
    rows = pd.concat(failed, ignore_index=True)
    rows["error"] = rows["step"] + ": " + rows["error"].fillna("").astype(str)
    grouped = rows.groupby(["course", "pi"], sort=True)["error"].agg("; ".join).reset_index()
    return grouped.assign(result="failed")[["course", "pi", "result", "error"]]


@app.command()
def scheme(
    course: Course = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write a scheme TOML for `--scheme`.")
    ] = None,
    username: Username = None,
    base_url: BaseUrl = None,
    ignore_lockout: IgnoreLockout = False,
) -> None:
    """Read the mark scheme (category names and maxima) from the site's marks pages."""
    from gaffertape.atomic import write_text_atomic

    frame = wf.scheme_from_site(
        current_workspace(),
        course=course,
        overrides={"marks": {"username": username, "base_url": base_url}},
        ignore_lockout=ignore_lockout,
    )
    ui.print_dataframe(frame)
    if out is not None:
        write_text_atomic(out, wf.scheme_toml(frame, f"From {frame.attrs['source']}"))
        ui.console.print(f"Wrote {out}: use it with `gaffertape marking flags --scheme {out}` "
                         "(weights are 1.0: set them first)", highlight=False)


@app.command()
def profiles(
    check: Annotated[Path | None, typer.Option(help="Validate a profile TOML file.")] = None,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="With --check: sign in and try every selector on one page of each kind "
            "(reads only: forms are never submitted).",
        ),
    ] = False,
    course: Course = None,
    pi: Annotated[str | None, typer.Option("--pi", help="The student to try pages with.")] = None,
    username: Username = None,
    base_url: BaseUrl = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Print: table, csv, json.")
    ] = "table",
) -> None:
    """List the bundled site profiles, or validate one of your own (--check, --live)."""
    if check is not None:
        profile = load_profile(check)
        ui.console.print(f"{check}: valid profile {profile.name!r} ({profile.kind})")
        if live:
            _check_live(profile, course, pi, username, base_url, fmt)
        return
    rows = []
    for name in bundled_profiles():
        profile = load_profile(name)
        rows.append({"name": name, "kind": profile.kind, "description": profile.description})
    ui.print_dataframe(pd.DataFrame(rows), fmt=fmt)


def _check_live(
    profile: Any,
    course: str | None,
    pi: str | None,
    username: str | None,
    base_url: str | None,
    fmt: str,
) -> None:
    """Sign in with ``profile`` and report every selector; exit 1 if any did not match."""
    from gaffertape.credentials import get_password
    from gaffertape.errors import UserError
    from gaffertape.sites.engine import SiteSession
    from gaffertape.sites.livecheck import check_live

    if not username:
        raise UserError("--live needs --username (and --base-url unless the profile has one)")
    profile.load_hooks()
    with SiteSession(
        profile, base_url=base_url, username=username,
        password=get_password(profile.name, username),
    ) as session:
        report = check_live(session, course=course, pi=pi.upper() if pi else None)
    ui.print_dataframe(report, fmt=fmt)
    missed = report[~report["matched"]]
    ui.print_summary("Live check", {"selectors": len(report), "matched": len(report) - len(missed),
                                    "not matched": len(missed)})
    if not missed.empty:
        raise typer.Exit(1)
