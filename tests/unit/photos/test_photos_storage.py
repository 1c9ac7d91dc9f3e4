"""FileBlobStore: content addressing, atomic writes, key validation, permissions."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from pathlib import Path

import pytest

from schema.storage import BlobNotFound, BlobStore, FileBlobStore, InvalidBlobKey, StorageError

PHOTO = b"\xff\xd8\xff\xe0 pretend this is a photo \xff\xd9"


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def assert_only_blobs(root: Path) -> None:
    """Every file is a finished blob at root/ab/cd/<sha256>: no temporary files."""
    for path in all_files(root):
        key = path.name
        assert path == root / key[:2] / key[2:4] / key
        assert hashlib.sha256(path.read_bytes()).hexdigest() == key


async def test_round_trip(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    assert isinstance(store, BlobStore)

    key = await store.put(PHOTO)

    assert key == hashlib.sha256(PHOTO).hexdigest()
    assert await store.exists(key)
    assert await store.get(key) == PHOTO
    assert (tmp_path / "blobs" / key[:2] / key[2:4] / key).read_bytes() == PHOTO
    assert_only_blobs(tmp_path / "blobs")


async def test_put_is_idempotent(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    key = await store.put(PHOTO)
    path = tmp_path / key[:2] / key[2:4] / key
    inode = path.stat().st_ino

    assert await store.put(PHOTO) == key
    assert await store.put(bytearray(PHOTO)) == key  # type: ignore[arg-type]

    assert path.stat().st_ino == inode  # not rewritten
    assert all_files(tmp_path) == [path]


async def test_empty_blob(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    key = await store.put(b"")
    assert key == hashlib.sha256(b"").hexdigest()
    assert await store.get(key) == b""


async def test_permissions(tmp_path: Path) -> None:
    root = tmp_path / "new" / "blobs"
    key = await FileBlobStore(root).put(PHOTO)
    blob = root / key[:2] / key[2:4] / key
    assert stat.S_IMODE(blob.stat().st_mode) == 0o600
    for directory in (root, root / key[:2], root / key[:2] / key[2:4]):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


async def test_missing_key(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    key = hashlib.sha256(b"never stored").hexdigest()
    assert not await store.exists(key)
    with pytest.raises(BlobNotFound) as info:
        await store.get(key)
    assert info.value.key == key
    assert isinstance(info.value, LookupError)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../../etc/passwd",
        "../" + "a" * 61,
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        "a" * 64 + "\n",
        "/" + "a" * 63,
        "ab/cd/" + "a" * 58,
        "a" * 32 + "\x00" + "a" * 31,
        None,
        b"a" * 64,
    ],
)
async def test_bad_keys_are_refused(tmp_path: Path, key: object) -> None:
    store = FileBlobStore(tmp_path)
    with pytest.raises(InvalidBlobKey):
        await store.get(key)  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # InvalidBlobKey is a ValueError
        await store.exists(key)  # type: ignore[arg-type]


async def test_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileBlobStore(tmp_path)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StorageError) as failed:  # the domain error users see
        await store.put(PHOTO)
    monkeypatch.undo()
    assert "disk full" in failed.value.detail

    assert all_files(tmp_path) == []
    assert not await store.exists(hashlib.sha256(PHOTO).hexdigest())
    assert await store.get(await store.put(PHOTO)) == PHOTO


async def test_concurrent_puts(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    blobs = [PHOTO] * 10 + [bytes([i]) * 1000 for i in range(20)]

    keys = await asyncio.gather(*(store.put(blob) for blob in blobs))

    assert keys == [hashlib.sha256(blob).hexdigest() for blob in blobs]
    assert len(all_files(tmp_path)) == 21
    assert_only_blobs(tmp_path)
    for key, blob in zip(keys, blobs, strict=True):
        assert await store.get(key) == blob
