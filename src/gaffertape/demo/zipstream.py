"""Submission zips, generated lazily and streamed: exact size up front, bytes from the seed.

Entries are stored (no compression) and use a data descriptor for the CRC, so the zip's total
size is known before a single content byte is made (the server sends ``Content-Length``), and
the content is produced in fixed chunks as it is sent: a 500 MB zip never sits in memory or on
disk. The same generator also yields the SHA-256 of each file and of the whole zip, so digests
cost nothing extra when a zip is streamed, and can be computed eagerly for small demos.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from gaffertape.demo.data import FileSpec

CHUNK = 256 * 1024
LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
DESCRIPTOR = struct.Struct("<IIII")
CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
END_RECORD = struct.Struct("<IHHHHIIH")
FLAGS = 0x0008 | 0x0800  # sizes/CRC in a data descriptor; names are UTF-8
UNIX_FILE, UNIX_LINK = 0o100644, 0o120777

# extension -> (leading bytes, trailing bytes, is text): enough to look like the real format.
FORMATS: dict[str, tuple[bytes, bytes, bool]] = {
    ".pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n", False),
    ".docx": (b"PK\x03\x04\x14\x00\x06\x00", b"", False),
    ".ipynb": (
        b'{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["',
        b'"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n',
        True,
    ),
    ".png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\x00\x00\x00\x00IEND\xaeB`\x82", False),
    ".jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"\xff\xd9", False),
}
EVIL_ENTRIES: tuple[tuple[str, bytes, bool], ...] = (  # (name, content, is a symlink)
    ("../../evil.txt", b"written outside the download folder\n", False),
    ("/etc/evil", b"an absolute path\n", False),
    ("evil_link", b"/etc/passwd", True),
)


@dataclass(frozen=True)
class Entry:
    """One zip member: generated from ``spec`` or, for the evil extras, a literal payload."""

    name: str
    size: int
    when: datetime
    spec: FileSpec | None = None
    payload: bytes = b""
    link: bool = False

    def chunks(self) -> Iterator[bytes]:
        """The member's bytes, in chunks of at most :data:`CHUNK`."""
        if self.spec is None:
            yield self.payload
        else:
            yield from file_chunks(self.spec)


@dataclass(frozen=True)
class Digests:
    """SHA-256 of each member (by name) and of the whole zip, known once fully streamed."""

    files: dict[str, str]
    zip: str


def entries(files: tuple[FileSpec, ...], evil: bool) -> list[Entry]:
    """The members of a student's zip: their files, then the evil extras if they got an evil zip."""
    members = [Entry(spec.name, spec.size, spec.submitted, spec=spec) for spec in files]
    if evil and files:
        when = files[0].submitted
        members += [Entry(n, len(b), when, payload=b, link=ln) for n, b, ln in EVIL_ENTRIES]
    return members


def zip_size(members: list[Entry]) -> int:
    """The exact byte size of the zip :func:`stream` will produce."""
    per_member = LOCAL_HEADER.size + DESCRIPTOR.size + CENTRAL_HEADER.size
    names = sum(2 * len(m.name.encode()) for m in members)
    return len(members) * per_member + names + sum(m.size for m in members) + END_RECORD.size


def file_chunks(spec: FileSpec) -> Iterator[bytes]:
    """A file's deterministic bytes: a format-like header, seeded filler, a format-like trailer."""
    head, tail, text = FORMATS[spec.name[spec.name.rindex("."):]]
    rng = random.Random(spec.key)
    yield head
    remaining = spec.size - len(head) - len(tail)
    while remaining > 0:
        n = min(CHUNK, remaining)
        yield rng.randbytes((n + 1) // 2).hex()[:n].encode() if text else rng.randbytes(n)
        remaining -= n
    yield tail


def stream(members: list[Entry], on_complete: Callable[[Digests], None]) -> Iterator[bytes]:
    """Yield the zip's bytes; once the last byte is out, report the digests to ``on_complete``."""
    whole, files, central = hashlib.sha256(), {}, []
    offset = 0

    def emit(piece: bytes) -> bytes:
        nonlocal offset
        whole.update(piece)
        offset += len(piece)
        return piece

    for member in members:
        name, start = member.name.encode(), offset
        yield emit(LOCAL_HEADER.pack(0x04034B50, 20, FLAGS, 0, *_dos(member.when), 0, 0, 0,
                                     len(name), 0) + name)
        crc, digest = 0, hashlib.sha256()
        for piece in member.chunks():
            crc = zlib.crc32(piece, crc)
            digest.update(piece)
            yield emit(piece)
        yield emit(DESCRIPTOR.pack(0x08074B50, crc, member.size, member.size))
        files[member.name] = digest.hexdigest()
        central.append(_central_record(member, name, crc, start))
    directory = b"".join(central)
    yield emit(directory + END_RECORD.pack(
        0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0))
    on_complete(Digests(files=files, zip=whole.hexdigest()))


def _central_record(member: Entry, name: bytes, crc: int, offset: int) -> bytes:
    """A central-directory record; Unix attributes so a symlink entry really is a symlink."""
    mode = UNIX_LINK if member.link else UNIX_FILE
    return CENTRAL_HEADER.pack(
        0x02014B50, (3 << 8) | 20, 20, FLAGS, 0, *_dos(member.when), crc, member.size,
        member.size, len(name), 0, 0, 0, 0, mode << 16, offset,
    ) + name


def _dos(when: datetime) -> tuple[int, int]:
    """MS-DOS (time, date) fields, the only timestamps a plain zip carries."""
    time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    date = ((when.year - 1980) << 9) | (when.month << 5) | when.day
    return time, date
