"""Fast inserts of many rows inside the caller's transaction, for bulk collection.

Building an ORM object per row costs more than validating the row, so chunks of a
collection job are written as plain tuples: ``COPY`` on PostgreSQL (asyncpg's binary
``copy_records_to_table``), one prepared ``executemany`` on SQLite. Values arrive as Python
objects (str, int, date, aware datetime, enum, JSON-able list/dict) and are converted here
exactly as the ORM stores them, so the ORM reads these rows back like its own.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

__all__ = ["allocate_ids", "insert_rows", "is_postgres"]

_JSON_COLUMNS = frozenset({"missing", "warnings", "before", "after", "changes"})


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _pg_value(column: str, value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if column in _JSON_COLUMNS and value is not None:
        return _json(value)
    return value


def _sqlite_value(column: str, value: Any) -> Any:
    # As Tortoise's SQLite executor stores them: ISO text with a space before the time.
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if column in _JSON_COLUMNS and value is not None:
        return _json(value)
    return value


async def insert_rows(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in ``conn``'s transaction."""
    if not rows:
        return
    if is_postgres(conn):
        records = [
            tuple(_pg_value(c, v) for c, v in zip(columns, row, strict=True)) for row in rows
        ]
        async with conn.acquire_connection() as raw:
            await raw.copy_records_to_table(table, records=records, columns=list(columns))
        return
    values = [[_sqlite_value(c, v) for c, v in zip(columns, row, strict=True)] for row in rows]
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    await conn.execute_many(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)  # noqa: S608 (names are ours)


async def allocate_ids(conn: BaseDBAsyncClient, table: str, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table``: from its sequence on PostgreSQL; on SQLite
    (one writer at a time) after the largest id — a concurrent writer that took the same ids
    makes the insert fail on the primary key, and the caller retries its chunk."""
    if count <= 0:
        return []
    if is_postgres(conn):
        rows = await conn.execute_query_dict(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id "
            "FROM generate_series(1, $2::int)",
            [table, count],
        )
        return [int(r["id"]) for r in rows]
    rows = await conn.execute_query_dict(f'SELECT COALESCE(MAX(id), 0) AS top FROM "{table}"')  # noqa: S608
    top = int(rows[0]["top"])
    return list(range(top + 1, top + 1 + count))
