"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

``db`` is parametrised over both backends. Each backend gets one migrated template per
session (SQLite: a file copied per test; PostgreSQL: ``CREATE DATABASE … TEMPLATE``), so
every test starts from a fresh, fully migrated database with reference data loaded.
Without a reachable PostgreSQL the PostgreSQL half is skipped and the summary says so;
with ECERT_REQUIRE_POSTGRES=1 (CI) it fails instead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.databases import (
    PG_ADMIN_URL,
    admin_execute,
    forget_cached_sql,
    pg_reachable,
    prepare_template,
)

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps
    from tests.support.client import ApiClient

REQUIRE_PG = os.environ.get("ECERT_REQUIRE_POSTGRES") == "1"
_counter = itertools.count()
_pg_skipped: list[str] = []


@pytest.fixture(scope="session")
def pg_available() -> bool:
    return pg_reachable()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite3"
    asyncio.run(prepare_template(f"sqlite://{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template(pg_available: bool) -> Iterator[str]:
    if not pg_available:
        yield ""
        return
    name = f"ecert_tpl_{os.getpid()}"
    asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
    asyncio.run(prepare_template(f"{PG_ADMIN_URL}/{name}"))
    yield name
    asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _skip_or_fail_pg(request: pytest.FixtureRequest) -> None:
    msg = f"PostgreSQL not reachable at {PG_ADMIN_URL}"
    if REQUIRE_PG:
        pytest.fail(msg + " and ECERT_REQUIRE_POSTGRES=1")
    _pg_skipped.append(request.node.nodeid)
    pytest.skip(msg)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database (URL) for this test, on the parametrised backend."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "db.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite://{path}"
        return
    if not request.getfixturevalue("pg_available"):
        _skip_or_fail_pg(request)
    template = request.getfixturevalue("pg_template")
    name = f"ecert_t{os.getpid()}_{next(_counter)}"
    asyncio.run(admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield f"{PG_ADMIN_URL}/{name}"
    asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    """The process's Tortoise connections opened on a fresh database."""
    from schema.db import close_db, open_db

    forget_cached_sql()
    await open_db(database_url)
    try:
        yield database_url
    finally:
        await close_db()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``pg_only`` (races: SQLite serialises writers and has no row locks) run
    on the PostgreSQL backend only; their SQLite variants are not collected at all."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("pg_only") and params.get("backend") == "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if _pg_skipped:
        terminalreporter.write_line(
            f"NOTE: the PostgreSQL half did NOT run: {len(_pg_skipped)} tests skipped "
            f"because PostgreSQL is not reachable at {PG_ADMIN_URL}.",
            yellow=True,
            bold=True,
        )


@pytest.fixture
def deps(database_url: str, tmp_path: Path) -> Deps:
    """Process dependencies built from test settings, pointing at this test's database."""
    from schema.http_edge.deps import build_deps
    from schema.http_edge.settings import load_settings
    from tests.support.settings import test_environ

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    return build_deps(
        load_settings(test_environ(database_url=database_url, data_dir=str(data_dir)))
    )


@pytest.fixture
async def server(db: str, deps: Deps) -> AsyncIterator[ApiClient]:
    """The real app over real HTTP on 127.0.0.1, on this test's database (one test per
    feature; the others use ``api``)."""
    from tests.support.server import live_server

    async with live_server(deps) as live:
        yield live


@pytest.fixture
async def api(db: str, deps: Deps) -> AsyncIterator[ApiClient]:
    """The real app, lifespan running, driven in-process on this test's database."""
    from tests.support.client import in_process

    async with in_process(deps) as client:
        yield client
