"""The bounded LRU map behind the verification path's per-process caches."""

from __future__ import annotations

import pytest

from schema.services.bounded_cache import BoundedCache


def test_keeps_at_most_maxsize_and_evicts_the_least_recently_used() -> None:
    cache: BoundedCache[str, int] = BoundedCache(maxsize=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0 and cache.get("a") is None


def test_maxsize_must_be_positive() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        BoundedCache(maxsize=0)
