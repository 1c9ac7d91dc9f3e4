"""Hand-written narrow reads for the hottest paths: one statement, only the columns needed.

Building a query through the ORM cost more than running it (issue 10's GraphQL profile:
most of a holder's request went to composing SQL). The few reads every request makes are
written here once, with ``{}`` for each parameter; :func:`fetch_rows` puts in the
placeholders of the database in use (``$1`` for PostgreSQL, ``?`` for SQLite) and caches
the statement text. Models convert the values as the ORM would (``_init_from_db``), so
datetimes, dates and enums come back the same on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise import Tortoise

__all__ = ["fetch_rows"]

_statements: dict[tuple[str, str], str] = {}


def _statement(template: str, dialect: str) -> str:
    key = (template, dialect)
    statement = _statements.get(key)
    if statement is None:
        count = template.count("{}")
        marks = [f"${n}" for n in range(1, count + 1)] if dialect == "postgres" else ["?"] * count
        statement = _statements[key] = template.format(*marks)
    return statement


async def fetch_rows(template: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of ``template`` (``{}`` per parameter) with ``values``, as dicts."""
    connection = Tortoise.get_connection("default")
    statement = _statement(template, connection.capabilities.dialect)
    return await connection.execute_query_dict(statement, list(values))
