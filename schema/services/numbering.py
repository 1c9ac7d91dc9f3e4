"""System certificate numbers for titles obtained in 2021 or later.

Format (see schema.rules.certificate_number): ``{YYYY}50{level digit}{seq:07d}{check}``.
The counter row of (year, level) is incremented with a single UPDATE inside the approval
transaction, which takes the row lock on PostgreSQL (SQLite serialises writers), so two
concurrent approvals can never draw the same sequence; the unique index on issued numbers
is the last line of defence.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from schema import rules
from schema.models import CertificateNumberSeq
from schema.reference.catalog import Catalog

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
    bumped = (
        await CertificateNumberSeq.filter(key=key)
        .using_db(conn)
        .update(last_value=F("last_value") + count)
    )
    if not bumped:
        try:
            async with in_transaction() as savepoint:
                await CertificateNumberSeq.create(key=key, last_value=0, using_db=savepoint)
        except IntegrityError:
            pass  # a concurrent approval created it first; its row is now ours to bump
        await (
            CertificateNumberSeq.filter(key=key)
            .using_db(conn)
            .update(last_value=F("last_value") + count)
        )
    row = await CertificateNumberSeq.filter(key=key).using_db(conn).get()
    first = row.last_value - count + 1
    return [
        rules.format_system_number(year, level_code, seq, catalog=catalog)
        for seq in range(first, row.last_value + 1)
    ]
