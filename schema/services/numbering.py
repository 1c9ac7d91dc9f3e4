"""System certificate numbers for titles obtained in 2021 or later.

Format (see schema.rules.certificate_number): ``{YYYY}50{level digit}{seq:07d}{check}``.
The counter row of (year, level) is incremented with a single UPDATE … RETURNING inside the approval
transaction, which takes the row lock on PostgreSQL (SQLite serialises writers), so two
concurrent approvals can never draw the same sequence; the unique index on issued numbers
is the last line of defence.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema import rules
from schema.models import CertificateNumberSeq
from schema.reference.catalog import Catalog
from schema.services.bulk_write import is_postgres

__all__ = ["allocate_system_number", "allocate_system_numbers"]


async def allocate_system_number(
    *, year: int, level_code: str, catalog: Catalog, conn: BaseDBAsyncClient
) -> str:
    (number,) = await allocate_system_numbers(
        year=year, level_code=level_code, count=1, catalog=catalog, conn=conn
    )
    return number


async def allocate_system_numbers(
    *, year: int, level_code: str, count: int, catalog: Catalog, conn: BaseDBAsyncClient
) -> list[str]:
    """``count`` consecutive numbers of (year, level), drawn with one UPDATE (bulk issuance)."""
    key = f"{year}-{catalog.level(level_code).digit}"
    last = await _bump(key, count, conn)
    if last is None:
        try:
            async with in_transaction() as savepoint:
                await CertificateNumberSeq.create(key=key, last_value=0, using_db=savepoint)
        except IntegrityError:
            pass  # a concurrent approval created it first; its row is now ours to bump
        last = await _bump(key, count, conn)
    assert last is not None, "the counter row exists: it was just created"
    return [
        rules.format_system_number(year, level_code, seq, catalog=catalog)
        for seq in range(last - count + 1, last + 1)
    ]


# The bump and the read of the new value in one statement (an approval's round trips are
# its latency: the reviewer waits for each).
_BUMP_SQL = (
    'UPDATE "certificate_number_seq" SET "last_value" = "last_value" + {0} '
    'WHERE "key" = {1} RETURNING "last_value"'
)


async def _bump(key: str, count: int, conn: BaseDBAsyncClient) -> int | None:
    """The counter of ``key`` raised by ``count``: its new value (None: no such row)."""
    marks = ("$1", "$2") if is_postgres(conn) else ("?", "?")
    rows = await conn.execute_query_dict(_BUMP_SQL.format(*marks), [count, key])
    return int(rows[0]["last_value"]) if rows else None
