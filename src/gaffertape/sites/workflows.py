"""The five workflows (allocation, download, codes, marks, post) as DataFrame-returning functions.

Each acts on every student in the store's ``students`` table, or a selection (``status``) or a
list of PIs. Work is spread over the per-host connection limit; one student's failure never
stops the others; a lockout stops that site cleanly.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from gaffertape import ui
from gaffertape.credentials import get_password
from gaffertape.errors import UserError
from gaffertape.sites import parse
from gaffertape.sites.engine import (
    Download,
    Page,
    SessionExpired,
    SiteError,
    SiteLocked,
    SiteSession,
)
from gaffertape.sites.profile import Politeness, Profile, load_profile
from gaffertape.sites.safezip import Extraction, UnsafeZip, ZipLimitExceeded, safe_extract
from gaffertape.workspace import Workspace, open_workspace

log = logging.getLogger("gaffertape.sites")

DEFAULT_PROFILES = {"marks": "demo-marks", "submissions": "demo-submissions"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _workspace(workspace: Workspace | str | Path | None) -> Workspace:
    if isinstance(workspace, Workspace):
        return workspace
    return open_workspace(workspace, create=True)


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
    ) -> None:
        self.ws = ws
        self.politeness = {k: v for k, v in (politeness or {}).items() if v is not None}
        self.overrides = overrides or {}
        self._sessions: dict[str, SiteSession] = {}
        self._lock = threading.Lock()

    def profile(self, kind: str) -> Profile:
        section = {**self.ws.section("sites", kind), **self.overrides.get(kind, {})}
        return load_profile(section.get("profile") or DEFAULT_PROFILES[kind])

    def session(self, kind: str) -> SiteSession:
        with self._lock:
            if kind in self._sessions:
                return self._sessions[kind]
            section = {
                **self.ws.section("sites", kind),
                **{k: v for k, v in self.overrides.get(kind, {}).items() if v is not None},
            }
            profile = self.profile(kind)
            username = section.get("username")
            if not username:
                raise UserError(
                    f"no username for the {kind} site",
                    hint=f"set [sites.{kind}] username in {self.ws.config_path} or pass --username",
                )
            settings = {
                **profile.politeness.model_dump(),
                **self.ws.section("sites", "politeness"),
                **section.get("politeness", {}),
                **self.politeness,
            }
            try:
                politeness = Politeness.model_validate(settings)
            except ValidationError as exc:
                first = exc.errors()[0]
                raise UserError(
                    f"politeness setting `{'.'.join(map(str, first['loc']))}`: {first['msg']}",
                    hint="see docs/sites.md",
                ) from exc
            password = get_password(profile.name, username)
            session = SiteSession(
                profile,
                base_url=section.get("base_url"),
                username=username,
                password=password,
                politeness=politeness,
            )
            self._sessions[kind] = session
            return session

    @property
    def concurrency(self) -> int:
        value = self.politeness.get("concurrency") or self.ws.section("sites", "politeness").get(
            "concurrency"
        )
        return int(value) if value else 4

    def requests(self) -> int:
        return sum(s.requests for s in self._sessions.values())

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()

    def __enter__(self) -> Sites:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sites(
    ws: Workspace,
    sites: Sites | None,
    politeness: dict[str, Any] | None,
    overrides: dict[str, dict[str, Any]] | None,
) -> tuple[Sites, bool]:
    if sites is not None:
        return sites, False
    return Sites(ws, politeness=politeness, overrides=overrides), True


# ---------------------------------------------------------------------------------------------
# running many students


def _run_each(
    items: list[dict[str, Any]],
    work: Callable[[dict[str, Any]], dict[str, Any]],
    description: str,
    *,
    workers: int,
    progress: bool,
    session_of: Callable[[], SiteSession | None] = lambda: None,
) -> pd.DataFrame:
    """Run ``work`` for each item on a thread pool; failures become rows, never exceptions."""
    results: list[dict[str, Any]] = []
    counts = {"ok": 0, "failed": 0}
    bar = ui.make_progress() if progress and items else None
    task = bar.add_task(description, total=len(items), status="") if bar else None

    def one(item: dict[str, Any]) -> dict[str, Any]:
        session = session_of()
        if session is not None and session.locked is not None:
            return {
                **_key(item),
                "result": "failed",
                "error": f"not tried: site locked ({session.locked.one_line()})",
            }
        try:
            return work(item)
        except SiteLocked as exc:
            return {**_key(item), "result": "failed", "error": f"locked: {exc.one_line()}"}
        except (SiteError, UnsafeZip, UserError, OSError) as exc:
            log.warning("%s %s: %s", description, item.get("pi"), exc)
            return {**_key(item), "result": "failed", "error": str(exc)}
        except Exception as exc:  # a bug or a page nobody foresaw: still only this student
            log.exception("%s %s: unexpected error", description, item.get("pi"))
            return {
                **_key(item),
                "result": "failed",
                "error": f"unexpected {type(exc).__name__}: {exc}",
            }

    if bar:
        bar.start()
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(one, item) for item in items]
            for future in as_completed(futures):
                row = future.result()
                results.append(row)
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


def _key(item: dict[str, Any]) -> dict[str, Any]:
    return {"course": item.get("course"), "pi": item.get("pi")}


def _unit(session: SiteSession, work: Callable[[], Any]) -> Any:
    """Redo a fetch-form-then-submit unit on expiry or failure, with backoff (fresh tokens)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return work()
        except (SiteLocked, ZipLimitExceeded):
            raise
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
    """Students from the store, narrowed to a course, statuses and/or PIs."""
    frame = ws.store.query_df("SELECT * FROM students ORDER BY course, pi")
    if course:
        frame = frame[frame["course"] == course]
    if status:
        wanted = {status} if isinstance(status, str) else set(status)
        wanted_low = {s.lower() for s in wanted}
        frame = frame[frame["status"].fillna("").str.lower().isin(wanted_low)]
    if pis:
        pi_list = [p.strip().upper() for p in pis if p and p.strip()]
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
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        frame = pd.read_excel(path, header=None, dtype=str)
        text = "\n".join(" ".join(map(str, row)) for row in frame.itertuples(index=False))
    else:
        text = path.read_text(encoding="utf-8-sig")
    import re

    found = re.findall(r"\b[A-Z][0-9]{7}\b", text.upper())
    if not found:
        raise UserError(f"{path}: no PIs found (expected e.g. A1234567)")
    return list(dict.fromkeys(found))


