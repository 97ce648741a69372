import io
import stat
import zipfile
from pathlib import Path

import pytest

from gaffertape.sites.safezip import UnsafeZip, safe_extract, verify_zip


def _zip(
    path: Path, entries: list[tuple[str, bytes, int | None]], *, deflate: bool = False
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            if deflate:
                info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def test_malicious_zip_extracts_nothing_outside(tmp_path: Path) -> None:
    zpath = _zip(
        tmp_path / "evil.zip",
        [
            ("report.pdf", b"ok", None),
            ("../../evil.txt", b"x", None),
            ("/etc/evil", b"x", None),
            ("sub/../../evil2.txt", b"x", None),
            ("C:/evil3.txt", b"x", None),
            ("evil_link", b"/etc/passwd", stat.S_IFLNK | 0o777),
            ("dir/notes.txt", b"fine", None),
        ],
    )
    dest = tmp_path / "root" / "scripts" / "A1234567"
    before = {p for p in tmp_path.rglob("*")}
    result = safe_extract(zpath, dest)
    created = {p for p in tmp_path.rglob("*")} - before
    assert all(p == dest or dest in p.parents or p in dest.parents for p in created), created
    assert sorted(f.path for f in result.files) == ["dir/notes.txt", "report.pdf"]
    assert len(result.rejected) == 5
    assert not (dest / "evil_link").exists()
    assert not any(p.is_symlink() for p in dest.rglob("*"))


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    zpath = _zip(tmp_path / "bomb.zip", [("big.txt", b"\0" * 5_000_000, None)], deflate=True)
    with pytest.raises(UnsafeZip, match="expands"):
        safe_extract(zpath, tmp_path / "out", max_ratio=10)
    assert not (tmp_path / "out").exists()
    with pytest.raises(UnsafeZip, match="uncompressed"):
        safe_extract(zpath, tmp_path / "out", max_total=1000)


def test_corrupt_zip_fails_verification(tmp_path: Path) -> None:
    zpath = _zip(tmp_path / "a.zip", [("a.txt", b"hello world" * 100, None)])
    data = bytearray(zpath.read_bytes())
    data[60] ^= 0xFF  # inside the stored data: the CRC no longer matches
    zpath.write_bytes(bytes(data))
    with pytest.raises(UnsafeZip):
        verify_zip(zpath)
    (tmp_path / "b.zip").write_bytes(bytes(data[:50]))
    with pytest.raises(UnsafeZip):
        verify_zip(tmp_path / "b.zip")
    assert io  # keep import used


def test_reextract_replaces_atomically(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    safe_extract(_zip(tmp_path / "1.zip", [("old.txt", b"1", None)]), dest)
    safe_extract(_zip(tmp_path / "2.zip", [("new.txt", b"2", None)]), dest)
    assert [p.name for p in dest.iterdir()] == ["new.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
