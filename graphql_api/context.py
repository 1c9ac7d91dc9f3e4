"""The per-request GraphQL context.

The catalog (reference data) is read once here, when the context is built, and reaches the
use cases as an argument (``catalog=info.context.catalog``): resolvers never look it up
themselves. ``current_catalog()`` rebuilds it only when the stored rows changed, so an entry
an admin added is in the catalog of every request that starts after the addition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as _Info

from graphql_api.loaders import Loaders
from graphql_api.private_results import PrivateAnswer
from schema.actor import Actor
from schema.http_edge.auth import RequestAuth, resolve_auth
from schema.http_edge.client import client_ip
from schema.http_edge.deps import Deps
from schema.reference.catalog import Catalog
from schema.services.reference import current_catalog

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
    catalog: Catalog
    #: Set by a resolver whose whole operation's answer is public and made from this
    #: revision only (the catalog): the transport may keep it (graphql_api.public_results).
    public_revision: object | None = None
    #: Set by a resolver whose answer is the whole operation's and made from one read it
    #: can repeat: the transport may keep it for this account (graphql_api.private_results).
    private_answer: PrivateAnswer | None = None

    @property
    def actor(self) -> Actor | None:
        return self.auth.actor

    @property
    def request_id(self) -> str | None:
        return getattr(self.request.state, "request_id", None)

    async def reload_catalog(self) -> Catalog:
        """Read the catalog again, for a mutation that changed the reference data."""
        self.catalog = await current_catalog()
        return self.catalog


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
            catalog=await current_catalog(),
        )

    return factory
