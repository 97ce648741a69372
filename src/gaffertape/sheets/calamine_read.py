"""python-calamine's read of one workbook as plain rows, in this process or in a worker process.

This module needs only the standard library and python-calamine, so it also runs on its own as
the worker that :mod:`.isolation` starts (``python calamine_read.py``): a worker starts in a few
tens of milliseconds, without gaffertape, numpy or pandas. The worker reads requests and writes
answers as pickles on its standard input and output (see :func:`serve`).
"""

from __future__ import annotations

import os
import pickle
import sys
from itertools import chain
from typing import Any, BinaryIO

from python_calamine import CalamineWorkbook

Merge = tuple[int, int, int, int]  # first row, first col, last row, last col (inclusive, 0-based)
Sheet = tuple[str, int, int, list[Any], list[Merge]]
"""A sheet's name, its numbers of rows and columns, its cells row by row, its merged ranges."""


class Refused(Exception):
    """A bound is broken before the cells are made: ``("sheets", count)`` or ``("cells",
    sheet name)``."""


class Unreadable(Exception):
    """python-calamine failed: ``(sheet name or None, its exception's type name, message)``.
    Plain strings, so the failure crosses from a worker process as it is."""


def read_sheets(path: str, max_sheets: int, max_cells: int) -> list[Sheet]:
    """Every sheet of ``path`` (see :data:`Sheet`: calamine's values, ``""`` where empty).
    Raises :class:`Refused` past ``max_sheets`` sheets or ``max_cells`` declared cells
    (checked before each sheet's cells are made), :class:`Unreadable` when calamine fails, a
    Rust panic included (pyo3 raises it as a BaseException)."""
    where = None
    try:
        workbook = CalamineWorkbook.from_path(path)
        names = workbook.sheet_names
        if len(names) > max_sheets:
            raise Refused("sheets", len(names))
        sheets, cells = [], 0
        for where in names:
            sheet = workbook.get_sheet_by_name(where)
            cells += sheet.total_height * sheet.total_width
            if cells > max_cells:  # declared: an enormous sheet fails before it fills memory
                raise Refused("cells", where)
            rows = sheet.to_python(skip_empty_area=False)
            sheets.append((where, *_flat(rows), _merges(sheet)))
        return sheets
    except Refused:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise  # the user's, not the file's
    except BaseException as exc:
        raise Unreadable(where, type(exc).__name__, _cut(str(exc))) from exc


MESSAGE_CHARACTERS = 300
"""The most of calamine's message that is kept: it may quote the file (a 200 MB comment made
a one-line error 200 million characters long)."""


def _cut(message: str) -> str:
    if len(message) <= MESSAGE_CHARACTERS:
        return message
    return f"{message[:MESSAGE_CHARACTERS]}... ({len(message):,} characters)"


def _flat(rows: list[list[Any]]) -> tuple[int, int, list[Any]]:
    """Rows, columns and the cells in one list: one flat list pickles in half the time of a
    list per row, and becomes an array without numpy working out its shape. A row shorter
    than the widest is padded with ``None`` (calamine's rows are all one width)."""
    width = max(map(len, rows), default=0)
    if len(set(map(len, rows))) > 1:
        rows = [row + [None] * (width - len(row)) for row in rows]
    return len(rows), width, list(chain.from_iterable(rows))


def _merges(sheet: Any) -> list[Merge]:
    ranges = getattr(sheet, "merged_cell_ranges", None) or []
    return [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges]


def serve(requests: BinaryIO, answers: BinaryIO, ceiling: int) -> None:
    """Answer each request, ``(path, max_sheets, max_cells, memory, max_answer)``, with
    ``("ok", sheets)``, ``("refused", args)`` or ``("unreadable", args)``, until the requests
    end. Each file may add ``memory`` bytes of address space to what this process holds (see
    ``isolation.memory_for``), and the process never has more than ``ceiling``. Values that
    pickle to more than ``max_answer`` bytes are refused (``("values", their bytes)``): the
    process that asked would build them all again."""
    while True:
        try:
            path, max_sheets, max_cells, memory, max_answer = pickle.load(requests)
        except EOFError:
            return
        _limit_memory(min(_in_use() + memory, ceiling), ceiling)
        try:
            answer = _answer(path, max_sheets, max_cells, max_answer)
        finally:
            _limit_memory(ceiling, ceiling)  # (the answer is made: sending it needs little)
        answers.write(answer)
        answers.flush()
        del answer  # not kept while waiting: the app's worker may wait for hours
        if _in_use() > RETURN_ABOVE:
            _return_free_memory()


def _answer(path: str, max_sheets: int, max_cells: int, max_answer: int) -> bytes:
    """The pickled answer to one request (see :func:`serve`)."""
    try:
        sheets = read_sheets(path, max_sheets, max_cells)
        answer = pickle.dumps(("ok", sheets), protocol=pickle.HIGHEST_PROTOCOL)
        del sheets
        if len(answer) > max_answer:
            return _pickled("refused", ("values", len(answer)))
        return answer
    except Refused as exc:
        return _pickled("refused", exc.args)
    except Unreadable as exc:
        return _pickled("unreadable", exc.args)
    except MemoryError:  # (pickling the values: read_sheets raises Unreadable for its own)
        return _pickled("unreadable", (None, "MemoryError", "no memory left to send the values"))


def _pickled(kind: str, args: tuple[Any, ...]) -> bytes:
    return pickle.dumps((kind, args), protocol=pickle.HIGHEST_PROTOCOL)


RETURN_ABOVE = 256 * 1024**2
"""Address space above which the worker hands freed memory back to the system after a file
(C's allocator keeps it otherwise: 6 GB stayed with an idle worker after one large file)."""


def _return_free_memory() -> None:
    """Give the memory freed in the heap back to the system (glibc's ``malloc_trim``; where
    there is no glibc, nothing happens)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _in_use() -> int:
    """Bytes of address space this process holds now (what an earlier, larger file left in
    its heap must not count against the next file); 0 where /proc is not there."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(limit: int, ceiling: int) -> None:
    """Cap the worker's address space at ``limit`` bytes (and for good at ``ceiling``, which
    only a privileged process could raise again), so a file that asks for more fails at once
    instead of pushing the machine into swap (where the kernel does not enforce it, nothing
    changes)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, ceiling))
    except (ImportError, ValueError, OSError):
        pass


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer, ceiling=int(sys.argv[1]))
