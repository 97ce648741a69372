"""Read workbooks in a worker process, so that a hostile file cannot end this one.

python-calamine reads every sheet of an .xls as it opens it, and a few bytes can make it ask
for terabytes: a cell at column 65,535, a DIMENSIONS record of four billion rows, a compound
file whose directory chain loops. Rust then aborts the process, which no ``except`` can catch:
a folder run lost all its output, and the app its server. Proving an .xls safe beforehand means
walking every record of it in Python (7-20 % of the whole pipeline); reading it in a worker
costs the pickling of its values (about 3 %), and refuses *any* way of aborting the reader,
including those nobody has found yet. An .ods is checked by :mod:`.bounds`, but as bytes,
not as calamine parses its XML: a table start inside a comment split a table in two for the
check, and an 800-byte file aborted the run; so it is read here too. So are .xlsx files:
held to the memory their parts could need, they need only the quick part of the check first
(``bounds.quick_check``; see ``readers``), which saves more time than their pickling costs.

One worker serves the whole process, started on first use and kept, so a folder of .xls files
starts one interpreter. When it dies on a file, that file is refused and the next file gets a
new worker. Calls are serialised: the app may read from several threads.
"""

from __future__ import annotations

import atexit
import pickle
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

from gaffertape.errors import UserError
from gaffertape.sheets import calamine_read
from gaffertape.sheets.bounds import MAX_COPIED_TEXT
from gaffertape.sheets.calamine_read import Refused, Sheet, Unreadable

WORKER_MEMORY = 8 * 1024**3
"""The worker's address space: room for the largest workbook the bounds let through (20
million cells, about 3 GB as Python values), and an early, clean failure for a file that asks
for more. An .xls is read within it; an .ods within what its check measured (:func:`memory_for`)."""
WORKER_BASE = 512 * 1024**2
"""Address space a worker may always add to what it holds when it starts on a file (the
interpreter and calamine take about 30 MB)."""
CELL_BYTES = 256
"""Address space per cell the check measured: calamine's list of cells (40 bytes each, which
doubles as it grows), its dense sheet (32 bytes a cell) and the Python values (a pointer and a
24-byte number) fit within it."""
TEXT_BYTES = 8
"""Address space per byte of text the check measured: calamine's copy, and Python's (up to 4
bytes a character)."""
MAX_ANSWER_BYTES = MAX_COPIED_TEXT + 10 * 20_000_000
"""The most a worker's answer may pickle to: what a workbook's cells may copy of text in
all (``bounds.MAX_COPIED_TEXT``, 1 GB) and 10 bytes for each of the most cells a file may
have (``readers.MAX_CELLS``, which imports this module; a pickled number takes 9). This
process builds every value again from it: the bound holds however the file got its memory
allowance (a file's parts can be padded to raise it)."""
WORKER_SECONDS = 60
"""The longest one file may take. calamine reads the real workbooks at about 10 million
cells a second (the largest, 113,000 cells, in 13 ms), so even 20 million cells leave room;
20,000 sheet records pointing at one sheet body (a 2 MB .xls) took 64 s, and a bigger file
could have run for the ten minutes this was."""


class ReaderDied(UserError):
    """The worker died on a file, or took longer than :data:`WORKER_SECONDS` (``timed_out``)."""

    def __init__(self, message: str, *, hint: str, timed_out: bool) -> None:
        super().__init__(message, hint=hint)
        self.timed_out = timed_out


_lock = threading.Lock()
_worker: subprocess.Popen[bytes] | None = None


def memory_for(cells: int, text: int) -> int:
    """The address space a worker may add to read a workbook whose check measured at most
    ``cells`` cells and ``text`` bytes of text (its XML and the copies its repeats make).

    The check reads an .ods file's XML as bytes, calamine as XML, and they can be made to
    disagree: a table start inside a cell or an attribute value (where calamine's parser
    allows a raw "<") split one table in two for the check, and an 800-byte file made
    calamine build 100 million cells (6 GB, 15 s) before it was refused. Held to what the
    check saw, such a file fails at once."""
    return min(WORKER_MEMORY, WORKER_BASE + CELL_BYTES * cells + TEXT_BYTES * text)


def read_isolated(path: Path | str, max_sheets: int, max_cells: int,
                  memory: int = WORKER_MEMORY) -> list[Sheet]:
    """:func:`calamine_read.read_sheets` of ``path``, run in the worker process within
    ``memory`` bytes of address space; raises its :class:`Refused` or :class:`Unreadable`
    here, and :class:`ReaderDied` when the worker dies on the file (or takes longer than
    :data:`WORKER_SECONDS`)."""
    with _lock:
        worker = _running_worker()
        try:
            pickle.dump((str(path), max_sheets, max_cells, memory, MAX_ANSWER_BYTES),
                        worker.stdin)  # type: ignore[arg-type]
            worker.stdin.flush()  # type: ignore[union-attr]
            # the answer is written whole once the file is read (or the worker dies, which
            # also makes its output readable); a timer thread per file cost more than the
            # read of a small one
            if not select.select([worker.stdout], [], [], WORKER_SECONDS)[0]:
                raise TimeoutError
            kind, args = pickle.load(worker.stdout)  # type: ignore[arg-type]
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            raise _died(path, _stop_worker(), timed_out=isinstance(exc, TimeoutError),
                        memory=memory) from None
    if kind == "refused":
        raise Refused(*args)
    if kind == "unreadable":
        raise Unreadable(*args)
    return args  # type: ignore[no-any-return]


def _running_worker() -> subprocess.Popen[bytes]:
    global _worker
    if _worker is None or _worker.poll() is not None:
        _worker = subprocess.Popen(
            [sys.executable, calamine_read.__file__, str(WORKER_MEMORY)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)  # Rust's panic reports: the answer carries the message
    return _worker


def _stop_worker() -> int:
    """Stop the worker (it has died, or must) and forget it; its exit code."""
    global _worker
    worker, _worker = _worker, None
    if worker is None:
        return 0
    worker.kill()
    for stream in (worker.stdin, worker.stdout):
        if stream:
            stream.close()
    return worker.wait()


def _died(path: Path, code: int, *, timed_out: bool, memory: int) -> ReaderDied:
    if timed_out:
        how = f"took longer than {WORKER_SECONDS} s"
    elif code < 0 and -code in signal.valid_signals():
        how = f"stopped by {signal.Signals(-code).name}"
    else:
        how = f"exit code {code}"
    how += f"; it could take up to {memory // 2**20:,} MB more memory"
    return ReaderDied(f"{path}: cannot read: the spreadsheet reader failed on it ({how}): the "
                      "file is damaged, or made to exhaust memory",
                      hint="open it in Excel or LibreOffice and save it as .xlsx, then tidy that",
                      timed_out=timed_out)


def _close_at_exit() -> None:
    with _lock:
        _stop_worker()


atexit.register(_close_at_exit)
