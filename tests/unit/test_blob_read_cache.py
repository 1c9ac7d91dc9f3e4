"""The blob store's in-process read cache (``get_cached``, for QR images): small blobs
only, bounded in bytes, least recently used out first. Keys name contents, so a cached copy
is never stale. A plain ``get`` never answers from memory (a removed photo is gone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema.storage import SMALL_BLOB_BYTES, BlobNotFound, FileBlobStore


def _remove(store: FileBlobStore, key: str) -> None:
    (store.root / key[:2] / key[2:4] / key).unlink()


async def test_small_blobs_are_served_from_memory_within_the_bound(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs", cache_bytes=2500)
    first, second, third = (bytes([n]) * 1000 for n in (1, 2, 3))
    keys = [await store.put(data) for data in (first, second, third)]
    for key in keys:
        await store.get_cached(key)
        _remove(store, key)

    # 3,000 bytes read through a 2,500-byte cache: the oldest was let go.
    with pytest.raises(BlobNotFound):
        await store.get_cached(keys[0])
    assert await store.get_cached(keys[1]) == second
    assert await store.get_cached(keys[2]) == third
    with pytest.raises(BlobNotFound):
        await store.get(keys[2])  # a plain read goes to the file system


async def test_a_read_is_cached_and_the_least_recently_used_goes_first(tmp_path: Path) -> None:
    writer = FileBlobStore(tmp_path / "blobs")
    keys = [await writer.put(bytes([n]) * 1000) for n in (1, 2, 3)]
    reader = FileBlobStore(tmp_path / "blobs", cache_bytes=2500)
    await reader.get_cached(keys[0])
    await reader.get_cached(keys[1])
    await reader.get_cached(keys[0])  # now the most recently used
    await reader.get_cached(keys[2])  # evicts keys[1]
    for key in keys:
        _remove(writer, key)

    assert await reader.get_cached(keys[0]) == bytes([1]) * 1000
    assert await reader.get_cached(keys[2]) == bytes([3]) * 1000
    with pytest.raises(BlobNotFound):
        await reader.get_cached(keys[1])


async def test_large_blobs_are_read_from_disk_every_time(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    large = b"x" * (SMALL_BLOB_BYTES + 1)
    key = await store.put(large)
    assert await store.get_cached(key) == large
    _remove(store, key)
    with pytest.raises(BlobNotFound):
        await store.get_cached(key)
