"""Content-addressed blob storage (e.g. normalised applicant photos).

A blob's key is the lowercase hex SHA-256 of its bytes, so ``put`` is idempotent and
a key can be stored in the database before or after the blob is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["BlobNotFound", "BlobStore", "FileBlobStore", "InvalidBlobKey"]

_KEY_RE = re.compile(r"[0-9a-f]{64}")
_DIR_MODE = 0o700
_TMP_PREFIX = ".tmp-"


class BlobNotFound(LookupError):
    """No blob is stored under ``key``."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class InvalidBlobKey(ValueError):
    """The key is not 64 lowercase hex characters (a SHA-256 digest)."""


@runtime_checkable
class BlobStore(Protocol):
    """Storage of immutable blobs addressed by the SHA-256 of their content."""

    async def put(self, data: bytes) -> str:
        """Store ``data``; return its key (SHA-256 hex). Idempotent."""
        ...

    async def get(self, key: str) -> bytes:
        """Return the blob stored under ``key``; raise :class:`BlobNotFound` if absent."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""
        ...

    async def put_file(self, source: Path) -> str:
        """Store a file's content without reading it into memory; return its key."""
        ...

    def local_path(self, key: str) -> Path:
        """A path where the blob can be read as a file (large uploads are streamed)."""
        ...


class FileBlobStore:
    """:class:`BlobStore` on the local file system: ``root/ab/cd/<sha256>``.

    Writes are atomic (temporary file in the target directory, ``fsync``,
    ``os.replace``, directory ``fsync``), so a reader never sees a partial blob.
    Files are created with mode 0o600 and directories with 0o700.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FileBlobStore({str(self.root)!r})"

    async def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 hex key (no-op if already stored)."""
        return await asyncio.to_thread(self._put_sync, bytes(data))

    async def get(self, key: str) -> bytes:
        """Return the blob for ``key``; raise :class:`BlobNotFound` or :class:`InvalidBlobKey`."""
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key`` (raises :class:`InvalidBlobKey`)."""
        return await asyncio.to_thread(self._path(key).is_file)

    async def put_file(self, source: Path) -> str:
        """Store a file's content (streamed: hashed while copied); return its key."""
        return await asyncio.to_thread(self._put_file_sync, Path(source))

    def local_path(self, key: str) -> Path:
        """The blob's file (raises :class:`BlobNotFound` when absent)."""
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(key)
        return path

    def _put_file_sync(self, source: Path) -> str:
        _make_dirs(self.root)
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=self.root)  # mode 0o600
        try:
            with os.fdopen(fd, "wb") as tmp, source.open("rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            key = digest.hexdigest()
            path = self._path(key)
            if path.is_file():
                os.unlink(tmp_name)
                return key
            created = _make_dirs(path.parent)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(path.parent)
        for new_dir in created:
            _fsync_dir(new_dir.parent)
        return key

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or _KEY_RE.fullmatch(key) is None:
            raise InvalidBlobKey("blob key must be 64 lowercase hex characters")
        return self.root / key[0:2] / key[2:4] / key

    def _put_sync(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if path.is_file():
            return key
        directory = path.parent
        created = _make_dirs(directory)
        fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=directory)  # mode 0o600
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(directory)
        for new_dir in created:
            _fsync_dir(new_dir.parent)
        return key


def _make_dirs(directory: Path) -> list[Path]:
    """Create ``directory`` and missing parents with mode 0o700; return those created."""
    missing: list[Path] = []
    current = directory
    while not current.is_dir():
        missing.append(current)
        current = current.parent
    created: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir(mode=_DIR_MODE)
        except FileExistsError:
            continue  # concurrent put of a blob in the same directory
        created.append(path)
    return created


def _fsync_dir(directory: Path) -> None:
    """Persist directory entries (renames, new files); best effort where unsupported."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
