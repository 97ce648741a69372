"""Verify and extract untrusted zips: nothing lands outside the target folder.

* integrity: the central directory parses and every entry's CRC-32 checks (as it is extracted;
  :func:`verify_zip` does the same without extracting);
* refused entries: absolute paths, drive letters, ``..`` components, symlinks and other
  non-regular files (they are listed, never written);
* bounded: total uncompressed size and per-entry compression ratio, counted on the bytes
  actually written (a lying header cannot get past it);
* streamed: entries are copied in chunks, so memory stays flat whatever the zip's size;
* atomic: extraction goes to a temporary sibling folder renamed into place at the end.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CHUNK = 256 * 1024


class UnsafeZip(Exception):
    """The zip is corrupt or breaks a bound; nothing was extracted."""


class ZipLimitExceeded(UnsafeZip):
    """The zip breaks a bound (size, ratio, entry count): downloading it again will not help."""


@dataclass
class ExtractedFile:
    path: str
    size: int
    sha256: str


@dataclass
class Extraction:
    files: list[ExtractedFile] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def verify_zip(path: Path) -> None:
    """Raise :class:`UnsafeZip` unless the zip opens and every entry's CRC is right."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise UnsafeZip(f"not a valid zip: {exc}") from exc
    if bad is not None:
        raise UnsafeZip(f"CRC error in entry {bad!r}")


def _safe_name(info: zipfile.ZipInfo) -> str | None:
    """The entry's relative POSIX path, or None if it must be refused."""
    name = info.filename.replace("\\", "/")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):  # symlinks, devices, fifos
        return None
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = PurePosixPath(name).parts
    if not parts or any(p in ("..", "") for p in parts) or "\x00" in name:
        return None
    return "/".join(p for p in parts if p != ".")


def safe_extract(
    zip_path: Path,
    dest: Path,
    *,
    max_total: int = 8 * 1024**3,
    max_ratio: float = 200.0,
    max_files: int = 10_000,
) -> Extraction:
    """Extract ``zip_path`` into ``dest`` (replaced atomically); see the module docstring."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    result = Extraction()
    total = 0
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
            if len(infos) > max_files:
                raise ZipLimitExceeded(f"{len(infos)} entries (limit {max_files})")
            for info in infos:
                name = _safe_name(info)
                if name is None:
                    result.rejected.append(info.filename)
                    continue
                if info.is_dir():
                    (tmp / name).mkdir(parents=True, exist_ok=True)
                    continue
                target = (tmp / name).resolve()
                if not target.is_relative_to(tmp.resolve()):
                    result.rejected.append(info.filename)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                limit = max(info.compress_size, 1) * max_ratio + 1024 * 1024
                digest, size = hashlib.sha256(), 0
                with zf.open(info) as src, open(target, "xb") as out:
                    while chunk := src.read(CHUNK):
                        size += len(chunk)
                        total += len(chunk)
                        if size > limit:
                            raise ZipLimitExceeded(
                                f"entry {name!r} expands more than {max_ratio:g}x"
                            )
                        if total > max_total:
                            raise ZipLimitExceeded(f"more than {max_total} bytes uncompressed")
                        digest.update(chunk)
                        out.write(chunk)
                result.files.append(ExtractedFile(name, size, digest.hexdigest()))
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UnsafeZip(f"cannot extract: {exc}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result
