"""schema.services.throttle: one fixed-window counter, one boundary convention (both DBs)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from schema.errors import RateLimited
from schema.services import lookup
from schema.services.throttle import FixedWindowCounter, Hit, minutes_left
from tests.support.factories import NOW

WINDOW = timedelta(minutes=15)
COUNTER = FixedWindowCounter("t:", limit=3, window=WINDOW)


async def _hit(subject: str = "a", *, at=NOW) -> Hit:
    async with in_transaction() as conn:
        return await COUNTER.hit(subject, now=at, using_db=conn)


async def test_the_event_reaching_the_limit_is_served_then_the_key_is_blocked(db):
    hits = [await _hit() for _ in range(3)]
    assert [(h.count, h.refused) for h in hits] == [(1, False), (2, False), (3, False)]
    assert hits[-1].blocked_until == NOW + WINDOW
    refused = await _hit(at=NOW + WINDOW - timedelta(microseconds=1))
    assert refused == Hit(count=3, blocked_until=NOW + WINDOW, refused=True)  # not counted
    assert await COUNTER.blocked_until("a", now=NOW) == NOW + WINDOW
    assert await COUNTER.blocked_until("b", now=NOW) is None  # keys are separate


async def test_window_is_half_open(db):
    """[start, start + window): the end instant already belongs to a new window."""
    await _hit()
    assert (await _hit(at=NOW + WINDOW - timedelta(microseconds=1))).count == 2
    fresh = await _hit(at=NOW + WINDOW)
    assert (fresh.count, fresh.refused, fresh.blocked_until) == (1, False, None)
    # The new window starts at the event that opened it.
    for _ in range(2):
        await _hit(at=NOW + WINDOW)
    assert await COUNTER.blocked_until("a", now=NOW + 2 * WINDOW - timedelta(seconds=1))
    assert await COUNTER.blocked_until("a", now=NOW + 2 * WINDOW) is None


def test_minutes_left_rounds_up() -> None:
    assert minutes_left(NOW + timedelta(seconds=1), NOW) == 1
    assert minutes_left(NOW + timedelta(minutes=14, seconds=59), NOW) == 15
    assert minutes_left(NOW, NOW) == 1


async def test_lookup_counter_resets_at_the_window_end(db):
    """The lookup form's counter blocks after its limit and resets exactly at the end."""
    for _ in range(lookup.LOOKUP_LIMIT):
        await lookup._admit("192.0.2.1", NOW)
    with pytest.raises(RateLimited):
        await lookup._admit("192.0.2.1", NOW + lookup.LOOKUP_WINDOW - timedelta(seconds=1))
    await lookup._admit("192.0.2.1", NOW + lookup.LOOKUP_WINDOW)  # a new window
