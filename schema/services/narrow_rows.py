"""Hand-written narrow reads for the hottest paths: one statement, only the columns needed.

Building a query through the ORM cost more than running it (issue 10's GraphQL profile:
most of a holder's request went to composing SQL). The few reads every request makes are
written here once, with ``{}`` for each parameter; :func:`fetch_rows` puts in the
placeholders of the database in use (``$1`` for PostgreSQL, ``?`` for SQLite) and caches
the statement text. Models convert the values as the ORM would (``_init_from_db``), so
datetimes, dates and enums come back the same on both databases.

Outside a transaction, :func:`fetch_rows` also skips the ORM's connection wrappers:

* **PostgreSQL**: the statement goes straight to the asyncpg pool Tortoise opened (its
  wrappers add a context manager, a debug log call and an exception translator per query;
  the pool is the same), through a **first-come, first-served gate** as wide as the pool.
  The pool hands out connections through an ``asyncio.Queue``, which is not fair: a
  request arriving just as a connection comes back takes it ahead of the waiter woken for
  it, and that waiter queues again at the back. With 32 concurrent scans on a pool of 5,
  some requests were passed over again and again: the app's own p99 was 20 times its
  median (issue 10's verification tail). ``asyncio.Semaphore`` hands a released slot to
  the longest waiter, so requests reach the pool in arrival order and the pool never
  makes them wait.
* **SQLite**: Tortoise keeps one connection behind an ``asyncio.Lock`` and a thread hop per
  statement, and an open write transaction holds that lock until it commits, so every read
  of the process queued behind any write. These reads use a second connection of the same
  file instead, **read only** (``PRAGMA query_only``) and in autocommit: in WAL mode (which
  Tortoise sets) a reader never waits for a writer and sees exactly what is committed. An
  indexed read of one row takes tens of microseconds, less than the thread hop it replaces,
  so it runs on the event loop. Should the file be busy anyway (a WAL recovery), the read
  goes the ORM's way.

Inside a transaction (``in_transaction``), the transaction's own connection is used, so a
use case reads its own uncommitted writes as before.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

if TYPE_CHECKING:
    import sqlite3

# sqlite3 is imported by the SQLite branches only: on PostgreSQL it is never loaded.

__all__ = ["close_readers", "fetch_rows", "stored_instant"]

_statements: dict[tuple[str, str], str] = {}
# One read-only SQLite connection per thread, with the ORM connection it shadows; replaced
# when the ORM opens another (a reopened or a different database).
_readers: dict[int, tuple[object, sqlite3.Connection]] = {}
# The gate of each pool (by id: asyncpg's Pool takes no attributes or weak references),
# kept with the pool so a reused id never finds another pool's gate.
_gates: dict[int, tuple[object, asyncio.Semaphore]] = {}
_SQLITE_CLIENT = "SqliteClient"
_ASYNCPG_CLIENT = "AsyncpgDBClient"


def stored_instant(value: object) -> datetime | None:
    """A timestamp column's value as an aware UTC datetime, as the ORM would give it.

    asyncpg returns aware datetimes already. SQLite returns the text the ORM stored
    (``2026-11-27 09:30:00+00:00``): ``datetime.fromisoformat`` reads it in C, where the
    ORM's field conversion (an ISO 8601 parser in Python) cost tens of microseconds per
    column of a scan. Anything it cannot read goes to the ORM's conversion."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return _orm_instant(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return _orm_instant(value)


def _orm_instant(value: object) -> datetime | None:
    from tortoise.fields import DatetimeField

    converted = DatetimeField().to_python_value(value)
    return converted if isinstance(converted, datetime) else None


def _statement(template: str, dialect: str) -> str:
    key = (template, dialect)
    statement = _statements.get(key)
    if statement is None:
        count = template.count("{}")
        marks = [f"${n}" for n in range(1, count + 1)] if dialect == "postgres" else ["?"] * count
        statement = _statements[key] = template.format(*marks)
    return statement


def _sqlite_reader(client: BaseDBAsyncClient) -> sqlite3.Connection | None:
    """The read-only twin of the ORM's SQLite connection (None: in-memory or not open)."""
    owner = getattr(client, "_connection", None)
    filename = getattr(client, "filename", "")
    if owner is None or not filename or filename == ":memory:" or "mode=memory" in filename:
        return None
    key = threading.get_ident()
    cached = _readers.get(key)
    if cached is not None and cached[0] is owner:
        return cached[1]
    if cached is not None:
        cached[1].close()
    import sqlite3

    reader = sqlite3.connect(filename, isolation_level=None, check_same_thread=False, timeout=0)
    reader.row_factory = sqlite3.Row
    reader.execute("PRAGMA query_only = ON")
    _readers[key] = (owner, reader)
    return reader


def _gate(pool: Any) -> asyncio.Semaphore:
    found = _gates.get(id(pool))
    if found is not None and found[0] is pool:
        return found[1]
    gate = asyncio.Semaphore(max(1, int(getattr(pool, "_maxsize", 1))))
    _gates[id(pool)] = (pool, gate)
    return gate


def close_readers() -> None:
    """Close the read-only SQLite connections and forget the pools' gates (the ORM's
    connections were closed)."""
    while _readers:
        _, (_, reader) = _readers.popitem()
        reader.close()
    _gates.clear()


async def fetch_rows(template: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of ``template`` (``{}`` per parameter) with ``values``, as dicts."""
    connection = Tortoise.get_connection("default")
    dialect = connection.capabilities.dialect
    statement = _statement(template, dialect)
    kind = type(connection).__name__  # exact type: a transaction's wrapper is a subclass
    if kind == _ASYNCPG_CLIENT:
        pool = getattr(connection, "_pool", None)
        if pool is not None:
            async with _gate(pool):
                rows = await pool.fetch(statement, *values)
            return [dict(row) for row in rows]
    elif kind == _SQLITE_CLIENT:
        import sqlite3  # loaded already by the ORM's SQLite client: a dictionary look-up

        reader = _sqlite_reader(connection)
        if reader is not None:
            try:
                return [dict(row) for row in reader.execute(statement, list(values))]
            except sqlite3.OperationalError:
                pass  # busy (WAL recovery) or a file the reader cannot open: the ORM's way
    return await connection.execute_query_dict(statement, list(values))
