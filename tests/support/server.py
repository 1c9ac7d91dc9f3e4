"""A real HTTP server (uvicorn on 127.0.0.1, ephemeral port) running the real app.

Most tests drive the app in-process (``tests.support.client.in_process``); one test per
feature, the browser tests and the command-line ``--fetch`` go through this server, so the
real socket, HTTP parser and lifespan under uvicorn stay covered.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import httpx
import uvicorn

from graphql_api.app import build_app
from schema.http_edge.deps import Deps
from tests.support.client import ApiClient

__all__ = ["free_port", "live_server"]


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS does not hand it out again at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def live_server(
    deps: Deps, *, access_log: bool = False, port: int = 0
) -> AsyncIterator[ApiClient]:
    """Serve ``build_app`` over real HTTP; the database is already open (manage_db=False).
    ``access_log``: uvicorn's own access log too (production disables it for ours).
    ``port``: a fixed port (see :func:`free_port`), for a server that must know its own
    origin before it starts (``ECERT_PUBLIC_BASE_URL``); 0 picks an ephemeral one."""
    app = build_app(deps.settings, deps=deps, manage_db=False)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, lifespan="on", access_log=access_log
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        try:
            yield ApiClient(http=http, deps=deps, base_url=base)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, timeout=10)
