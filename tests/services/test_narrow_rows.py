"""The hot-path reads (``schema.services.narrow_rows.fetch_rows``): outside a transaction
they read what is committed without waiting for a writer (on SQLite: the read-only twin
connection, not the ORM's locked one); inside a transaction they read its own writes."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.fields import DatetimeField
from tortoise.transactions import in_transaction

from schema.db import close_db, open_db
from schema.models import Account
from schema.services.narrow_rows import fetch_rows, stored_instant
from tests.support.flows import make_people

_NAME = 'SELECT name FROM "account" WHERE id = {}'


async def _name(account_id: int) -> str:
    rows = await fetch_rows(_NAME, [account_id])
    return str(rows[0]["name"])


async def test_a_read_outside_the_transaction_sees_the_committed_row_while_a_write_is_open(
    db, deps
) -> None:
    people = await make_people(deps)
    account_id = people.applicant.account_id
    assert account_id is not None
    before = await _name(account_id)
    started = asyncio.Event()

    async def reader() -> str:
        await started.wait()
        return await _name(account_id)

    # Created before the transaction: its context does not carry the transaction.
    outside = asyncio.create_task(reader())
    async with in_transaction() as conn:
        await Account.filter(id=account_id).using_db(conn).update(name="改名中")
        started.set()
        # The read must finish while the write is still open: it may not queue behind it.
        seen = await asyncio.wait_for(outside, timeout=30)
        assert seen == before, "an uncommitted write is not visible outside its transaction"
        assert await _name(account_id) == "改名中", "the transaction reads its own write"
    assert await _name(account_id) == "改名中", "the committed write is read at once"


async def test_a_read_after_the_database_is_reopened_reads_the_new_connection(
    db, deps
) -> None:
    people = await make_people(deps)
    account_id = people.applicant.account_id
    assert account_id is not None
    name = await _name(account_id)
    await close_db()
    await open_db(db)
    assert await _name(account_id) == name
    await Account.filter(id=account_id).update(name="重开后")
    assert await _name(account_id) == "重开后"


@pytest.mark.parametrize("backend", ["postgres"])
async def test_reads_reach_the_pool_in_arrival_order(db: str) -> None:
    """A reader queued behind a full pool is served before readers that arrive after it,
    even when they arrive just as a connection comes back (the pool's own queue lets such a
    newcomer take it and sends the woken reader to the back of the queue, again and again:
    the verification benchmark's p99)."""
    done: list[int] = []

    async def read(n: int, seconds: float) -> None:
        await fetch_rows("SELECT {}::int AS n, pg_sleep({}) AS s", [n, seconds])
        done.append(n)

    pool_size = 5  # Tortoise's default maxsize, which the test database uses
    holders = [asyncio.create_task(read(i, 0.1)) for i in range(pool_size)]
    await asyncio.sleep(0.05)  # every connection is taken
    waiter = asyncio.create_task(read(100, 0))
    await asyncio.sleep(0)  # the waiter is queued
    newcomers = []
    for k in range(200):  # requests keep arriving, as they do from the network
        newcomers.append(asyncio.create_task(read(1000 + k, 0.01)))
        await asyncio.sleep(0.001)
    await asyncio.gather(*holders, waiter, *newcomers)
    overtaking = [n for n in done[: done.index(100)] if n >= 1000]
    assert overtaking == [], f"readers that came later were served first: {overtaking}"


@pytest.mark.parametrize(
    "stored",
    [
        "2026-11-27 09:30:00+00:00",
        "2026-11-27 09:30:00.123456+00:00",
        "2026-11-27T17:30:00+08:00",
        "2026-11-27 09:30:00",
    ],
)
def test_a_stored_instant_reads_as_the_orm_reads_it(stored: str) -> None:
    orm = DatetimeField().to_python_value(stored)
    fast = stored_instant(stored)
    assert fast == orm and fast is not None and fast.utcoffset() is not None
