"""Creating and dropping test databases."""

from __future__ import annotations

import asyncio
import os

PG_ADMIN_URL = os.environ.get(
    "ECERT_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"
).rstrip("/")


def pg_reachable() -> bool:
    import asyncpg

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(f"{PG_ADMIN_URL}/postgres", timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


async def admin_execute(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_ADMIN_URL}/postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def forget_cached_sql() -> None:
    """Tortoise caches INSERT statements per (connection name, table), not per dialect: a
    process that opens SQLite and then PostgreSQL under the same connection name would send
    SQLite's placeholders to PostgreSQL. Production opens one backend per process; the test
    suite switches, so it clears the cache whenever it opens a database."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()


async def prepare_template(url: str) -> None:
    """Migrate and load reference data exactly as `ecert migrate` does."""
    forget_cached_sql()
    from graphql_api.bootstrap import prepare_database
    from schema.http_edge.settings import load_settings
    from tests.support.settings import test_environ

    await prepare_database(load_settings(test_environ(database_url=url)))
