"""Content-addressed blob storage (e.g. normalised applicant photos).

A blob's key is the lowercase hex SHA-256 of its bytes, so ``put`` is idempotent and
a key can be stored in the database before or after the blob is written.

A write the file system refuses (disk full, read-only mount, permissions) is raised as a
:class:`StorageError` — a domain error with a Chinese message and a stable code
(``STORAGE_FULL``, ``STORAGE_UNAVAILABLE``) — after the partial file is removed, so the use
case's transaction rolls back and the user is told what happened instead of 服务器内部错误.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import os
import re
import secrets
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from schema.errors import DomainError

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "FileBlobStore",
    "InvalidBlobKey",
    "StorageError",
    "StorageFull",
    "StorageUnavailable",
    "check_data_dir",
    "storage_error",
]

_log = logging.getLogger("ecert.storage")
_T = TypeVar("_T")
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

_KEY_RE = re.compile(r"[0-9a-f]{64}")
# Blobs up to this size are read on the event loop (one small read costs less than a
# thread hand-off) and kept in the in-process read cache; larger ones go through a thread.
SMALL_BLOB_BYTES = 64 * 1024
# The read cache's bound: a QR image pair is about 10 KB, so about 800 certificates.
DEFAULT_CACHE_BYTES = 8 * 1024 * 1024
_DIR_MODE = 0o700
_TMP_PREFIX = ".tmp-"


class BlobNotFound(LookupError):
    """No blob is stored under ``key``."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class InvalidBlobKey(ValueError):
    """The key is not 64 lowercase hex characters (a SHA-256 digest)."""


class StorageError(DomainError):
    """The server could not store a file (photo, QR image, collection file)."""

    default_code = "STORAGE_UNAVAILABLE"
    default_message = "服务器存储暂不可写，请联系管理员"

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail  # for logs and the command line, never shown to users


class StorageFull(StorageError):
    """No space left (or a quota reached) where files are kept."""

    default_code = "STORAGE_FULL"
    default_message = "服务器存储空间不足，请稍后再试"


class StorageUnavailable(StorageError):
    """The storage refuses writes: read-only file system, permissions, not a directory."""

    default_code = "STORAGE_UNAVAILABLE"
    default_message = "服务器存储暂不可写，请联系管理员"


def storage_error(exc: OSError, where: Path | str) -> StorageError:
    """The OS error of a write under ``where`` as the domain error users see."""
    detail = f"{where}: {exc.strerror or exc}"
    if exc.errno in _FULL_ERRNOS:
        return StorageFull(detail=detail)
    return StorageUnavailable(detail=detail)


def _storing(where: Path, write: Callable[[], _T]) -> _T:
    try:
        return write()
    except OSError as exc:
        error = storage_error(exc, where)
        _log.error(
            "blob write failed",
            extra={"code": error.code, "errno": exc.errno, "detail": error.detail},
        )
        raise error from None


def _read_blob(path: Path, key: str) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise BlobNotFound(key) from None
    except OSError as exc:  # unreadable storage (permissions, I/O error)
        _log.error("blob read failed", extra={"errno": exc.errno, "detail": str(path)})
        raise StorageUnavailable(
            "服务器存储暂不可用，请联系管理员", detail=f"{path}: {exc.strerror}"
        ) from None


def _read_small_blob(path: Path, key: str) -> bytes | None:
    """The blob's bytes when it is at most :data:`SMALL_BLOB_BYTES` (read on the calling
    thread), else None; raises as :func:`_read_blob` does."""
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_size > SMALL_BLOB_BYTES:
                return None
            return file.read()
    except (FileNotFoundError, NotADirectoryError):
        raise BlobNotFound(key) from None
    except OSError:
        return None  # let the threaded read report it with its log line