def _ensure_allocation(ws: Workspace, sites: Sites, course: str | None, progress: bool) -> None:
    if ws.store.query_df("SELECT COUNT(*) AS n FROM students")["n"].iloc[0] == 0:
        get_allocation(ws, course=course, sites=sites, progress=progress)


# ---------------------------------------------------------------------------------------------
# 1. allocation


def get_allocation(
    workspace: Workspace | str | Path | None = None,
    *,
    course: str | None = None,
    paste: str | Path | None = None,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Scrape the allocation (every presentation, or ``course``) into the ``students`` table.

    ``paste`` takes a pasted table instead (HTML, TSV, CSV or text copied from the page; a path
    or the text itself); then ``course`` names the presentation unless the table has a column.
    """
    ws = _workspace(workspace)
    if paste is not None:
        text = (
            Path(paste).read_text(encoding="utf-8-sig")
            if isinstance(paste, Path)
            or (isinstance(paste, str) and "\n" not in paste and Path(paste).is_file())
            else str(paste)
        )
        records, source = parse.parse_pasted(text, course), "paste"
    else:
        site, owned = _sites(ws, sites, politeness, overrides)
        try:
            session = site.session("marks")
            spec = session.profile.need("allocation")
            courses = [course] if course else None
            if courses is None:
                pres = session.profile.need("presentations")
                courses = parse.parse_presentations(session.get(pres.url), pres.link, pres.param)
                if not courses:
                    raise UserError(f"{session.profile.name}: no presentations found at {pres.url}")
            records = []
            hook = session.profile.hook("clean_allocation_row")
            for code in courses:
                page = session.get(spec.url, course=code)
                rows = parse.parse_allocation(page, spec, code)
                records += [hook(r) for r in rows] if hook else rows
            source = session.profile.name
        finally:
            if owned:
                site.close()
    frame = pd.DataFrame(records)
    for column in ("name", "tutor_group", "status", "marks_url", "third_url"):
        if column not in frame.columns:
            frame[column] = None
    frame = frame[["course", "pi", "name", "tutor_group", "status", "marks_url", "third_url"]]
    frame = frame.drop_duplicates(["course", "pi"], keep="last")
    frame["source"] = source
    frame["updated_at"] = _now()
    with ws.store.connect() as conn:
        for code in frame["course"].unique():
            conn.execute("DELETE FROM students WHERE course = ?", (code,))
        conn.executemany(
            "INSERT INTO students (course, pi, name, tutor_group, status, marks_url, third_url,"
            " source, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                tuple(None if pd.isna(v) else v for v in row)
                for row in frame.itertuples(index=False)
            ],
        )
    log.info("allocation: %d students from %s", len(frame), source)
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# 2. download (and the codes and file lists that come with the same page)


def _verified_on_disk(ws: Workspace, manifest: dict[str, Any], files: pd.DataFrame) -> bool:
    if manifest.get("status") == "no_submission":
        return True
    if manifest.get("status") != "ok":
        return False
    zip_path = ws.root / str(manifest.get("zip_path") or "")
    if not zip_path.is_file() or zip_path.stat().st_size != manifest.get("zip_size"):
        return False
    folder = ws.root / str(manifest.get("extracted_dir") or "")
    for row in files.itertuples(index=False):
        target = folder / row.path
        if not target.is_file() or target.stat().st_size != row.size:
            return False
    return len(files) == manifest.get("n_files")


def _store_submission(ws: Workspace, course: str, pi: str, info: dict[str, Any]) -> None:
    now = _now()
    with ws.store.connect() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO codes (course, pi, code, fetched_at) VALUES (?,?,?,?)",
            (course, pi, info["code"], now),
        )
        conn.execute("DELETE FROM submitted_files WHERE course = ? AND pi = ?", (course, pi))
        conn.executemany(
            "INSERT OR REPLACE INTO submitted_files (course, pi, file, size, submitted)"
            " VALUES (?,?,?,?,?)",
            [(course, pi, f["file"], f["size"], f["submitted"]) for f in info["files"]],
        )


def _download_one(
    ws: Workspace, session: SiteSession, item: dict[str, Any], *, max_total: int, max_ratio: float
) -> dict[str, Any]:
    course, pi = item["course"], item["pi"]
    spec = session.profile.need("submission")
    zip_dest = ws.downloads_dir / course / f"{pi}.zip"
    part = zip_dest.with_name(f".{pi}.zip.part")
    attempts = 0

    folder = ws.scripts_dir / course / pi

    def unit() -> tuple[dict[str, Any], Download | None, Extraction | None]:
        nonlocal attempts
        attempts += 1
        page = session.get(spec.url, course=course, pi=pi)
        info = parse.parse_submission(page, spec)
        if not info["submitted"]:
            return info, None, None
        if info["form"] is None:
            raise SiteError(f"no download form on the submission page of {pi}")
        zip_dest.parent.mkdir(parents=True, exist_ok=True)
        result = session.submit(
            page, info["form"], dict(spec.choose), stream_to=part, expect=spec.download_content_type
        )
        if isinstance(result, Page):
            if spec.no_submission_text and result.contains(spec.no_submission_text):
                return {**info, "submitted": False}, None, None
            raise SiteError(
                f"expected a {spec.download_content_type} download for {pi}, got a "
                f"page ({parse.clean(result.tree.findtext('.//title'))!r})"
            )
        # CRC-32 of every entry is checked as it is extracted (into a temporary folder, renamed
        # into place only when complete); a corrupt zip raises and the unit is redone
        extraction = safe_extract(result.path, folder, max_total=max_total, max_ratio=max_ratio)
        return info, result, extraction

    try:
        info, download, extraction = _unit(session, unit)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    _store_submission(ws, course, pi, info)
    manifest: dict[str, Any] = {
        "course": course,
        "pi": pi,
        "attempts": attempts,
        "downloaded_at": _now(),
        "error": None,
    }
    if download is None or extraction is None:
        manifest.update(status="no_submission", n_files=0)
        _write_manifest(ws, manifest, [])
        return {**_key(item), "result": "no submission", "files": 0, "bytes": 0, "error": None}
    os.replace(download.path, zip_dest)
    manifest.update(
        status="ok",
        zip_path=str(zip_dest.relative_to(ws.root)),
        zip_size=download.size,
        zip_sha256=download.sha256,
        content_length=download.content_length,
        extracted_dir=str(folder.relative_to(ws.root)),
        n_files=len(extraction.files),
        rejected=json.dumps(extraction.rejected) if extraction.rejected else None,
    )
    _write_manifest(ws, manifest, extraction.files)
    if extraction.rejected:
        log.warning("%s %s: refused unsafe zip entries %s", course, pi, extraction.rejected)
    return {
        **_key(item),
        "result": "downloaded",
        "files": len(extraction.files),
        "bytes": download.size,
        "error": (
            f"refused unsafe entries: {', '.join(extraction.rejected)}"
            if extraction.rejected
            else None
        ),
    }


def _int(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _write_manifest(ws: Workspace, manifest: dict[str, Any], files: list[Any]) -> None:
    columns = [
        "course",
        "pi",
        "status",
        "zip_path",
        "zip_size",
        "zip_sha256",
        "content_length",
        "extracted_dir",
        "n_files",
        "rejected",
        "error",
        "attempts",
        "downloaded_at",
    ]
    with ws.store.connect() as conn:
        conn.execute(
            "DELETE FROM download_files WHERE course = ? AND pi = ?",
            (manifest["course"], manifest["pi"]),
        )
        conn.executemany(
            "INSERT INTO download_files (course, pi, path, size, sha256) VALUES (?,?,?,?,?)",
            [(manifest["course"], manifest["pi"], f.path, f.size, f.sha256) for f in files],
        )
        conn.execute(
            f"INSERT OR REPLACE INTO downloads ({', '.join(columns)}) VALUES "
            f"({', '.join('?' for _ in columns)})",
            [manifest.get(c) for c in columns],
        )


def download_scripts(
    workspace: Workspace | str | Path | None = None,
    *,
    course: str | None = None,
    pis: Iterable[str] | None = None,
    status: Iterable[str] | str | None = None,
    force: bool = False,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    max_total_bytes: int = 8 * 1024**3,
    max_ratio: float = 200.0,
    progress: bool = True,
) -> pd.DataFrame:
    """Download, verify and safely extract each selected student's submission zip.

    Verified downloads (manifest + files on disk) are skipped without any request unless
    ``force``. Returns one row per student: ``result`` is downloaded, skipped, no submission or
    failed (with ``error``).
    """
    ws = _workspace(workspace)
    site, owned = _sites(ws, sites, politeness, overrides)
    try:
        _ensure_allocation(ws, site, course, progress)
        chosen = select_students(ws, course=course, pis=pis, status=status)
        manifests = ws.store.query_df("SELECT * FROM downloads")
        files = ws.store.query_df("SELECT * FROM download_files")
        by_key = {(r["course"], r["pi"]): r for r in manifests.to_dict("records")}
        todo, skipped = [], []
        for item in chosen.to_dict("records"):
            key = (item["course"], item["pi"])
            manifest = by_key.get(key)
            if (
                not force
                and manifest is not None
                and _verified_on_disk(
                    ws, manifest, files[(files["course"] == key[0]) & (files["pi"] == key[1])]
                )
            ):
                skipped.append(
                    {
                        **_key(item),
                        "result": "skipped (verified)",
                        "files": _int(manifest.get("n_files")),
                        "bytes": _int(manifest.get("zip_size")),
                        "error": None,
                    }
                )
            else:
                todo.append(item)
        if todo:
            session = site.session("submissions")
            done = _run_each(
                todo,
                lambda item: _download_one(
                    ws, session, item, max_total=max_total_bytes, max_ratio=max_ratio
                ),
                "Downloading",
                workers=session.politeness.concurrency,
                progress=progress,
                session_of=lambda: session,
            )
            failed = done[done["result"] == "failed"] if not done.empty else done
            for row in failed.to_dict("records"):
                _record_download_failure(ws, row["course"], row["pi"], row["error"])
        else:
            done = pd.DataFrame()
        frame = pd.concat([pd.DataFrame(skipped), done], ignore_index=True)
        if frame.empty:
            return pd.DataFrame(columns=["course", "pi", "result", "files", "bytes", "error"])
        return frame.sort_values(["course", "pi"]).reset_index(drop=True)
    finally:
        if owned:
            site.close()


# ---------------------------------------------------------------------------------------------
# 3. codes


def collect_codes(
    workspace: Workspace | str | Path | None = None,
    *,
    course: str | None = None,
    pis: Iterable[str] | None = None,
    status: Iterable[str] | str | None = None,
    refresh: bool = False,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Confirmation codes of the selected students into the ``codes`` table (one page each).

    Codes already in the store (e.g. from ``download_scripts``) are not fetched again unless
    ``refresh``. Returns course, pi, name, code.
    """
    ws = _workspace(workspace)
    site, owned = _sites(ws, sites, politeness, overrides)
    try:
        _ensure_allocation(ws, site, course, progress)
        chosen = select_students(ws, course=course, pis=pis, status=status)
        have = ws.store.query_df("SELECT course, pi FROM codes")
        known = set(zip(have["course"], have["pi"], strict=True))
        todo = [
            i for i in chosen.to_dict("records") if refresh or (i["course"], i["pi"]) not in known
        ]
        if todo:
            session = site.session("submissions")
            spec = session.profile.need("submission")

            def one(item: dict[str, Any]) -> dict[str, Any]:
                page = session.get(spec.url, course=item["course"], pi=item["pi"])
                info = parse.parse_submission(page, spec)
                _store_submission(ws, item["course"], item["pi"], info)
                return {**_key(item), "result": "fetched", "error": None}

            done = _run_each(
                todo,
                one,
                "Codes",
                workers=session.politeness.concurrency,
                progress=progress,
                session_of=lambda: session,
            )
        else:
            done = pd.DataFrame(columns=["course", "pi", "result", "error"])
        codes = ws.store.query_df("SELECT course, pi, code FROM codes")
        frame = chosen[["course", "pi", "name"]].merge(codes, on=["course", "pi"], how="left")
        if not done.empty:
            frame = frame.merge(
                done[["course", "pi", "result", "error"]], on=["course", "pi"], how="left"
            )
            frame["result"] = frame["result"].fillna("stored")
        else:
            frame["result"], frame["error"] = "stored", None
        return frame
    finally:
        if owned:
            site.close()


def export_codes(
    workspace: Workspace | str | Path | None, dest: Path, codes: pd.DataFrame | None = None
) -> Path:
    """Write the codes (course, pi, name, code) to CSV or XLSX, by ``dest``'s suffix."""
    from gaffertape.atomic import atomic_write

    ws = _workspace(workspace)
    if codes is None:
        codes = ws.store.query_df(
            "SELECT s.course, s.pi, s.name, c.code FROM students s LEFT JOIN codes c"
            " USING (course, pi) ORDER BY s.course, s.pi"
        )
    codes = codes[[c for c in ("course", "pi", "name", "code") if c in codes.columns]]
    suffix = dest.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise UserError(f"cannot export codes to {dest}", hint="use a .csv or .xlsx file name")
    with atomic_write(dest) as tmp:
        if suffix == ".csv":
            codes.to_csv(tmp, index=False)
        else:
            codes.to_excel(tmp, index=False, engine="openpyxl")
    return dest


# ---------------------------------------------------------------------------------------------
# 4. marks


def _store_marks(
    ws: Workspace, course: str, pi: str, rows: list[dict[str, Any]], status: str | None
) -> None:
    with ws.store.connect() as conn:
        conn.execute("DELETE FROM marks WHERE course = ? AND pi = ?", (course, pi))
        conn.executemany(
            "INSERT INTO marks (course, pi, role, marker, category, mark, comments)"
            " VALUES (?,?,?,?,?,?,?)",
            [
                (course, pi, r["role"], r["marker"], r["category"], r["mark"], r["comments"])
                for r in rows
            ],
        )
        conn.execute(
            "INSERT OR REPLACE INTO marks_fetched (course, pi, status, fetched_at)"
            " VALUES (?,?,?,?)",
            (course, pi, status, _now()),
        )


def collect_marks(
    workspace: Workspace | str | Path | None = None,
    *,
    course: str | None = None,
    pis: Iterable[str] | None = None,
    status: Iterable[str] | str | None = None,
    refresh: bool = False,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Every marker's marks of the selected students into the long-form ``marks`` table.

    Students whose allocation status has not changed since their marks were fetched are not
    fetched again unless ``refresh``. Returns the marks rows of the selection.
    """
    ws = _workspace(workspace)
    site, owned = _sites(ws, sites, politeness, overrides)
    try:
        _ensure_allocation(ws, site, course, progress)
        chosen = select_students(ws, course=course, pis=pis, status=status)
        fetched = ws.store.query_df("SELECT course, pi, status FROM marks_fetched")
        seen = {(r.course, r.pi): r.status for r in fetched.itertuples(index=False)}
        todo = [
            i
            for i in chosen.to_dict("records")
            if refresh
            or (i["course"], i["pi"]) not in seen
            or seen[(i["course"], i["pi"])] != i.get("status")
        ]
        if todo:
            session = site.session("marks")
            spec = session.profile.need("marks")

            def one(item: dict[str, Any]) -> dict[str, Any]:
                page = session.get(spec.url, course=item["course"], pi=item["pi"])
                rows = parse.parse_marks(page, spec)
                _store_marks(ws, item["course"], item["pi"], rows, item.get("status"))
                return {**_key(item), "result": "fetched", "rows": len(rows), "error": None}

            done = _run_each(
                todo,
                one,
                "Marks",
                workers=session.politeness.concurrency,
                progress=progress,
                session_of=lambda: session,
            )
        else:
            done = pd.DataFrame(columns=["course", "pi", "result", "error"])
        marks = ws.store.query_df("SELECT * FROM marks ORDER BY course, pi, role, rowid")
        keys = set(zip(chosen["course"], chosen["pi"], strict=True))
        mask = [(c, p) in keys for c, p in zip(marks["course"], marks["pi"], strict=True)]
        result = marks[mask].reset_index(drop=True)
        result.attrs["fetch"] = done
        return result
    finally:
        if owned:
            site.close()


# ---------------------------------------------------------------------------------------------
# 5. post third marks


def read_third_marks(path: Path) -> dict[tuple[str | None, str], dict[str, Any]]:
    """Third marks from CSV/XLSX: wide (pi, [course], one column per category, [comments]) or
    long (pi, [course], category, mark, [comments]). Returns {(course, pi): {marks, comments}}."""
    if not path.is_file():
        raise UserError(f"third marks file {path} not found")
    frame = (
        pd.read_excel(path, dtype=object, engine="openpyxl")
        if path.suffix.lower() in {".xlsx", ".xlsm"}
        else pd.read_csv(path, dtype=object, encoding="utf-8-sig")
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    lower = {c.lower(): c for c in frame.columns}
    if "pi" not in lower:
        raise UserError(f"{path}: no `pi` column", hint="see docs/sites.md (post input format)")
    pi_c, course_c, comments_c = lower["pi"], lower.get("course"), lower.get("comments")
    out: dict[tuple[str | None, str], dict[str, Any]] = {}

    def mark_value(value: Any, row_no: int, column: str) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UserError(
                f"{path}: row {row_no}, column {column!r}: {value!r} is not a mark",
                hint="marks must be numbers",
            ) from None
        if number != number:
            raise UserError(f"{path}: row {row_no}, column {column!r}: missing mark")
        return number

    long_form = "category" in lower and "mark" in lower
    for row_no, row in enumerate(frame.to_dict("records"), start=2):
        pi = str(row[pi_c] or "").strip().upper()
        if not pi or pi == "NAN":
            continue
        course = str(row[course_c]).strip() if course_c and pd.notna(row[course_c]) else None
        entry = out.setdefault((course, pi), {"marks": {}, "comments": None})
        if comments_c and pd.notna(row.get(comments_c)):
            entry["comments"] = str(row[comments_c])
        if long_form:
            category = str(row[lower["category"]]).strip()
            entry["marks"][category] = mark_value(row[lower["mark"]], row_no, "mark")
        else:
            skip = {pi_c, course_c, comments_c, lower.get("code"), lower.get("name")}
            for column in frame.columns:
                if column not in skip and pd.notna(row[column]):
                    entry["marks"][column] = mark_value(row[column], row_no, column)
    if not out:
        raise UserError(f"{path}: no rows with a PI")
    return out


def _norm(text: str) -> str:
    return " ".join(str(text).lower().split())


def _matches(
    existing: list[dict[str, Any]], marks: dict[str, float], comments: str | None, role: str
) -> bool:
    mine = {_norm(r["category"]): r["mark"] for r in existing if r["role"] == role}
    if not mine or {_norm(k): float(v) for k, v in marks.items()} != mine:
        return False
    if comments is None:
        return True
    got = next((r["comments"] for r in existing if r["role"] == role), None)
    return _norm(got or "") == _norm(comments)


def _audit(
    ws: Workspace,
    course: str,
    pi: str,
    action: str,
    marks: dict[str, float],
    comments: str | None,
    code: str | None,
    verified: bool | None,
    message: str,
) -> None:
    with ws.store.connect() as conn:
        conn.execute(
            "INSERT INTO posts (course, pi, action, marks, comments, code, verified,"
            " message, at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                course,
                pi,
                action,
                json.dumps(marks),
                comments,
                code,
                None if verified is None else int(verified),
                message,
                _now(),
            ),
        )


def post_third_marks(
    workspace: Workspace | str | Path | None = None,
    marks_file: Path | None = None,
    *,
    course: str | None = None,
    pis: Iterable[str] | None = None,
    dry_run: bool = False,
    entries: dict[tuple[str | None, str], dict[str, Any]] | None = None,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Post third marks and comments, each with the student's confirmation code.

    Idempotent: the marks page is read first and a student whose third marks already match is
    skipped; after a post the page is read back and verified; a failed or uncertain post is only
    retried after reading back shows it did not land. Every post, skip and dry run goes to the
    ``posts`` audit table. ``dry_run`` shows what would change and posts nothing.
    """
    ws = _workspace(workspace)
    if entries is None:
        if marks_file is None:
            raise UserError("no third marks given", hint="pass a CSV/XLSX file")
        entries = read_third_marks(Path(marks_file))
    site, owned = _sites(ws, sites, politeness, overrides)
    try:
        _ensure_allocation(ws, site, course, progress)
        students = ws.store.query_df("SELECT course, pi FROM students")
        course_of: dict[str, list[str]] = {}
        for r in students.itertuples(index=False):
            course_of.setdefault(r.pi, []).append(r.course)
        wanted = {p.strip().upper() for p in pis} if pis else None
        items = []
        for (given_course, pi), entry in entries.items():
            if wanted is not None and pi not in wanted:
                continue
            options = [given_course] if given_course else course_of.get(pi, [])
            if course:
                options = [c for c in options if c == course] or [course]
            if len(options) != 1:
                items.append(
                    {
                        "course": given_course or course,
                        "pi": pi,
                        "problem": f"PI {pi} is in {len(options)} presentations of the allocation; "
                        "add a course column",
                        **entry,
                    }
                )
            else:
                items.append({"course": options[0], "pi": pi, **entry})
        marks_session = site.session("marks")
        mspec = marks_session.profile.need("marks")
        pspec = marks_session.profile.need("post")
        codes = ws.store.query_df("SELECT course, pi, code FROM codes")
        code_of = {(r.course, r.pi): r.code for r in codes.itertuples(index=False)}

        def code_for(course_: str, pi: str) -> str:
            code = code_of.get((course_, pi))
            if code:
                return code
            frame = collect_codes(
                ws, course=course_, pis=[pi], refresh=True, sites=site, progress=False
            )
            code = frame["code"].iloc[0] if len(frame) else None
            if not code or pd.isna(code):
                raise UserError(
                    f"no confirmation code for {pi} in {course_}",
                    hint="the student may have no submission",
                )
            return str(code)

        def read_back(course_: str, pi: str) -> list[dict[str, Any]]:
            return parse.parse_marks(marks_session.get(mspec.url, course=course_, pi=pi), mspec)

        def one(item: dict[str, Any]) -> dict[str, Any]:
            course_, pi = item["course"], item["pi"]
            marks, comments = item["marks"], item.get("comments")
            base = {"course": course_, "pi": pi, "marks": json.dumps(marks)}
            if item.get("problem"):
                _audit(
                    ws, course_ or "", pi, "failed", marks, comments, None, None, item["problem"]
                )
                return {**base, "result": "failed", "error": item["problem"]}
            existing = read_back(course_, pi)
            if _matches(existing, marks, comments, pspec.role):
                _audit(
                    ws,
                    course_,
                    pi,
                    "skipped",
                    marks,
                    comments,
                    None,
                    True,
                    "already posted: the site shows these third marks",
                )
                return {**base, "result": "skipped (already there)", "error": None}
            categories = [r["category"] for r in existing if r["role"] == "first"]
            unknown = [k for k in marks if _norm(k) not in {_norm(c) for c in categories}]
            if categories and unknown:
                message = f"unknown categories {unknown}; the site has {categories}"
                _audit(ws, course_, pi, "failed", marks, comments, None, None, message)
                return {**base, "result": "failed", "error": message}
            code = code_for(course_, pi)
            if dry_run:
                before = {r["category"]: r["mark"] for r in existing if r["role"] == pspec.role}
                message = f"would post {marks} (site now: {before or 'no third marks'})"
                _audit(ws, course_, pi, "dry-run", marks, comments, code, None, message)
                return {**base, "result": "would post", "error": None, "change": message}
            for attempt in range(1, marks_session.retry.retries + 2):
                if attempt > 1:
                    time.sleep(marks_session.retry.wait(attempt - 1))
                    existing = read_back(course_, pi)
                    if _matches(existing, marks, comments, pspec.role):
                        _audit(
                            ws,
                            course_,
                            pi,
                            "skipped",
                            marks,
                            comments,
                            code,
                            True,
                            "an earlier uncertain post did land; not posting again",
                        )
                        break
                try:
                    page = marks_session.get(pspec.url, course=course_, pi=pi)
                    forms = page.xpath(pspec.form)
                    if not forms:
                        raise SiteError(f"no third-mark form for {pi}")
                    fields = parse.form_mark_fields(forms[0], pspec.mark_field_regex)
                    labels = [lab for _, lab in fields]
                    order = (
                        labels
                        if all(labels) and {_norm(x) for x in labels} >= {_norm(k) for k in marks}
                        else categories
                    )
                    by_norm = {_norm(k): v for k, v in marks.items()}
                    values = {}
                    for (name, _), label in zip(fields, order, strict=False):
                        if _norm(label) in by_norm:
                            value = by_norm[_norm(label)]
                            values[name] = str(int(value)) if value == int(value) else str(value)
                    if len(values) != len(marks):
                        raise UserError(
                            f"cannot match categories {list(marks)} to the form's fields {labels}"
                        )
                    values[pspec.code_field] = code
                    if comments is not None:
                        values[pspec.comments_field] = comments
                    result = marks_session.submit(page, forms[0], values)
                except (SiteError, SessionExpired) as exc:
                    _audit(
                        ws,
                        course_,
                        pi,
                        "failed",
                        marks,
                        comments,
                        code,
                        None,
                        f"attempt {attempt}: {exc}; will read back before any retry",
                    )
                    continue
                assert isinstance(result, Page)
                if pspec.error_text and result.contains(pspec.error_text):
                    message = next(t for t in pspec.error_text if result.contains([t]))
                    _audit(ws, course_, pi, "failed", marks, comments, code, False, message)
                    return {**base, "result": "failed", "error": message}
                ok = result.contains(pspec.success_text)
                _audit(
                    ws,
                    course_,
                    pi,
                    "posted",
                    marks,
                    comments,
                    code,
                    None,
                    "site confirmed" if ok else "no confirmation text; reading back",
                )
                break
            else:
                return {**base, "result": "failed", "error": "could not post after retries"}
            existing = read_back(course_, pi)
            verified = _matches(existing, marks, comments, pspec.role)
            _audit(
                ws,
                course_,
                pi,
                "verified" if verified else "failed",
                marks,
                comments,
                code,
                verified,
                "read back" + ("" if verified else ": site shows different marks"),
            )
            _store_marks(ws, course_, pi, existing, None)
            return {
                **base,
                "result": "posted" if verified else "failed",
                "error": None if verified else "read back does not match",
            }

        frame = _run_each(
            items,
            one,
            "Posting" if not dry_run else "Checking",
            workers=marks_session.politeness.concurrency,
            progress=progress,
            session_of=lambda: marks_session,
        )
        return frame
    finally:
        if owned:
            site.close()


# ---------------------------------------------------------------------------------------------
# sync


def sync(
    workspace: Workspace | str | Path | None = None,
    *,
    course: str | None = None,
    pis: Iterable[str] | None = None,
    status: Iterable[str] | str | None = None,
    sites: Sites | None = None,
    politeness: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
) -> dict[str, pd.DataFrame]:
    """Allocation, then per student (pipelined on the same workers) the download with its code
    and the marks page; then a pass of each workflow for anything still missing or failed."""
    ws = _workspace(workspace)
    site, owned = _sites(ws, sites, politeness, overrides)
    try:
        out = {"allocation": get_allocation(ws, course=course, sites=site, progress=progress)}
        chosen = select_students(ws, course=course, pis=pis, status=status)
        manifests = ws.store.query_df("SELECT * FROM downloads")
        files = ws.store.query_df("SELECT * FROM download_files")
        by_key = {(r["course"], r["pi"]): r for r in manifests.to_dict("records")}
        fetched = ws.store.query_df("SELECT course, pi, status FROM marks_fetched")
        seen = {(r.course, r.pi): r.status for r in fetched.itertuples(index=False)}
        items = []
        for item in chosen.to_dict("records"):
            key = (item["course"], item["pi"])
            manifest = by_key.get(key)
            need_download = manifest is None or not _verified_on_disk(
                ws, manifest, files[(files["course"] == key[0]) & (files["pi"] == key[1])]
            )
            need_marks = key not in seen or seen[key] != item.get("status")
            if need_download or need_marks:
                items.append({**item, "_download": need_download, "_marks": need_marks})
        if items:
            submissions = site.session("submissions")
            marks_session = site.session("marks")
            mspec = marks_session.profile.need("marks")

            def one(item: dict[str, Any]) -> dict[str, Any]:
                row = {**_key(item), "result": "ok", "error": None}
                if item["_download"]:
                    try:
                        _download_one(ws, submissions, item, max_total=8 * 1024**3, max_ratio=200.0)
                    except (SiteError, UnsafeZip, OSError) as exc:
                        if isinstance(exc, SiteLocked):
                            raise
                        row.update(result="failed", error=f"download: {exc}")
                        _record_download_failure(ws, item["course"], item["pi"], str(exc))
                if item["_marks"]:
                    page = marks_session.get(mspec.url, course=item["course"], pi=item["pi"])
                    _store_marks(
                        ws,
                        item["course"],
                        item["pi"],
                        parse.parse_marks(page, mspec),
                        item.get("status"),
                    )
                return row

            out["pipeline"] = _run_each(
                items,
                one,
                "Syncing",
                workers=submissions.politeness.concurrency,
                progress=progress,
                session_of=lambda: submissions,
            )
        out["download"] = download_scripts(
            ws, course=course, pis=pis, status=status, sites=site, progress=progress
        )
        out["codes"] = collect_codes(
            ws, course=course, pis=pis, status=status, sites=site, progress=progress
        )
        out["marks"] = collect_marks(
            ws, course=course, pis=pis, status=status, sites=site, progress=progress
        )
        return out
    finally:
        if owned:
            site.close()


def _record_download_failure(ws: Workspace, course: str, pi: str, error: str) -> None:
    with ws.store.connect() as conn:
        conn.execute(
            "INSERT INTO downloads (course, pi, status, error, downloaded_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(course, pi) DO UPDATE SET status='failed', error=excluded.error, "
            "downloaded_at=excluded.downloaded_at WHERE downloads.status != 'ok'",
            (course, pi, "failed", error, _now()),
        )
