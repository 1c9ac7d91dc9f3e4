"""The holder QR route's session cache on PostgreSQL (schema.services.access_cache), over
real HTTP: a change made by *another process* (a separate Python interpreter writing
with its own connection) reaches the serving process through the database's
notifications. The entries may live 300 s here, so only the notification can explain a
refusal that comes at once; and while the listener is cut off, nothing is served from the
cache at all."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from schema.db import postgres_connect_kwargs
from schema.http_edge.deps import Deps, build_deps
from schema.http_edge.settings import load_settings
from schema.models import Account, Certificate
from schema.services.access_cache import APPLICATION_NAME, AccessCache
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985
from tests.support.flows import issue_yubei_certificate, make_people
from tests.support.server import live_server
from tests.support.settings import test_environ

pytestmark = pytest.mark.parametrize("backend", ["postgres"])

# What the other process runs: one statement ($1: a row id) on its own connection.
_OTHER_PROCESS = """
import asyncio, sys
import asyncpg

async def main() -> None:
    connection = await asyncpg.connect(sys.argv[1])
    try:
        await connection.execute(sys.argv[2], int(sys.argv[3]))
    finally:
        await connection.close()

asyncio.run(main())
"""


def _in_another_process(database_url: str, statement: str, row_id: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, database_url, statement, str(row_id)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"the other process failed: {done.stderr[-1500:]}"


@pytest.fixture
async def cached_server(db: str, tmp_path: Path) -> AsyncIterator[ApiClient]:
    data_dir = tmp_path / "cached"
    data_dir.mkdir()
    environ = test_environ(
        database_url=db, data_dir=str(data_dir), ECERT_ACCESS_CACHE_SECONDS="300"
    )
    async with live_server(build_deps(load_settings(environ))) as live:
        yield live


def _cache(server: ApiClient) -> AccessCache:
    cache = server.deps.access_cache
    assert cache is not None, "no cache on PostgreSQL"
    return cache


async def _status_within(server: ApiClient, path: str, auth: dict[str, str], wanted: int) -> int:
    """The route's status once it is ``wanted``, or the last one after 5 s (a notification
    takes milliseconds; 5 s is far below the entries' 300 s)."""
    status = 0
    for _ in range(100):
        status = (await server.http.get(path, headers=auth)).status_code
        if status == wanted:
            return status
        await asyncio.sleep(0.05)
    return status


async def _cached_download(server: ApiClient, deps: Deps) -> tuple[str, dict[str, str], str]:
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    auth = {"Authorization": f"Bearer {(await server.login(ID_MALE_1985)).token}"}
    path = f"/certificates/{cert.cert_id}/qr.png"
    cache = _cache(server)
    before = cache.generation
    # The first download draws the images and stores their hashes in the certificate row:
    # its own notification follows asynchronously and would empty (or refuse) a row kept
    # before it arrives. Wait for it, then download until the complete row is kept.
    assert (await server.http.get(path, headers=auth)).status_code == 200
    for _ in range(250):
        if cache.generation != before:
            break
        await asyncio.sleep(0.02)
    assert cache.generation != before, "drawing the images sent no notification"
    for _ in range(50):
        assert (await server.http.get(path, headers=auth)).status_code == 200
        if len(cache) == 1:
            break
        await asyncio.sleep(0.1)
    assert len(cache) == 1, "the complete row was not kept"
    return path, auth, cert.cert_id


async def test_a_session_ended_by_another_process_is_refused_at_once(
    cached_server: ApiClient, db: str
) -> None:
    path, auth, cert_id = await _cached_download(cached_server, cached_server.deps)
    certificate = await Certificate.get(cert_id=cert_id)
    holder = await Account.get(id_number_hmac=certificate.holder_id_hmac)
    _in_another_process(
        db, 'UPDATE "session" SET revoked_at = now() WHERE account_id = $1', holder.id
    )
    assert await _status_within(cached_server, path, auth, 401) == 401, (
        "a session revoked elsewhere was still served from the cache"
    )


async def test_a_certificate_taken_from_its_holder_elsewhere_is_not_served(
    cached_server: ApiClient, db: str
) -> None:
    path, auth, cert_id = await _cached_download(cached_server, cached_server.deps)
    certificate = await Certificate.get(cert_id=cert_id)
    _in_another_process(
        db,
        "UPDATE certificate SET holder_id_hmac = 'detached' WHERE id = $1",
        certificate.id,
    )
    assert await _status_within(cached_server, path, auth, 404) == 404, (
        "a certificate detached elsewhere was still served to its former holder"
    )


async def test_while_the_listener_is_cut_off_nothing_is_served_from_the_cache(
    cached_server: ApiClient, db: str
) -> None:
    path, auth, _ = await _cached_download(cached_server, cached_server.deps)
    cache = _cache(cached_server)
    connection = await asyncpg.connect(**postgres_connect_kwargs(db))
    try:
        cut = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = current_database()",
            APPLICATION_NAME,
        )
    finally:
        await connection.close()
    assert cut == 1, "no listening connection of this server in pg_stat_activity"
    for _ in range(100):
        if not cache.listening:
            break
        await asyncio.sleep(0.02)
    assert not cache.listening and len(cache) == 0, "the cache kept serving without its feed"
    # Requests are answered from the database meanwhile, and the feed comes back by itself.
    assert (await cached_server.http.get(path, headers=auth)).status_code == 200
    for _ in range(250):
        if cache.listening:
            break
        await asyncio.sleep(0.02)
    assert cache.listening, "the feed did not reconnect"
