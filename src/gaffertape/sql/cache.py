"""The data folder's CSV files, cached as Parquet: parse the text once, then read only what a
query needs.

A CSV is text: every query over it parses every byte of every row, even to average one column
of seven. So the first query that reads a CSV in ``data/`` has DuckDB convert it to Parquet (a
columnar, compressed, typed format) in ``<workspace>/cache/sql/``, with exactly the reading the
CSV view has (the header, delimiter and column types DuckDB's sniffer found, spelt out); later
queries read the Parquet copy, and only its columns that they use.

* **Keyed** by the CSV's absolute path, size and modification time (and the DuckDB version
  and this module's ``CACHE_VERSION``, which decide how a CSV is read): a changed file is a
  cache miss, converted again, and its old copy deleted. A file changed while it was being
  converted is not cached.
* **Atomic**: the Parquet file is written beside its final name and renamed into place only
  when complete, so a failed or interrupted conversion never leaves a half file to be read.
* **Optional**: ``gaffertape sql --no-cache`` (``cache=False`` in Python) reads the CSV itself;
  a workspace whose cache folder cannot be written (a read-only copy) is read that way too.
* **Private** like the rest of the workspace (folder 0700, files 0600): it is a copy of
  ``data/``. Deleting ``cache/`` is always safe; it is rebuilt on demand.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb

from gaffertape.atomic import atomic_write
from gaffertape.sql.catalog import literal
from gaffertape.sql.dialect import NO_EXTENSION_DOWNLOADS

CACHE_VERSION = 1  # raise when the conversion changes, so older copies are not used
# The conversion's memory: DuckDB's Parquet writer, keeping the file's row order, grows with
# the file (480 MB for 200 MB, 973 MB for 1 GB, measured). Beyond this it spills into the cache
# folder (private, unlike the current directory DuckDB would use). 512 MB was tried on 1 GB:
# half the memory for ~15% more CPU; 2 GB leaves a 1 GB file unaffected and bounds bigger ones.
CONVERSION_MEMORY = "2GB"
SKIPPED_LINES_KEY = "gaffertape_skipped_lines"  # Parquet metadata: the sniffer's preamble


class ChangedWhileReading(Exception):
    """The CSV's size or modification time changed during its conversion."""


def cache_dir(workspace_root: Path) -> Path:
    return workspace_root / "cache" / "sql"


def cache_file(folder: Path, source: Path) -> Path:
    """Where the Parquet copy of ``source``, as it is now, lives (whether or not it exists)."""
    stat = source.stat()
    version = f"{CACHE_VERSION}|{duckdb.__version__}|{stat.st_size}|{stat.st_mtime_ns}"
    return folder / f"{_path_key(source)}-{_digest(version)}.parquet"


def lookup(folder: Path, source: Path) -> Path | None:
    """The Parquet copy of ``source`` if there is one for the file as it is now."""
    try:
        target = cache_file(folder, source)
    except FileNotFoundError:  # gone since the folder was listed: reading it will say so
        return None
    return target if target.is_file() else None


def skipped_lines(parquet: Path) -> int:
    """How many preamble lines the sniffer skipped when the copy was made (kept in its footer)."""
    with duckdb.connect(config=NO_EXTENSION_DOWNLOADS) as conn:
        row = conn.execute("SELECT value FROM parquet_kv_metadata(?) WHERE key = ?",
                           [str(parquet), SKIPPED_LINES_KEY.encode()]).fetchone()
    return int(row[0]) if row else 0


def convert(
    folder: Path,
    source: Path,
    reader: str,
    skipped: int,
    on_progress: Callable[[float], None] = lambda percent: None,
) -> Path | None:
    """Convert ``source`` to Parquet through ``reader`` (a ``read_csv(...)`` expression).

    Returns the copy, or None when the cache folder cannot be written. DuckDB's errors reading
    the CSV propagate (nothing is left behind); so does :class:`ChangedWhileReading`.
    ``on_progress`` hears DuckDB's progress (0 to 100) a few times a second.
    """
    target = cache_file(folder, source)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with atomic_write(target) as tmp:
            copy = (f"COPY (SELECT * FROM {reader}) TO {literal(str(tmp))} (FORMAT parquet,"
                    f" KV_METADATA {{{SKIPPED_LINES_KEY}: '{int(skipped)}'}})")
            _run_with_progress(copy, on_progress, spill=folder / "spill")
            tmp.chmod(0o600)
            if cache_file(folder, source) != target:
                raise ChangedWhileReading(source)
    except OSError:  # the cache folder cannot be made or written: a read-only workspace
        return None
    for stale in folder.glob(f"{_path_key(source)}-*.parquet"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


def _run_with_progress(
    statement: str, on_progress: Callable[[float], None], spill: Path
) -> None:
    """Run one statement on its own connection in a thread, reporting DuckDB's progress."""
    conn = duckdb.connect(config={**NO_EXTENSION_DOWNLOADS, "memory_limit": CONVERSION_MEMORY,
                                  "temp_directory": str(spill)})
    conn.execute("SET enable_progress_bar = true")  # DuckDB tracks progress only with it on,
    conn.execute("SET enable_progress_bar_print = false")  # and we draw it, on stderr
    failure: list[BaseException] = []

    def work() -> None:
        try:
            conn.execute(statement)
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=work, name="gaffertape-csv-to-parquet")
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.25)
            if (percent := conn.query_progress()) >= 0:  # -1: no query running (any more)
                on_progress(percent)
    except KeyboardInterrupt:
        conn.interrupt()  # stop DuckDB too; the caller's atomic write drops the part file
        raise
    finally:
        worker.join()
        conn.close()
    if failure:
        raise failure[0]


def _path_key(source: Path) -> str:
    return _digest(str(source.resolve()))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
