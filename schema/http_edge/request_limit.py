"""Requests per client address: a token bucket per address, in this process.

Semantics (``ECERT_GRAPHQL_BURST``, ``ECERT_GRAPHQL_REQUESTS_PER_MINUTE``): each client
address has a bucket holding at most ``burst`` tokens, refilled continuously at
``per_minute / 60`` tokens a second; a request takes one token, and a request finding less
than one is refused with the number of seconds until one is there (``Retry-After``). A client
may therefore send ``burst`` requests at once and then ``per_minute`` a minute for ever.

The buckets live in the worker process's memory, not in the database: this is a flood guard
checked on every GraphQL request, and a database write per request would cost more than most
requests themselves. With N worker processes a client can reach up to N times the limit
(requests are spread over workers by the kernel), and a restart forgets the buckets; the
limits that must hold exactly across processes (failed logins, the lookup form) are counted
in the database (``schema.services.throttle``). Memory is bounded: at most ``max_clients``
buckets are kept, the least recently seen dropped first (a dropped client starts again with
a full bucket, which is what an idle client would have anyway).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["TokenBucketLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """``take(key)`` → ``None`` (served) or the whole seconds to wait before retrying."""

    def __init__(
        self,
        *,
        per_minute: int,
        burst: int,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0 or burst <= 0:
            raise ValueError("per_minute and burst must be positive")
        self.rate = per_minute / 60.0  # tokens a second
        self.burst = float(burst)
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> int | None:
        now = self._clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(tokens=self.burst, updated=now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            bucket.updated = now
        self._buckets[key] = bucket  # most recently seen last
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate))
