"""The ZIP of photos that accompanies a collection file.

Photos are found by ID number (entries named ``<ID>.jpg|.jpeg|.png``, any case, in any
folder) or by the name given in the file's photo column (full path or base name). Names are
indexed when the archive is opened (only the central directory is read); an entry is read
when it is asked for, with guards against oversized and highly compressed (bomb) entries.

Archives made on Chinese Windows store names in GBK without the UTF-8 flag; Python decodes
those as CP437, so such names are re-encoded to their bytes and decoded as UTF-8 (macOS
writes UTF-8 without the flag) or else GB18030.

The bytes returned are untrusted: pass them to :func:`schema.photos.normalize_photo`.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Self

from schema.collection.files import FileRefused

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_PHOTO_BYTES",
    "PhotoArchive",
    "PhotoEntryRefused",
]

MAX_PHOTO_BYTES = 5 * 1024 * 1024
"""Largest declared uncompressed size of an entry that is read."""
MAX_COMPRESSION_RATIO = 100
"""Largest uncompressed/compressed size ratio of an entry that is read (JPEG/PNG barely compress)."""
_PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
_UTF8_FLAG = 0x800


class PhotoEntryRefused(Exception):
    """One entry of the archive is not read; the rest of the archive stays usable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _entry_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:  # pragma: no cover - zipfile decoded it with another codec
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _clean_path(name: str) -> str:
    path = name.replace("\\", "/").strip()
    while path.startswith(("./", "/")):
        path = path.removeprefix("./").removeprefix("/")
    return path


def _is_junk(path: str) -> bool:
    """macOS resource forks and metadata folders."""
    base = posixpath.basename(path)
    return path.startswith("__MACOSX/") or "/__MACOSX/" in path or base.startswith("._")


class PhotoArchive:
    """An opened photo ZIP. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._zip = archive
        self._by_path: dict[str, zipfile.ZipInfo] = {}
        self._by_path_folded: dict[str, list[zipfile.ZipInfo]] = {}
        self._by_base: dict[str, list[zipfile.ZipInfo]] = {}
        self._by_stem: dict[str, list[zipfile.ZipInfo]] = {}
        self._names: dict[zipfile.ZipInfo, str] = {}
        self._index(archive.infolist())

    @classmethod
    def open(cls, path: Path) -> PhotoArchive:
        """Open the archive and index its names, or refuse it (PHOTO_ARCHIVE_INVALID)."""
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
            raise FileRefused(
                "PHOTO_ARCHIVE_INVALID", "照片压缩包不是有效的ZIP文件，请重新压缩后上传"
            ) from exc
        try:
            return cls(archive)
        except BaseException:
            archive.close()
            raise

    def _index(self, infos: Iterable[zipfile.ZipInfo]) -> None:
        for info in infos:
            if info.is_dir():
                continue
            path = _clean_path(_entry_name(info))
            if not path or _is_junk(path):
                continue
            self._names[info] = path
            self._by_path.setdefault(path, info)
            self._by_path_folded.setdefault(path.casefold(), []).append(info)
            base = posixpath.basename(path)
            self._by_base.setdefault(base.casefold(), []).append(info)
            stem, suffix = posixpath.splitext(base)
            if suffix.casefold() in _PHOTO_SUFFIXES:
                self._by_stem.setdefault(stem.strip().upper(), []).append(info)

    @property
    def id_numbers(self) -> frozenset[str]:
        """Upper-cased stems of the photo entries (ID numbers when named as expected)."""
        return frozenset(self._by_stem)

    def by_id_number(self, id18: str) -> bytes | None:
        """The photo named ``<id18>.jpg|.jpeg|.png``, or None when there is none."""
        return self._read_unique(self._by_stem.get(id18.strip().upper(), []))

    def by_entry(self, name: str) -> bytes | None:
        """The entry a photo column names: its full path, else its base name (any case)."""
        path = _clean_path(name)
        if not path:
            return None
        exact = self._by_path.get(path)
        if exact is not None:
            return self._read(exact)
        for candidates in (
            self._by_path_folded.get(path.casefold()),
            self._by_base.get(posixpath.basename(path).casefold()),
        ):
            if candidates:
                return self._read_unique(candidates)
        return None

    def _read_unique(self, candidates: list[zipfile.ZipInfo]) -> bytes | None:
        if not candidates:
            return None
        if len(candidates) > 1:
            names = "、".join(self._names[info] for info in candidates[:5])
            raise PhotoEntryRefused(
                "PHOTO_AMBIGUOUS", f"压缩包中有多个同名照片文件（{names}），无法确定使用哪一个"
            )
        return self._read(candidates[0])

    def _read(self, info: zipfile.ZipInfo) -> bytes:
        name = self._names[info]
        if info.file_size > MAX_PHOTO_BYTES:
            raise PhotoEntryRefused(
                "PHOTO_TOO_LARGE", f"照片文件超过{MAX_PHOTO_BYTES >> 20}MB，未读取：{name}"
            )
        if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise PhotoEntryRefused(
                "PHOTO_COMPRESSION_SUSPICIOUS", f"照片文件的压缩比异常，未读取：{name}"
            )
        try:
            with self._zip.open(info) as entry:
                data = entry.read(MAX_PHOTO_BYTES + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
            # RuntimeError: encrypted entry; NotImplementedError: unsupported compression.
            raise PhotoEntryRefused(
                "PHOTO_ENTRY_UNREADABLE", f"照片文件已加密或已损坏，无法读取：{name}"
            ) from exc
        if len(data) > MAX_PHOTO_BYTES:  # pragma: no cover - zipfile stops at the declared size
            raise PhotoEntryRefused(
                "PHOTO_TOO_LARGE", f"照片文件超过{MAX_PHOTO_BYTES >> 20}MB，未读取：{name}"
            )
        return data

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
