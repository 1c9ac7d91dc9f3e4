"""The PostgreSQL pool releases a connection without asyncpg's reset query (one round trip
per query saved: ``schema.db._release_without_reset_query``), and still rolls back a
transaction left open."""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg
import pytest
from tortoise import connections

from schema.db import postgres_connect_kwargs
from schema.models import Certificate


async def _last_statements(database_url: str) -> list[str]:
    """What the pool's idle connections last ran, as the server reports it."""
    conn = await asyncpg.connect(**postgres_connect_kwargs(database_url))
    try:
        rows = await conn.fetch(
            "SELECT query FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
            " AND state = 'idle'",
            urlsplit(database_url).path.lstrip("/"),
        )
    finally:
        await conn.close()
    return [row["query"] for row in rows]


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_query_is_the_last_statement_of_its_pooled_connection(db: str) -> None:
    await Certificate.filter(number="no-such-number-pool-check").count()
    statements = await _last_statements(db)
    assert any("no-such-number-pool-check" in s or "$1" in s for s in statements), statements
    assert not any("RESET ALL" in s or "UNLISTEN" in s for s in statements), statements


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_transaction_left_open_is_rolled_back_on_release(db: str) -> None:
    client = connections.get("default")
    pool = client._pool  # the pool itself is what is under test
    async with pool.acquire() as conn:
        await conn.execute("BEGIN")
        await conn.execute("CREATE TEMP TABLE pool_probe (x int) ON COMMIT DROP")
    async with pool.acquire() as conn:
        assert not conn.is_in_transaction()
