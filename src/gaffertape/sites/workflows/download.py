"""Workflow 2, downloads: each student's zip, verified and safely extracted, with a manifest.

The submission page also carries the confirmation code and the list of submitted files, so
they are stored on the way (``codes``, ``submitted_files``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from gaffertape.identity import valid_name_part
from gaffertape.sites import parse
from gaffertape.sites.engine import Download, Page, SiteError, SiteSession, keep_memory_flat
from gaffertape.sites.safezip import Extraction, safe_extract
from gaffertape.sites.workflows.allocation import allocated_students
from gaffertape.sites.workflows.common import (
    Key,
    Sites,
    as_workspace,
    log,
    now,
    open_sites,
    redo_unit,
    run_each,
    student_columns,
    student_key,
)
from gaffertape.workspace import Workspace

MAX_TOTAL_BYTES = 8 * 1024**3
"""Bound on the bytes one zip may extract to (counted on the bytes actually written)."""
MAX_RATIO = 200.0
"""Bound on one entry's compression ratio (a zip bomb breaks it)."""

MANIFEST_COLUMNS = [
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
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
    ignore_lockout: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Download, verify and safely extract each selected student's submission zip.

    Verified downloads (manifest + files on disk) are skipped without any request unless
    ``force``. Returns one row per student: ``result`` is downloaded, skipped, no submission or
    failed (with ``error``).
    """
    ws = as_workspace(workspace)
    with open_sites(ws, sites, politeness, overrides, ignore_lockout) as site:
        remove_leftovers(ws)  # under the site lock: no other run is using them
        chosen = allocated_students(
            ws, site, course=course, pis=pis, status=status, progress=progress
        ).to_dict("records")
        verified = {} if force else verified_downloads(ws, chosen)
        skipped = [
            _skipped(item, verified[k]) for item in chosen if (k := student_key(item)) in verified
        ]
        todo = [item for item in chosen if student_key(item) not in verified]
        if todo:
            keep_memory_flat()
            session = site.session("submissions")
            done = run_each(
                todo,
                lambda item: download_student(
                    ws, session, item, max_total=max_total_bytes, max_ratio=max_ratio
                ),
                "Downloading",
                session,
                progress=progress,
            )
            for row in done[done["result"] == "failed"].to_dict("records"):
                record_download_failure(ws, row["course"], row["pi"], row["error"])
        else:
            done = pd.DataFrame()
        frame = pd.concat([pd.DataFrame(skipped), done], ignore_index=True)
        if frame.empty:
            return pd.DataFrame(columns=["course", "pi", "result", "files", "bytes", "error"])
        return frame.sort_values(["course", "pi"]).reset_index(drop=True)


def remove_leftovers(ws: Workspace) -> list[Path]:
    """Delete what a run killed mid-way left behind: ``downloads/<course>/.PI.zip.part``
    files and ``scripts/<course>/.PI.xxxx.part/`` (or ``.PI.old/``) folders of a half-done
    extraction. Runs at the start of every download, under the workspace's per-site lock, so
    no other run is using them."""
    leftovers = [*ws.downloads_dir.glob("*/.*.part"), *ws.scripts_dir.glob("*/.*.part"),
                 *ws.scripts_dir.glob("*/.*.old")]
    for path in leftovers:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if leftovers:
        log.info("removed %d leftover(s) of an interrupted run", len(leftovers))
    return leftovers


def _skipped(item: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        **student_columns(item),
        "result": "skipped (verified)",
        "files": _int(manifest.get("n_files")),
        "bytes": _int(manifest.get("zip_size")),
        "error": None,
    }


def _int(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


# ---------------------------------------------------------------------------------------------
# the manifest: what was downloaded, and is it still on disk as it was


def verified_downloads(ws: Workspace, items: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    """The manifests of those ``items`` whose download need not be redone: verified and still
    on disk with the recorded sizes, or known to have no submission. Makes no request."""
    manifests = ws.store.query_df("SELECT * FROM downloads")
    files = ws.store.query_df("SELECT * FROM download_files")
    by_key = {(r["course"], r["pi"]): r for r in manifests.to_dict("records")}
    verified = {}
    for item in items:
        course, pi = student_key(item)
        manifest = by_key.get((course, pi))
        if manifest is not None and _verified_on_disk(
            ws, manifest, files[(files["course"] == course) & (files["pi"] == pi)]
        ):
            verified[(course, pi)] = manifest
    return verified


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


def _write_manifest(ws: Workspace, manifest: dict[str, Any], files: list[Any]) -> None:
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
            f"INSERT OR REPLACE INTO downloads ({', '.join(MANIFEST_COLUMNS)}) VALUES "
            f"({', '.join('?' for _ in MANIFEST_COLUMNS)})",
            [manifest.get(c) for c in MANIFEST_COLUMNS],
        )


def record_download_failure(ws: Workspace, course: str, pi: str, error: str) -> None:
    """Note a failed download in the manifest, unless an earlier one is verified (kept)."""
    with ws.store.connect() as conn:
        conn.execute(
            "INSERT INTO downloads (course, pi, status, error, downloaded_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(course, pi) DO UPDATE SET status='failed', error=excluded.error, "
            "downloaded_at=excluded.downloaded_at WHERE downloads.status != 'ok'",
            (course, pi, "failed", error, now()),
        )


def store_submission(ws: Workspace, course: str, pi: str, info: dict[str, Any]) -> None:
    """The confirmation code and submitted-files list from a parsed submission page."""
    with ws.store.connect() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO codes (course, pi, code, fetched_at) VALUES (?,?,?,?)",
            (course, pi, info["code"], now()),
        )
        conn.execute("DELETE FROM submitted_files WHERE course = ? AND pi = ?", (course, pi))
        conn.executemany(
            "INSERT OR REPLACE INTO submitted_files (course, pi, file, size, submitted)"
            " VALUES (?,?,?,?,?)",
            [(course, pi, f["file"], f["size"], f["submitted"]) for f in info["files"]],
        )


# ---------------------------------------------------------------------------------------------
# one student


def download_student(
    ws: Workspace,
    session: SiteSession,
    item: dict[str, Any],
    *,
    max_total: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
) -> dict[str, Any]:
    """Download, verify and extract one student's zip; store its code, file list and manifest.

    The zip is streamed to a ``.part`` file and renamed into ``downloads/`` only once it has
    been extracted with every CRC checked, so an interrupted run leaves nothing half-written.
    """
    course, pi = student_key(item)
    for what, value in (("course code", course), ("PI", pi)):
        valid_name_part(value, what=what, where=f"{session.profile.name} allocation")
    zip_dest = ws.downloads_dir / course / f"{pi}.zip"
    part = zip_dest.with_name(f".{pi}.zip.part")
    folder = ws.scripts_dir / course / pi
    fetch = partial(_fetch_once, session, course, pi, part, folder, max_total, max_ratio)
    try:
        (info, download, extraction), attempts = redo_unit(session, fetch)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    store_submission(ws, course, pi, info)
    manifest: dict[str, Any] = {
        "course": course,
        "pi": pi,
        "attempts": attempts,
        "downloaded_at": now(),
        "error": None,
    }
    if download is None or extraction is None:
        manifest.update(status="no_submission", n_files=0)
        _write_manifest(ws, manifest, [])
        return {
            **student_columns(item),
            "result": "no submission",
            "files": 0,
            "bytes": 0,
            "error": None,
        }
    os.replace(download.path, zip_dest)
    zip_dest.chmod(0o600)  # personal data: private to the user, like everything in the workspace
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
    notes = extraction_notes(extraction)
    if notes:
        log.warning("%s %s: %s", course, pi, notes)
    return {
        **student_columns(item),
        "result": "downloaded, entries refused" if extraction.rejected else "downloaded",
        "files": len(extraction.files),
        "bytes": download.size,
        "error": notes,
    }


def extraction_notes(extraction: Extraction) -> str | None:
    """What the user must know about an extraction: entries refused, entries renamed."""
    notes = []
    if extraction.rejected:
        notes.append(f"refused {len(extraction.rejected)} zip entries: "
                     + "; ".join(extraction.rejected))
    if extraction.renamed:
        notes.append(f"renamed {len(extraction.renamed)} clashing entries: "
                     + "; ".join(f"{a} -> {b}" for a, b in extraction.renamed))
    return ". ".join(notes) or None


def _fetch_once(
    session: SiteSession,
    course: str,
    pi: str,
    part: Path,
    folder: Path,
    max_total: int,
    max_ratio: float,
) -> tuple[dict[str, Any], Download | None, Extraction | None]:
    """One attempt: the submission page, its form's zip streamed to ``part``, the extraction.

    Returns (submission info, download, extraction); no download when nothing was submitted.
    """
    spec = session.profile.need("submission")
    page = session.get(spec.url, course=course, pi=pi)
    info = parse.parse_submission(page, spec, session.profile.hook("clean_file"))
    if not info["submitted"]:
        return info, None, None
    if info["form"] is None and info["link"] is None:
        raise SiteError(f"no download form or link on the submission page of {pi}")
    part.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if info["link"] is not None:
        result = session.fetch_file(info["link"], part, expect=spec.download_content_type)
    else:
        result = session.submit(
            page, info["form"], dict(spec.choose), stream_to=part,
            expect=spec.download_content_type,
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
