"""A progressive delay after failed logins, per account and per client address: never a lock.

Each key (``account:<id>``, ``address:<ip>``) counts its recent failures. After the free
failures, every further failure makes the next attempt wait twice as long as the last one
(1 s, 2 s, 4 s … up to a cap); an attempt made before ``retry_at`` is refused without looking
at the password and without being counted. A success resets the key; failures older than
``forget_after`` (counted from the last one) are forgotten.

So an attacker can slow an account down but never shut its owner out: the delay is short and
capped, and once the account has had many recent failures the login asks for a second factor
(``schema.services.sessions``), with which the delay no longer applies. A whole address (a
NAT, a campus) is only ever slowed down, never blocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema.models import LoginBackoff

__all__ = [
    "ACCOUNT_BACKOFF",
    "ADDRESS_BACKOFF",
    "BackoffPolicy",
    "recent_failures",
    "record_failure",
    "reset",
    "seconds_to_wait",
]


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    prefix: str
    free_failures: int  # failures that cost no wait
    cap: timedelta  # the longest wait
    forget_after: timedelta  # quiet time after which the failures are forgotten

    def key(self, subject: str | int) -> str:
        return f"{self.prefix}{subject}"[:100]

    def delay(self, failures: int) -> timedelta:
        """The wait after ``failures`` recent failures: 0 … 0, 1 s, 2 s, 4 s … ``cap``."""
        extra = failures - self.free_failures
        if extra <= 0:
            return timedelta(0)
        return min(timedelta(seconds=2 ** min(extra - 1, 30)), self.cap)


ACCOUNT_BACKOFF = BackoffPolicy(
    "account:", free_failures=3, cap=timedelta(seconds=60), forget_after=timedelta(hours=24)
)
# An address is shared by many people (NAT): more free failures, the same short cap.
ADDRESS_BACKOFF = BackoffPolicy(
    "address:", free_failures=10, cap=timedelta(seconds=60), forget_after=timedelta(hours=1)
)


def _live(row: LoginBackoff | None, policy: BackoffPolicy, now: datetime) -> bool:
    return row is not None and now < row.last_failure_at + policy.forget_after


async def recent_failures(policy: BackoffPolicy, subject: str | int, *, now: datetime) -> int:
    """How many failures ``subject`` has had recently (0 once they are forgotten)."""
    row = await LoginBackoff.get_or_none(key=policy.key(subject))
    return row.failures if row is not None and _live(row, policy, now) else 0


async def seconds_to_wait(policy: BackoffPolicy, subject: str | int, *, now: datetime) -> int:
    """Whole seconds before ``subject`` may try again (0: now)."""
    row = await LoginBackoff.get_or_none(key=policy.key(subject))
    if row is None or not _live(row, policy, now) or row.retry_at <= now:
        return 0
    return max(1, int((row.retry_at - now).total_seconds() + 0.999))


async def record_failure(
    policy: BackoffPolicy, subject: str | int, *, now: datetime, using_db: BaseDBAsyncClient
) -> int:
    """Count one failure inside the caller's transaction (the row is locked); the count."""
    key = policy.key(subject)
    row = await LoginBackoff.select_for_update().using_db(using_db).get_or_none(key=key)
    if row is None:
        try:
            async with in_transaction() as inner:
                row = await LoginBackoff.create(
                    key=key, failures=0, last_failure_at=now, retry_at=now, using_db=inner
                )
        except IntegrityError:  # a concurrent first failure created it
            row = await LoginBackoff.select_for_update().using_db(using_db).get(key=key)
    if not _live(row, policy, now):
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    row.retry_at = now + policy.delay(row.failures)
    await row.save(using_db=using_db)
    return row.failures


async def reset(policy: BackoffPolicy, subject: str | int, *, using_db: BaseDBAsyncClient) -> None:
    """Forget ``subject``'s failures (a successful login, a password reset)."""
    await LoginBackoff.filter(key=policy.key(subject)).using_db(using_db).delete()
