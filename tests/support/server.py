"""A real HTTP server (uvicorn on 127.0.0.1, ephemeral port) running the real app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from graphql_api.app import build_app
from schema.http_edge.deps import Deps


@dataclass
class LiveServer:
    base_url: str
    deps: Deps
    client: httpx.AsyncClient

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST a GraphQL operation; returns the decoded body (asserting HTTP 200)."""
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        resp = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=hdrs
        )
        assert resp.status_code == 200, f"HTTP {resp.status_code}: {resp.text[:500]}"
        return resp.json()


@contextlib.asynccontextmanager
async def live_server(deps: Deps) -> AsyncIterator[LiveServer]:
    """Serve ``build_app`` over real HTTP; the database is already open (manage_db=False)."""
    app = build_app(deps.settings, deps=deps, manage_db=False)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, lifespan="on", access_log=False
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
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        try:
            yield LiveServer(base_url=base, deps=deps, client=client)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, timeout=10)
