"""Hostile inputs, generated at test time, and the real CLI to throw them at.

Each input is what a careless or malicious sender could hand a user: a tiny workbook that
declares a sheet of 17 billion cells, an .ods zip bomb, a CSV with one enormous field or in a
legacy encoding, a marks file that is empty or corrupt. The CLI runs in a real subprocess (with
its address space capped, so a regression fails the test instead of the machine), and every
test checks the three promises: one clear line naming the file, a non-zero exit, and nothing
good lost or overwritten.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

GAFFERTAPE = str(Path(sys.executable).with_name("gaffertape"))
MEMORY_CAP = 3 * 1024**3  # bytes of address space a hostile run may take before it is killed


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        """The ``error:`` lines on stderr (each must be one line naming the file)."""
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def gaffertape(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """The real CLI in a subprocess: wide console, no inherited workspace, memory capped."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("GAFFERTAPE_")}
    full.update({"COLUMNS": "250", "HOME": str(cwd), **(env or {})})
    done = subprocess.run([GAFFERTAPE, *args], cwd=cwd, env=full, capture_output=True, text=True,
                          timeout=300, preexec_fn=_cap_memory, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture(autouse=True)
def _no_inherited_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GAFFERTAPE_WORKSPACE", raising=False)


def good_xlsx(path: Path) -> Path:
    """A small, ordinary table: 2 years x 3 regions, 6 observations."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["Students by region"])
    sheet.append([])
    sheet.append(["Region", 2019, 2020])
    for region, a, b in [("North", 1, 2), ("South", 3, 4), ("East", 5, 6)]:
        sheet.append([region, a, b])
    book.save(path)
    return path


def far_cell_xlsx(path: Path) -> Path:
    """The 4.8 KB bomb: one value at ``XFD1048576`` makes a 17-billion-cell sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Far away"
    sheet["A1"] = "x"
    sheet["B2"] = 1
    sheet["XFD1048576"] = 1
    book.save(path)
    return path


def ods_bomb(path: Path, inflated: int = 64 * 1024**2) -> Path:
    """An .ods whose content.xml inflates ``inflated`` bytes from well under 1% of that."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0">')
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        with archive.open("content.xml", "w", force_zip64=True) as member:
            member.write(head)
            block = b" " * (1024 * 1024)
            for _ in range(inflated // len(block)):
                member.write(block)
    return path


_REPEATED_CELLS = {
    "before": b'<table:table-cell table:number-columns-repeated="1000" office:value-type="float" '
              b'office:value="1"><text:p>1</text:p></table:table-cell>',
    # the same repeat written after the value type, on a self-closing cell
    "after": b'<table:table-cell office:value-type="float" office:value="1" '
             b'table:number-columns-repeated="1000"/>',
}


def ods_repeat_bomb(path: Path, repeat: str = "before") -> Path:
    """A 1 KB .ods whose one cell, repeated, fills 100,000 rows x 1,000 columns (its column
    repeat written ``before`` or ``after`` its value type)."""
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        b'<office:body><office:spreadsheet><table:table table:name="Repeated">'
        b'<table:table-row table:number-rows-repeated="100000">' + _REPEATED_CELLS[repeat]
        + b"</table:table-row></table:table>"
        b"</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", _MANIFEST)  # calamine needs it to read on
    return path


_MANIFEST = (b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
             b'"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
             b'manifest:full-path="/" manifest:media-type='
             b'"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
             b'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
             b"</manifest:manifest>")


def unreferenced_cells_xlsx(path: Path) -> Path:
    """A 700 KB .xlsx whose cells carry no ``r`` reference (the format allows it: each cell
    goes right of the one before): one row of 16,384 cells over 100,000 rows of one cell
    makes calamine allocate a 1.6-billion-cell sheet. The values are varied so the zip
    compresses no better than a real sheet's (a zip-bomb ratio would stop it sooner)."""
    far_cell_xlsx(path)  # an ordinary workbook, whose one sheet is replaced
    numbers = random.Random(7)
    rows = [b"<row>" + b"<c><v>1</v></c>" * 16_384 + b"</row>"]
    rows += [b"<row><c><v>%d</v></c></row>" % numbers.randrange(10**9) for _ in range(100_000)]
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
             b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + b"".join(rows)
             + b"</sheetData></worksheet>")
    return with_members(path, {"xl/worksheets/sheet1.xml": sheet})


def with_members(path: Path, replaced: dict[str, bytes]) -> Path:
    """``path`` (a zip) rewritten with the members ``replaced`` (new ones added)."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (members | replaced).items():
            archive.writestr(name, data)
    return path
