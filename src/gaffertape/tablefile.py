"""Reading a small table a user hands over (marks, third marks, a list of PIs), whatever it is.

A marker's CSV may be empty, saved in Latin-1 or UTF-16 by Excel, or be a spreadsheet with
another suffix; every such problem is one :class:`UserError` naming the file and saying what to
do, never an ``unexpected UnicodeDecodeError`` without a name.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from gaffertape.errors import UserError

TABLE_SUFFIXES = {".csv", ".xlsx", ".xlsm"}
MAX_CELLS = 10_000_000  # far over any marks, PIs or student-records table


def read_excel(path: Path, **options: object) -> pd.DataFrame:
    """``pd.read_excel`` with calamine, after the sheets reader's own guard on the zip: calamine
    allocates a sheet's whole declared extent, so a 4.8 KB file with one cell at XFD1048576
    (17 billion cells) aborted the process (Rust out-of-memory, SIGABRT) before any check of
    ours ran (an .xls, which calamine reads whole as it opens it, aborted it the same way).
    Raises :class:`UserError` naming the file (and sheet) for such a file."""
    from gaffertape.sheets.bounds import check_workbook  # one guard for every calamine read
    from gaffertape.sheets.readers import read_grids

    if path.suffix.lower() == ".xls":  # no guard reads an .xls: the sheets reader reads it in
        read_grids(path)  # a worker process, which a hostile file can abort (see isolation)
    check_workbook(path, path.suffix.lower(), MAX_CELLS)
    try:
        return pd.read_excel(path, engine="calamine", **options)
    except BaseException as exc:
        if not is_reader_panic(exc):
            raise
        raise UserError(f"{path}: cannot read: the spreadsheet reader failed on it "
                        f"({type(exc).__name__}: {exc})",
                        hint="the file may be corrupt: open it and save it again") from exc


def is_reader_panic(exc: BaseException) -> bool:
    """Is ``exc`` a Rust panic in python-calamine? pyo3 raises it as ``PanicException``, a
    BaseException (so ``except Exception`` lets it end the run) that it does not export."""
    return type(exc).__name__ == "PanicException"


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(path: Path, raw: bytes) -> str:
    """The text of a file in whatever encoding it was saved in: its byte-order mark, else UTF-8,
    else what charset-normalizer finds (Latin-1, Windows-1252, UTF-16 without a BOM, ...).

    Nothing is ever decoded with replacement characters: a file no encoding fits is refused.
    A byte-order mark saved twice (a file re-saved by a tool that adds one) is dropped too: a
    leading U+FEFF is never content, and it would stick to the first cell ("\ufeffTitle:").
    """
    encoding = next((name for bom, name in _BOMS if raw.startswith(bom)), None)
    if encoding is None:
        try:
            return raw.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError:
            encoding = _detect_encoding(raw)
    if encoding is not None:
        try:
            return raw.decode(encoding).lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError):
            pass
    raise UserError(f"{path}: cannot tell its text encoding (not UTF-8, UTF-16 or a legacy "
                    "code page charset-normalizer recognises)",
                    hint="save it again as CSV UTF-8")


PREFERRED_LEGACY = "cp1252"
"""Windows-1252: what Excel's "CSV" on a Windows PC in the UK (and most of Western Europe)
saves. A short file often fits several code pages equally well (``Ångström`` is valid
Windows-1250 too, as ``Ĺngström``); then this one is taken."""


def _detect_encoding(raw: bytes) -> str | None:
    from charset_normalizer import from_bytes

    matches = from_bytes(raw)  # it samples the bytes itself, so this is fast on any size
    best = matches.best()
    if best is None:
        return None
    if any(m.chaos <= best.chaos and PREFERRED_LEGACY in m.could_be_from_charset
           for m in matches):
        return PREFERRED_LEGACY
    return best.encoding



def read_table(path: Path | str, *, what: str = "table") -> pd.DataFrame:
    """A CSV (any encoding, delimiter sniffed) or XLSX sheet as text cells, header on row 1.

    ``what`` names the file in messages ("marks", "third marks"). Empty cells are ``""``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UserError(f"{path}: no such {what} file", hint="check the path")
    if suffix not in TABLE_SUFFIXES:
        raise UserError(f"{path}: unsupported file type {suffix!r} for {what}",
                        hint="use .csv or .xlsx")
    if path.stat().st_size == 0:
        raise UserError(f"{path}: the {what} file is empty", hint="check you picked the right file")
    reader = _read_xlsx if suffix in {".xlsx", ".xlsm"} else _read_csv
    frame = reader(path, what)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_xlsx(path: Path, what: str) -> pd.DataFrame:
    try:
        return read_excel(path, dtype=str, keep_default_na=False)
    except UserError:
        raise
    except Exception as exc:  # calamine's errors have no common base class worth naming
        raise UserError(f"{path}: cannot read the {what} file: {type(exc).__name__}: {exc}",
                        hint="open it in a spreadsheet and save it again as .xlsx or .csv"
                        ) from exc


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    text = decode_text(path, path.read_bytes())
    if not text.strip():
        raise UserError(f"{path}: the {what} file is empty", hint="check you picked the right file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], ",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise UserError(f"{path}: cannot read the {what} file as CSV: {exc}",
                        hint="check the quoting and the number of columns on that line") from exc
