"""Verify and extract untrusted zips: nothing lands outside the target folder.

* integrity: the central directory parses and every entry's CRC-32 checks (as it is extracted;
  :func:`verify_zip` does the same without extracting);
* refused entries: absolute paths, drive letters, ``..`` components, symlinks and other
  non-regular files, and any entry the file system will not take (they are listed with the
  reason, never written); the rest of the zip is still extracted;
* clashes renamed deterministically: a second entry of the same name (compared as macOS and
  Windows do: case and Unicode normalisation ignored), or a file where another entry needs a
  folder, becomes ``name~2.ext`` (``~3``...), and a name part longer than the
  file system's 255 bytes is shortened with a hash of the original; each is listed in
  ``renamed``;
* bounded: total uncompressed size, per-entry compression ratio and whole-zip compression
  ratio (so thousands of entries each within their own ratio and slack cannot add up to a
  bomb), counted on the bytes actually written (a lying header cannot get past it);
* streamed: entries are copied in chunks, so memory stays flat whatever the zip's size;
* atomic: extraction goes to a temporary sibling folder renamed into place at the end.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CHUNK = 256 * 1024
PRIVATE_DIR = 0o700  # students' scripts are personal data: readable by their user only
PRIVATE_FILE = 0o600
NAME_MAX = 255  # bytes in one file or folder name, on every common file system
RATIO_SLACK = 16 * 1024**2  # bytes any zip may expand to whatever its ratio (tiny zips)


class UnsafeZip(Exception):
    """The zip is corrupt or breaks a bound; nothing was extracted."""


class ZipContentError(UnsafeZip):
    """The failure is in what the zip holds, not in its transfer: downloading it again will
    give the same zip, so it is not retried."""


class ZipLimitExceeded(ZipContentError):
    """The zip breaks a bound (size, ratio, entry count)."""


@dataclass
class ExtractedFile:
    path: str
    size: int
    sha256: str


@dataclass
class Extraction:
    files: list[ExtractedFile] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    """Entries not written, each as ``name (reason)``."""
    renamed: list[tuple[str, str]] = field(default_factory=list)
    """(name in the zip, name written) of entries renamed to avoid a clash."""


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


def _short_part(part: str) -> str:
    """A name part cut to :data:`NAME_MAX` bytes, keeping its extension and made unique by a
    hash of the whole part."""
    if len(part.encode()) <= NAME_MAX:
        return part
    stem, dot, ext = part.rpartition(".")
    if not dot or len(ext.encode()) > 16:
        stem, ext = part, ""
    tag = "~" + hashlib.sha256(part.encode()).hexdigest()[:12] + (f".{ext}" if ext else "")
    keep = stem.encode()[: NAME_MAX - len(tag.encode())].decode(errors="ignore")
    return keep + tag


def _numbered(name: str, n: int) -> str:
    """``report.pdf`` -> ``report~2.pdf``."""
    folder, _, base = name.rpartition("/")
    stem, dot, ext = base.rpartition(".")
    base = f"{stem}~{n}.{ext}" if dot and stem else f"{base}~{n}"
    return f"{folder}/{base}" if folder else base


def _same_file_key(name: str) -> str:
    """What a case-insensitive, normalisation-insensitive file system (macOS, Windows) sees:
    ``Report.pdf`` and ``report.pdf`` are one file there."""
    return unicodedata.normalize("NFC", name).casefold()


def plan_names(infos: list[zipfile.ZipInfo]) -> tuple[dict[int, str], list[str],
                                                      list[tuple[str, str]]]:
    """Where each entry goes: {entry index: safe relative path}, the refused entries, and the
    renamed ones. Decided from the names alone, before anything is written, so the result is
    the same whatever order the file system would have failed in."""
    wanted: dict[int, str] = {}
    rejected: list[str] = []
    for index, info in enumerate(infos):
        name = _safe_name(info)
        if name is None:
            rejected.append(f"{info.filename} (unsafe path or not a regular file)")
            continue
        wanted[index] = "/".join(_short_part(p) for p in name.split("/"))
    folders = {n for i, n in wanted.items() if infos[i].is_dir()}
    for name in wanted.values():
        folders.update(str(parent) for parent in PurePosixPath(name).parents if str(parent) != ".")
    taken = {_same_file_key(f) for f in folders}
    placed: dict[int, str] = {}
    renamed: list[tuple[str, str]] = []
    for index, name in wanted.items():
        if infos[index].is_dir():
            placed[index] = name
            continue
        final, n = name, 1
        while _same_file_key(final) in taken:
            n += 1
            final = _numbered(name, n)
        taken.add(_same_file_key(final))
        placed[index] = final
        if final != infos[index].filename:
            renamed.append((infos[index].filename, final))
    return placed, rejected, renamed


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
    dest.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    result = Extraction()
    total = 0
    bound = min(max_total, int(Path(zip_path).stat().st_size * max_ratio) + RATIO_SLACK)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
            if len(infos) > max_files:
                raise ZipLimitExceeded(f"{len(infos)} entries (limit {max_files})")
            placed, result.rejected, result.renamed = plan_names(infos)
            for index, name in placed.items():
                info = infos[index]
                try:
                    if info.is_dir():
                        (tmp / name).mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
                        continue
                    target = tmp / name
                    if not target.resolve().is_relative_to(tmp.resolve()):
                        result.rejected.append(f"{info.filename} (outside the folder)")
                        continue
                    target.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
                    limit = max(info.compress_size, 1) * max_ratio + 1024 * 1024
                    size, sha256 = _copy_entry(zf, info, target, limit, bound - total,
                                               max_ratio, bound)
                except (RuntimeError, NotImplementedError) as exc:  # encrypted, odd compression
                    result.rejected.append(f"{info.filename} ({exc})")
                    continue
                except OSError as exc:
                    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
                        raise  # the disk, not the entry: stop and say so
                    result.rejected.append(f"{info.filename} ({exc.strerror or exc})")
                    continue
                total += size
                result.files.append(ExtractedFile(name, size, sha256))
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


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, PRIVATE_FILE)


def _copy_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: float,
                room: int, max_ratio: float, bound: int) -> tuple[int, str]:
    """Stream one entry to ``target`` (which must not exist), counting the bytes written
    against the entry's ratio ``limit`` and the ``room`` left under the zip's ``bound``;
    returns (size, SHA-256)."""
    digest, size = hashlib.sha256(), 0
    with zf.open(info) as src, open(target, "xb", opener=_private) as out:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ZipLimitExceeded(f"entry {info.filename!r} expands more than {max_ratio:g}x")
            if size > room:
                raise ZipLimitExceeded(f"more than {bound} bytes uncompressed (at most "
                                       f"{max_ratio:g}x the zip's size, and the total bound)")
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()
