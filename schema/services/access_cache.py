"""A per-process cache of the holder's QR rows, kept true by PostgreSQL notifications.

The holder's QR image (``/certificates/{id}/qr.png``) needs one row per request: the
session, its account and the certificate (``holder_certificates.holder_qr_for_session``).
On PostgreSQL that round trip was most of the route's cost (issue 10: 0.115 of a bare
route against a target of 0.15). This cache keeps that row per (token digest, certificate
id) and is emptied whenever what it depends on changes, in any process on any machine:

* Migration 0016 puts triggers on ``session``, ``account`` and ``certificate`` that call
  ``pg_notify('ecert_access', …)`` on every change of a column the row holds: the account's
  id for a session or account change (its entries go), ``*`` for a certificate change or a
  ``TRUNCATE`` (everything goes). Notifications are sent at commit.
* :class:`AccessFeed` listens on its own connection (the pool keeps no session state,
  see ``schema.db``). While it is not listening (before it connects, after the
  connection is lost, until it is back) nothing is served from the cache.
* An entry also lives at most ``ttl`` seconds, so even a listener cut off without
  noticing serves nothing older than that (``ECERT_ACCESS_CACHE_SECONDS``, default 10).
* A row read while a notification arrived is not kept (the generation check), and the
  process that writes a change drops the account's entries itself right after its
  commit (:func:`forget_account`), so its own next request never waits for the
  notification.

Every hit still goes through ``sessions.session_actor`` with the request's clock: an
expired session is refused from the cache as from the database. Only complete answers
(both images drawn) are kept. SQLite has no notifications: there, nothing is cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import OrderedDict
from typing import Any

__all__ = ["APPLICATION_NAME", "CHANNEL", "AccessCache", "AccessFeed", "forget_account"]

CHANNEL = "ecert_access"
# How the listening connection shows in pg_stat_activity.
APPLICATION_NAME = "ecert access feed"
_EVERYTHING = "*"
_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

_log = logging.getLogger("ecert.access_cache")
_live: weakref.WeakSet[AccessCache] = weakref.WeakSet()

Key = tuple[str, str]


class AccessCache:
    """Rows by (token digest, certificate id); usable only while its feed listens."""

    def __init__(self, *, ttl: float, maxsize: int = 4096) -> None:
        if ttl <= 0 or maxsize < 1:
            raise ValueError("ttl and maxsize must be positive")
        self.ttl = ttl
        self.maxsize = maxsize
        self.listening = False
        self.generation = 0
        self._rows: OrderedDict[Key, tuple[float, int, dict[str, Any]]] = OrderedDict()
        _live.add(self)

    def get(self, key: Key) -> dict[str, Any] | None:
        if not self.listening:
            return None
        found = self._rows.get(key)
        if found is None:
            return None
        if found[0] <= time.monotonic():
            del self._rows[key]
            return None
        self._rows.move_to_end(key)
        return found[2]

    def put(self, key: Key, row: dict[str, Any], *, generation: int) -> None:
        """Keep ``row`` unless something changed since it was read (``generation`` as
        taken before the read) or the feed is not listening."""
        if not self.listening or generation != self.generation:
            return
        self._rows[key] = (time.monotonic() + self.ttl, int(row["account_id"]), row)
        self._rows.move_to_end(key)
        if len(self._rows) > self.maxsize:
            self._rows.popitem(last=False)

    def changed(self, payload: str) -> None:
        """A notification: ``*`` drops everything, an account id that account's rows."""
        self.generation += 1
        if payload == _EVERYTHING or not payload.isdigit():
            self._rows.clear()
            return
        account_id = int(payload)
        for key in [k for k, entry in self._rows.items() if entry[1] == account_id]:
            del self._rows[key]

    def stop_serving(self) -> None:
        self.listening = False
        self.changed(_EVERYTHING)

    def __len__(self) -> int:
        return len(self._rows)


def forget_account(account_id: int) -> None:
    """Drop ``account_id``'s rows from every cache of this process (after a commit that
    ended its sessions or changed the account; other processes hear it from PostgreSQL)."""
    for cache in list(_live):
        cache.changed(str(account_id))


class AccessFeed:
    """Keeps ``cache`` listening on PostgreSQL's ``ecert_access`` channel, reconnecting
    with back-off when the connection is lost."""

    def __init__(self, cache: AccessCache, connect_kwargs: dict[str, Any]) -> None:
        self._cache = cache
        self._connect_kwargs = connect_kwargs
        self._connection: Any = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._stopping = False

    async def start(self) -> None:
        """Listen now if the database answers, else keep trying in the background."""
        with contextlib.suppress(Exception):
            await self._listen()
        self._task = asyncio.create_task(self._keep_listening(), name="ecert-access-feed")

    async def stop(self) -> None:
        self._stopping = True
        self._cache.stop_serving()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close()

    async def _listen(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(
            **self._connect_kwargs,
            timeout=10,
            server_settings={"application_name": APPLICATION_NAME},
        )
        try:
            await connection.add_listener(CHANNEL, self._notified)
        except BaseException:
            await connection.close()
            raise
        connection.add_termination_listener(self._terminated)
        self._connection = connection
        self._lost.clear()
        # Anything cached before (nothing, or rows from before the loss) is dropped.
        self._cache.changed(_EVERYTHING)
        self._cache.listening = True
        _log.info("listening for access changes")

    async def _keep_listening(self) -> None:
        attempt = 0
        while True:
            if self._connection is not None and not self._connection.is_closed():
                await self._lost.wait()
                attempt = 0
            await self._close()
            await asyncio.sleep(_RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)])
            attempt += 1
            try:
                await self._listen()
            except Exception as exc:  # the database is away: try again later
                _log.warning("access change feed not connected: %s", type(exc).__name__)

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._cache.changed(payload)

    def _terminated(self, _connection: Any) -> None:
        self._cache.stop_serving()
        self._lost.set()
        if self._stopping:
            return
        _log.warning("access change feed lost its connection: cache off until it is back")

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close(timeout=5)
