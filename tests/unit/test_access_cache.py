"""The holder QR route's row cache (schema.services.access_cache), without a database:
it serves only while listening, forgets what a notification names, refuses rows read
across a notification, and lets no entry outlive its time."""

from __future__ import annotations

import time

import pytest

from schema.services.access_cache import AccessCache, forget_account


def _row(account_id: int) -> dict[str, object]:
    return {"account_id": account_id, "qr_png_sha256": "a", "qr_svg_sha256": "b"}


def _listening(ttl: float = 60) -> AccessCache:
    cache = AccessCache(ttl=ttl)
    cache.listening = True
    return cache


def test_a_cache_that_is_not_listening_neither_keeps_nor_serves() -> None:
    cache = AccessCache(ttl=60)
    cache.put(("t", "c"), _row(1), generation=cache.generation)
    assert len(cache) == 0
    cache.listening = True
    cache.put(("t", "c"), _row(1), generation=cache.generation)
    cache.listening = False
    assert cache.get(("t", "c")) is None


def test_a_kept_row_is_served_until_a_notification_names_its_account() -> None:
    cache = _listening()
    cache.put(("t1", "c"), _row(1), generation=cache.generation)
    cache.put(("t2", "c"), _row(2), generation=cache.generation)
    assert cache.get(("t1", "c")) == _row(1)
    cache.changed("2")
    assert cache.get(("t2", "c")) is None, "account 2's row outlived its notification"
    assert cache.get(("t1", "c")) == _row(1), "another account's row went too"
    cache.changed("*")
    assert len(cache) == 0


def test_a_row_read_while_a_notification_arrived_is_not_kept() -> None:
    cache = _listening()
    before_read = cache.generation
    cache.changed("7")  # arrives while the row is being read
    cache.put(("t", "c"), _row(1), generation=before_read)
    assert cache.get(("t", "c")) is None


def test_an_entry_lives_no_longer_than_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _listening(ttl=10)
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)
    cache.put(("t", "c"), _row(1), generation=cache.generation)
    monkeypatch.setattr(time, "monotonic", lambda: now + 9.9)
    assert cache.get(("t", "c")) is not None
    monkeypatch.setattr(time, "monotonic", lambda: now + 10)
    assert cache.get(("t", "c")) is None


def test_stopping_empties_the_cache_and_forget_account_reaches_every_cache() -> None:
    first, second = _listening(), _listening()
    for cache in (first, second):
        cache.put(("t", "c"), _row(5), generation=cache.generation)
    forget_account(5)
    assert len(first) == 0 and len(second) == 0
    first.put(("t", "c"), _row(5), generation=first.generation)
    first.stop_serving()
    assert len(first) == 0 and not first.listening


def test_the_least_recently_used_row_goes_first() -> None:
    cache = AccessCache(ttl=60, maxsize=2)
    cache.listening = True
    for token in ("a", "b"):
        cache.put((token, "c"), _row(1), generation=cache.generation)
    assert cache.get(("a", "c")) is not None
    cache.put(("x", "c"), _row(1), generation=cache.generation)
    assert cache.get(("b", "c")) is None and cache.get(("a", "c")) is not None
