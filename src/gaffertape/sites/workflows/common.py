"""What every workflow shares: the site sessions, the worker pool, and the student selection."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from gaffertape import ui
from gaffertape.credentials import get_password
from gaffertape.errors import UserError
from gaffertape.identity import normalise_pi, pis_in_text, valid_pi
from gaffertape.locks import site_lock
from gaffertape.sites.engine import (
    SessionExpired,
    SignInFailed,
    SiteError,
    SiteLocked,
    SiteSession,
)
from gaffertape.sites.profile import Politeness, Profile, load_profile
from gaffertape.sites.safezip import UnsafeZip, ZipContentError
from gaffertape.tablefile import read_excel
from gaffertape.workspace import Workspace, open_workspace

log = logging.getLogger("gaffertape.sites")

DEFAULT_PROFILES = {"marks": "demo-marks", "submissions": "demo-submissions"}
LOCK_WAIT_SECONDS = 10.0
"""How long a run waits for another run on the same site and workspace before saying who
holds it (``[sites] lock_wait`` in gaffertape.toml overrides it)."""

Key = tuple[str, str]
"""A student in the store: (course, pi)."""


def now() -> str:
    """The time stamp every table of the sites capability uses (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def as_workspace(workspace: Workspace | str | Path | None) -> Workspace:
    """Accept what a notebook user passes (a Workspace, a folder, nothing) as a Workspace; a
    folder must already be one (``gaffertape.Workspace.init`` makes it)."""
    if isinstance(workspace, Workspace):
        return workspace
    return open_workspace(workspace)


def student_key(item: dict[str, Any]) -> Key:
    """(course, pi) of a student record, to look it up in what the store already has."""
    return item["course"], item["pi"]


def student_columns(item: dict[str, Any]) -> dict[str, Any]:
    """The course and PI of a student, to start a result row with."""
    return {"course": item.get("course"), "pi": item.get("pi")}


# ---------------------------------------------------------------------------------------------
# sites: which profile, URL and user, with what politeness


class Sites:
    """The two sessions a workflow may need, opened on first use and closed at the end."""

    def __init__(
        self,
        ws: Workspace,
        *,
        politeness: dict[str, Any] | None = None,
        overrides: dict[str, dict[str, Any]] | None = None,
        ignore_lockout: bool = False,
        what: str = "",
    ) -> None:
        self.ws = ws
        self.politeness = {k: v for k, v in (politeness or {}).items() if v is not None}
        self.overrides = overrides or {}
        self.ignore_lockout = ignore_lockout
        self.what = what
        self._sessions: dict[str, SiteSession] = {}
        self._lock = threading.Lock()
        self._site_locks = ExitStack()
        self._locked_hosts: set[str] = set()

    def profile(self, kind: str) -> Profile:
        section = {**self.ws.section("sites", kind), **self.overrides.get(kind, {})}
        return load_profile(section.get("profile") or DEFAULT_PROFILES[kind])

    def session(self, kind: str) -> SiteSession:
        """The session to the ``kind`` site (marks or submissions); one per run, shared by all
        workers, so that politeness and logins are per site rather than per thread."""
        with self._lock:
            if kind not in self._sessions:
                self._sessions[kind] = self._open(kind)
            return self._sessions[kind]

    def _section(self, kind: str) -> dict[str, Any]:
        """The ``[sites.<kind>]`` settings, with the caller's overrides."""
        return {
            **self.ws.section("sites", kind),
            **{k: v for k, v in self.overrides.get(kind, {}).items() if v is not None},
        }

    def _open(self, kind: str) -> SiteSession:
        section = self._section(kind)
        profile = self.profile(kind)
        username = section.get("username")
        if not username:
            raise UserError(
                f"no username for the {kind} site",
                hint=f"set [sites.{kind}] username in {self.ws.config_path} or pass --username",
            )
        profile.load_hooks()  # before any request (and before asking for a password)
        host = host_of(section.get("base_url") or profile.base_url or "")
        self._hold_site(host)  # normally taken already, on entering
        if not self.ignore_lockout:
            refuse_if_locked(self.ws, host, profile.name)
        session = SiteSession(
            profile,
            base_url=section.get("base_url"),
            username=username,
            password=get_password(profile.name, username),
            politeness=self._politeness(profile, section),
            on_locked=lambda locked: record_lockout(self.ws, host, locked),
        )
        if self.ignore_lockout:  # also what this process remembers (a notebook's earlier run)
            session.throttle.locked_until = 0.0
        return session

    def _hold_site(self, host: str) -> None:
        """Take the workspace's lock on ``host`` for the rest of the run (once per host: the
        marks and submissions systems often share one, and its lockout)."""
        if host in self._locked_hosts:
            return
        wait = float(self.ws.section("sites").get("lock_wait", LOCK_WAIT_SECONDS))
        what = self.what or _command_line()
        self._site_locks.enter_context(site_lock(self.ws.root, lock_name(host), wait=wait,
                                                 what=what))
        self._locked_hosts.add(host)

    def _politeness(self, profile: Profile, section: dict[str, Any]) -> Politeness:
        """Profile defaults, overridden by the workspace (all sites, then this site), then the
        caller's options."""
        settings = {
            **profile.politeness.model_dump(),
            **self.ws.section("sites", "politeness"),
            **section.get("politeness", {}),
            **self.politeness,
        }
        try:
            return Politeness.model_validate(settings)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UserError(
                f"politeness setting `{'.'.join(map(str, first['loc']))}`: {first['msg']}",
                hint="see docs/sites.md",
            ) from exc

    def requests(self) -> int:
        return sum(s.requests for s in self._sessions.values())

    def password_submissions(self) -> int:
        return sum(s.password_submissions for s in self._sessions.values())

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()
        self._site_locks.close()

    def __enter__(self) -> Sites:
        """Take the workspace lock on each configured site before the workflow reads anything
        from the store: a second run then waits for the first to finish, and sees its work."""
        try:
            for kind in DEFAULT_PROFILES:
                host = self.configured_host(kind)
                if host:
                    self._hold_site(host)
        except BaseException:
            self.close()
            raise
        return self

    def configured_host(self, kind: str) -> str | None:
        """The host the ``kind`` site is configured at, if its profile loads (a broken one is
        reported when the site is used)."""
        section = self._section(kind)
        try:
            profile = self.profile(kind)
        except UserError:
            return None
        base_url = section.get("base_url") or profile.base_url
        return host_of(base_url) if base_url else None

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def open_sites(
    ws: Workspace,
    sites: Sites | None,
    politeness: dict[str, Any] | None,
    overrides: dict[str, dict[str, Any]] | None,
    ignore_lockout: bool = False,
) -> Iterator[Sites]:
    """The caller's sessions if given (a workflow called by another shares its logins and
    politeness), else new ones closed when the workflow ends."""
    if sites is not None:
        yield sites
        return
    with Sites(
        ws, politeness=politeness, overrides=overrides, ignore_lockout=ignore_lockout
    ) as own:
        yield own


# ---------------------------------------------------------------------------------------------
# politeness across runs: the site lock and remembered lockouts


def _command_line() -> str:
    """This run in a few words for the lock file ("gaffertape sites download", "gaffertape
    app"), for the message another run shows; options such as ``-w DIR`` are left out."""
    words = sys.argv[1:]
    for command, length in (("sites", 2), ("demo", 2), ("app", 1)):
        if command in words:
            start = words.index(command)
            return " ".join(["gaffertape", *words[start : start + length]])
    return "gaffertape"


def host_of(base_url: str) -> str:
    """The host[:port] of a site: one account and one lockout per host."""
    from urllib.parse import urlsplit

    return urlsplit(base_url).netloc.lower() or base_url


def lock_name(host: str) -> str:
    """A file-name-safe name for the workspace lock of ``host``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", host)


def site_lock_names(ws: Workspace, kinds: Iterable[str]) -> list[str]:
    """The names of the workspace locks a run on the ``kinds`` sites takes (one per host), for
    callers that must see whether another run is using them."""
    sites = Sites(ws)
    hosts = {sites.configured_host(kind) for kind in kinds}
    return sorted(lock_name(host) for host in hosts if host)


def record_lockout(ws: Workspace, host: str, locked: SiteLocked) -> None:
    """Remember that ``host`` locked the account until when, for later runs."""
    with ws.store.connect() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO site_lockouts (site, profile, until, seen_at, message)"
            " VALUES (?,?,?,?,?)",
            (host, locked.site, locked.retry_at.isoformat(timespec="seconds"), now(),
             locked.one_line()),
        )


def active_lockout(ws: Workspace, host: str) -> datetime | None:
    """Until when ``host`` is known to be locked out (None: not known to be)."""
    rows = ws.store.query_df("SELECT until FROM site_lockouts WHERE site = ?", [host])
    if rows.empty:
        return None
    until = datetime.fromisoformat(rows["until"].iloc[0])
    return until if until > datetime.now(UTC) else None


def refuse_if_locked(ws: Workspace, host: str, profile_name: str) -> None:
    """Raise :class:`SiteLocked` without any request while a recorded lockout lasts."""
    until = active_lockout(ws, host)
    if until is None:
        return
    seconds = (until - datetime.now(UTC)).total_seconds()
    locked = SiteLocked(profile_name, seconds, retry_at=until)
    locked.hint = (
        f"an earlier run was locked out of {host}; not contacting it until "
        f"{until.astimezone():%H:%M:%S} (in {seconds:.0f} s). Wait, or pass --ignore-lockout "
        "to try anyway"
    )
    raise locked


# ---------------------------------------------------------------------------------------------
# running many students


@dataclass(frozen=True)
class RowWatcher:
    """A caller's view into :func:`run_each`: each finished row, and a way to stop early."""

    on_row: Callable[[dict[str, Any]], None]
    cancelled: Callable[[], bool]


_watcher: ContextVar[RowWatcher | None] = ContextVar("row_watcher", default=None)


@contextmanager
def watch_rows(
    on_row: Callable[[dict[str, Any]], None], cancelled: Callable[[], bool] = lambda: False
) -> Iterator[None]:
    """Within the block, every workflow run in this thread reports each finished row to
    ``on_row`` and stops starting new students once ``cancelled()`` is true (those rows come
    back failed, "not tried: cancelled"). The app's jobs use it for live progress and cancel,
    so they run the very workflow functions the CLI runs."""
    token = _watcher.set(RowWatcher(on_row, cancelled))
    try:
        yield
    finally:
        _watcher.reset(token)


def run_each(
    items: list[dict[str, Any]],
    work: Callable[[dict[str, Any]], dict[str, Any]],
    description: str,
    session: SiteSession,
    *,
    progress: bool,
) -> pd.DataFrame:
    """Run ``work`` for each item on as many threads as ``session`` may open connections.

    Failures become rows, never exceptions, so one student never stops the others; once the
    site has locked the account the items not yet started are reported "not tried".
    """
    results: list[dict[str, Any]] = []
    counts = {"ok": 0, "failed": 0}
    watcher = _watcher.get()  # read here: worker threads do not inherit context variables
    bar = ui.make_progress() if progress and items else None
    task = bar.add_task(description, total=len(items), status="") if bar else None

    def one(item: dict[str, Any]) -> dict[str, Any]:
        if watcher is not None and watcher.cancelled():
            return failed(item, CANCELLED)
        if session.locked is not None:
            return failed(item, f"not tried: site locked ({session.locked.one_line()})")
        if session.sign_in_failed is not None:
            return failed(item, "not tried: signing in failed")
        try:
            return work(item)
        except SignInFailed:
            raise  # the whole site is stopped: one clear error, not one per student
        except SiteLocked as exc:
            return failed(item, f"locked: {exc.one_line()}")
        except (SiteError, UnsafeZip, UserError, OSError) as exc:
            log.warning("%s %s: %s", description, item.get("pi"), exc)
            return failed(item, str(exc))
        except Exception as exc:  # a bug or a page nobody foresaw: still only this student
            log.exception("%s %s: unexpected error", description, item.get("pi"))
            return failed(item, f"unexpected {type(exc).__name__}: {exc}")

    if bar:
        bar.start()
    try:
        with ThreadPoolExecutor(max_workers=max(1, session.politeness.concurrency)) as pool:
            futures = [pool.submit(one, item) for item in items]
            for future in as_completed(futures):
                row = future.result()
                results.append(row)
                if watcher is not None:
                    watcher.on_row(row)
                counts["failed" if row.get("result") == "failed" else "ok"] += 1
                if bar is not None and task is not None:
                    status = f"ok {counts['ok']}"
                    if counts["failed"]:
                        status += f" [red]failed {counts['failed']}[/red] (last: {row.get('pi')})"
                    bar.update(task, advance=1, status=status)
    finally:
        if bar:
            bar.stop()
    frame = pd.DataFrame(results)
    if not frame.empty and {"course", "pi"} <= set(frame.columns):
        frame = frame.sort_values(["course", "pi"]).reset_index(drop=True)
    return frame


CANCELLED = "not tried: cancelled"


def failed(item: dict[str, Any], error: str) -> dict[str, Any]:
    """The result row of a student whose work failed."""
    return {**student_columns(item), "result": "failed", "error": error}


def redo_unit(session: SiteSession, work: Callable[[], Any]) -> tuple[Any, int]:
    """Redo a fetch-form-then-submit unit on expiry or failure, with backoff.

    The whole unit is redone, never just the submit: form tokens are single use. Returns what
    ``work`` returned and how many attempts it took (for the manifest).
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return work(), attempt
        except (SiteLocked, SignInFailed, ZipContentError):
            raise  # downloading again would not help
        except (SessionExpired, SiteError, UnsafeZip) as exc:
            if attempt > session.retry.retries:
                raise
            wait = 0.0 if isinstance(exc, SessionExpired) else session.retry.wait(attempt)
            log.info("%s: %s; redoing in %.1fs", session.profile.name, exc, wait)
            time.sleep(wait)


# ---------------------------------------------------------------------------------------------
# selection


def select_students(
    ws: Workspace,
    *,
    course: str | None = None,
    pis: Iterable[str] | None = None,
    status: Iterable[str] | str | None = None,
) -> pd.DataFrame:
    """Students from the store, narrowed to a course, statuses and/or PIs.

    A PI not in the allocation is still selected when its course is unambiguous (one course
    given or in the store), so a script can be fetched before the allocation lists it.
    """
    frame = ws.store.query_df("SELECT * FROM students ORDER BY course, pi")
    if course:
        frame = frame[frame["course"] == course]
    if status:
        wanted = {status} if isinstance(status, str) else set(status)
        wanted_low = {s.lower() for s in wanted}
        frame = frame[frame["status"].fillna("").str.lower().isin(wanted_low)]
    if pis:
        pi_list = [valid_pi(p, where="--pi") for p in pis if normalise_pi(p)]
        missing = sorted(set(pi_list) - set(frame["pi"]))
        if missing:
            if not course and frame["course"].nunique() > 1:
                raise UserError(
                    f"PIs not in the allocation: {', '.join(missing)}",
                    hint="give --course, or run `gaffertape sites allocation`",
                )
            course_for = course or (frame["course"].iloc[0] if len(frame) else None)
            if not course_for:
                raise UserError(
                    f"PIs not in the allocation: {', '.join(missing)}",
                    hint="give --course or run `gaffertape sites allocation` first",
                )
            extra = pd.DataFrame({"course": course_for, "pi": missing})
            frame = pd.concat([frame, extra], ignore_index=True)
        frame = frame[frame["pi"].isin(pi_list)]
    return frame.reset_index(drop=True)


def read_pis_file(path: Path) -> list[str]:
    """PIs from a file: one a line, or any CSV/XLSX with a PI-looking cell per row."""
    if not path.is_file():
        raise UserError(f"PIs file {path} not found")
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            frame = read_excel(path, header=None, dtype=str)
            text = "\n".join(" ".join(map(str, row)) for row in frame.itertuples(index=False))
        else:
            text = path.read_text(encoding="utf-8-sig")
    except UserError:
        raise
    except Exception as exc:  # decoding, or calamine's errors (no common base class)
        raise UserError(f"{path}: cannot read the PIs file: {type(exc).__name__}: {exc}",
                        hint="save it as UTF-8 text, CSV or XLSX") from exc
    found = pis_in_text(text)
    if not found:
        raise UserError(f"{path}: no PIs found (expected e.g. A1234567)")
    return found
