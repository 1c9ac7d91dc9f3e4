"""Fixed-window counters per client address, in the database so that every process shares them.

One boundary convention for every counter: a window is the half-open interval
``[window_started_at, window_started_at + window)``. The first event at or after its end
opens a new window, starting at that event. Events are counted until the count reaches
``limit``; the event that reaches it is still served, and the key is then blocked until the
window ends: later events are refused (``Hit.refused``) and not counted.

Used by the login (failed attempts per address, ``sessions``), by the public lookup form
(every attempt per address, ``lookup``) and by employers' batch checks (batches and lines
per account, ``verification_batches``: ``take`` counts many events at once, all or none). Rows live in ``login_throttle``; its ``failures``
column is the window's count, whatever the counter counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema.models import LoginThrottle

__all__ = ["FixedWindowCounter", "Hit", "minutes_left"]


@dataclass(frozen=True, slots=True)
class Hit:
    """The counter after one event: its count in the window and whether it was refused."""

    count: int
    blocked_until: datetime | None
    refused: bool


def minutes_left(until: datetime, now: datetime) -> int:
    """Whole minutes to tell a person to wait (rounded up, at least 1)."""
    return max(1, int((until - now).total_seconds() // 60) + 1)


@dataclass(frozen=True, slots=True)
class FixedWindowCounter:
    """At most ``limit`` counted events per key in each window of length ``window``."""

    prefix: str
    limit: int
    window: timedelta

    def key(self, subject: str) -> str:
        return self.prefix + subject

    async def blocked_until(self, subject: str, *, now: datetime) -> datetime | None:
        """When the block on ``subject`` ends, or ``None`` if it is not blocked (no write)."""
        row = await LoginThrottle.get_or_none(key=self.key(subject))
        if row is None or row.blocked_until is None or row.blocked_until <= now:
            return None
        return row.blocked_until

    async def hit(self, subject: str, *, now: datetime, using_db: BaseDBAsyncClient) -> Hit:
        """Count one event for ``subject`` inside the caller's transaction ``using_db``
        (the row is locked, so concurrent events are counted one after the other)."""
        row = await self._locked_row(subject, now=now, using_db=using_db)
        if row.blocked_until is not None and row.blocked_until > now:
            return Hit(count=row.failures, blocked_until=row.blocked_until, refused=True)
        row.failures += 1
        if row.failures >= self.limit:
            row.blocked_until = row.window_started_at + self.window
        await row.save(using_db=using_db)
        return Hit(count=row.failures, blocked_until=row.blocked_until, refused=False)

    async def take(
        self, subject: str, amount: int, *, now: datetime, using_db: BaseDBAsyncClient
    ) -> Hit:
        """Count ``amount`` events at once, or none: refused (nothing counted) when they
        would pass the window's limit; ``blocked_until`` is then when the window ends."""
        row = await self._locked_row(subject, now=now, using_db=using_db)
        end = row.window_started_at + self.window
        if row.failures + amount > self.limit:
            return Hit(count=row.failures, blocked_until=end, refused=True)
        row.failures += amount
        if row.failures >= self.limit:
            row.blocked_until = end
        await row.save(using_db=using_db)
        return Hit(count=row.failures, blocked_until=row.blocked_until, refused=False)

    async def _locked_row(
        self, subject: str, *, now: datetime, using_db: BaseDBAsyncClient
    ) -> LoginThrottle:
        """The key's row, locked, its window started afresh when the last one ended."""
        key = self.key(subject)
        row = await LoginThrottle.select_for_update().using_db(using_db).get_or_none(key=key)
        if row is None:
            try:
                async with in_transaction() as inner:
                    row = await LoginThrottle.create(
                        key=key, failures=0, window_started_at=now, using_db=inner
                    )
            except IntegrityError:  # a concurrent first event created it
                row = await LoginThrottle.select_for_update().using_db(using_db).get(key=key)
        if now >= row.window_started_at + self.window:
            row.failures, row.window_started_at, row.blocked_until = 0, now, None
        return row
