"""The per-request GraphQL context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as _Info

from graphql_api.loaders import Loaders
from schema.actor import Actor
from schema.http_edge.auth import RequestAuth, resolve_auth
from schema.http_edge.client import client_ip
from schema.http_edge.deps import Deps

__all__ = ["Context", "Info", "make_context_factory"]


@dataclass
class Context:
    request: Request
    response: Response
    deps: Deps
    auth: RequestAuth
    now: datetime
    client_ip: str
    loaders: Loaders

    @property
    def actor(self) -> Actor | None:
        return self.auth.actor

    @property
    def request_id(self) -> str | None:
        return getattr(self.request.state, "request_id", None)


Info = _Info[Context, None]


def make_context_factory(deps: Deps):
    async def factory(request: Request, response: Response) -> Context:
        now = deps.clock()
        return Context(
            request=request,
            response=response,
            deps=deps,
            auth=await resolve_auth(request, now=now),
            now=now,
            client_ip=client_ip(request, deps.settings.trusted_proxies),
            loaders=Loaders(),
        )

    return factory
