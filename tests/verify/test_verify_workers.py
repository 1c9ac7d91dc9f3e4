"""Two server processes on one database (both backends): each keeps its own in-process
verification caches, and neither ever serves a revoked or superseded certificate as valid.

Real `ecert serve` processes on 127.0.0.1; every certificate is scanned on both, twice,
so both caches are warm; the state then changes through the real use case in this process
(a third one) and the very next scan on each server tells the new state.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from schema.http_edge.deps import Deps
from schema.models import Certificate
from tests.support.flows import issue_yubei_certificate, make_people
from tests.support.settings import test_environ
from tests.verify.verify_support import local_path, revoke, supersede

JSON = {"Accept": "application/json"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), timeout=20)
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def _until_up(http: httpx.AsyncClient, proc: asyncio.subprocess.Process) -> None:
    for _ in range(1200):
        assert proc.returncode is None, f"server exited with {proc.returncode}"
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("server did not start")


@asynccontextmanager
async def _two_servers(deps: Deps) -> AsyncIterator[list[httpx.AsyncClient]]:
    environ = {
        **os.environ,
        **test_environ(
            database_url=deps.settings.database_url, data_dir=str(deps.settings.data_dir)
        ),
    }
    procs: list[asyncio.subprocess.Process] = []
    clients: list[httpx.AsyncClient] = []
    try:
        for _ in range(2):
            port = _free_port()
            procs.append(
                await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "graphql_api.cli", "serve", "--port", str(port)),
                    env=environ,
                    cwd=deps.settings.data_dir,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )
            clients.append(httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30))
        for http, proc in zip(clients, procs, strict=True):
            await _until_up(http, proc)
        yield clients
    finally:
        for http in clients:
            await http.aclose()
        for proc in procs:
            await _stop(proc)


async def _scan_everywhere(servers: list[httpx.AsyncClient], path: str) -> list[tuple[str, str]]:
    """(JSON state, the page's data-state) from each server."""
    seen = []
    for http in servers:
        body = (await http.get(path, headers=JSON)).json()
        page = (await http.get(path)).text
        state = page.split('data-state="', 1)[1].split('"', 1)[0]
        seen.append((body["state"], state))
    return seen


async def _warm(servers: list[httpx.AsyncClient], path: str) -> None:
    for _ in range(2):
        assert await _scan_everywhere(servers, path) == [("VALID", "VALID")] * 2


async def test_revocation_is_seen_at_once_by_every_worker(db: str, deps: Deps) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    path = local_path(cert.verification_url or "")
    async with _two_servers(deps) as servers:
        await _warm(servers, path)
        await revoke(people, cert)
        assert await _scan_everywhere(servers, path) == [("REVOKED", "REVOKED")] * 2
        for http in servers:
            page = (await http.get(path)).text
            assert ">已撤销<" in page and ">有效<" not in page
            assert (await http.get(path.lower(), headers=JSON)).json()["state"] == "REVOKED"


async def test_correction_is_seen_at_once_by_every_worker(db: str, deps: Deps) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    path = local_path(cert.verification_url or "")
    async with _two_servers(deps) as servers:
        await _warm(servers, path)
        current = await supersede(deps, people, cert)
        assert await _scan_everywhere(servers, path) == [("SUPERSEDED", "SUPERSEDED")] * 2
        current_path = local_path(current.verification_url or "")
        for http in servers:
            page = (await http.get(path)).text
            assert ">已更正<" in page and f'href="{current_path}"' in page
            body = (await http.get(path, headers=JSON)).json()
            assert body["superseded"]["currentVersion"]["path"] == current_path
            assert (await http.get(current_path, headers=JSON)).json()["state"] == "VALID"
    assert (await Certificate.get(id=cert.id)).superseded_by_id == current.id