class _BlobCache:
    """Least-recently-used blobs up to ``limit`` bytes in all, each at most
    :data:`SMALL_BLOB_BYTES` (larger ones would push out many QR images and photos)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        data = self._items.get(key)
        if data is not None:
            self._items.move_to_end(key)
        return data

    def add(self, key: str, data: bytes) -> None:
        if len(data) > min(SMALL_BLOB_BYTES, self._limit) or key in self._items:
            return
        self._items[key] = data
        self._size += len(data)
        while self._size > self._limit:
            _, evicted = self._items.popitem(last=False)
            self._size -= len(evicted)


def check_data_dir(path: Path) -> None:
    """The data directory exists (created if missing) and a file can be written and removed
    in it; else :class:`StorageError` whose ``detail`` says why in one line."""
    if path.exists() and not path.is_dir():
        raise StorageUnavailable(detail=f"{path} is not a directory")
    probe = path / f".probe-{secrets.token_hex(8)}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        with contextlib.suppress(OSError):
            probe.unlink()
        raise storage_error(exc, path) from None


@runtime_checkable
class BlobStore(Protocol):
    """Storage of immutable blobs addressed by the SHA-256 of their content."""

    async def put(self, data: bytes) -> str:
        """Store ``data``; return its key (SHA-256 hex). Idempotent."""
        ...

    async def get(self, key: str) -> bytes:
        """Return the blob stored under ``key``; raise :class:`BlobNotFound` if absent."""
        ...

    async def get_cached(self, key: str) -> bytes:
        """As :meth:`get`, possibly from an in-process copy: only for blobs that may be
        served after their file is gone (QR images, derived from the database)."""
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

    async def check_writable(self) -> None:
        """Raise :class:`StorageError` unless a blob could be written now (readiness)."""
        ...


class FileBlobStore:
    """:class:`BlobStore` on the local file system: ``root/ab/cd/<sha256>``.

    Writes are atomic (temporary file in the target directory, ``fsync``,
    ``os.replace``, directory ``fsync``), so a reader never sees a partial blob.
    Files are created with mode 0o600 and directories with 0o700.
    """

    def __init__(self, root: Path | str, *, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.root = Path(root)
        self._cache = _BlobCache(cache_bytes)

    def __repr__(self) -> str:
        return f"FileBlobStore({str(self.root)!r})"

    async def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 hex key (no-op if already stored)."""
        data = bytes(data)
        return await asyncio.to_thread(_storing, self.root, lambda: self._put_sync(data))

    async def get(self, key: str) -> bytes:
        """Return the blob for ``key``; raise :class:`BlobNotFound` or :class:`InvalidBlobKey`.
        A small blob is read on the event loop (cheaper than a thread hand-off)."""
        path = self._path(key)
        data = _read_small_blob(path, key)
        if data is None:
            data = await asyncio.to_thread(_read_blob, path, key)
        return data

    async def get_cached(self, key: str) -> bytes:
        """As :meth:`get`, through a bounded in-process LRU cache of small blobs. A key names
        its content, so a cached copy is never stale; but it is still served after its file
        is removed, so only derived blobs (QR images) are read this way -- a removed photo
        must be gone at once."""
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        data = await self.get(key)
        self._cache.add(key, data)
        return data

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key`` (raises :class:`InvalidBlobKey`)."""
        return await asyncio.to_thread(self._path(key).is_file)

    async def put_file(self, source: Path) -> str:
        """Store a file's content (streamed: hashed while copied); return its key."""
        source = Path(source)
        return await asyncio.to_thread(_storing, self.root, lambda: self._put_file_sync(source))

    async def check_writable(self) -> None:
        """Write and remove a probe file under the root (readiness); raise StorageError."""
        await asyncio.to_thread(check_data_dir, self.root)

    def local_path(self, key: str) -> Path:
        """The blob's file (raises :class:`BlobNotFound` when absent)."""
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(key)
        return path

    def _put_file_sync(self, source: Path) -> str:
        root_created = _make_dirs(self.root)
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
            _remove_empty(root_created)
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
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=directory)  # mode 0o600
        except BaseException:
            _remove_empty(created)
            raise
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            _remove_empty(created)
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


def _remove_empty(created: list[Path]) -> None:
    """Undo :func:`_make_dirs` after a failed write (innermost first; only if still empty)."""
    for path in reversed(created):
        with contextlib.suppress(OSError):
            path.rmdir()


def _fsync_dir(directory: Path) -> None:
    """Persist directory entries (renames, new files); best effort where unsupported."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
