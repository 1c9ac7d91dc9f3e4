"""What the batch download routes share: a finished batch's stored file over plain HTTP GET.

``graphql_api.document_batch_routes`` (a document batch's ZIP) and
``graphql_api.verification_batch_routes`` (a batch check's report) differ only in how they
find the batch for the actor and what they send; both refuse the same way: 401 without a
login, the error's own status (403, 404, …) when the service refuses, 404 when the stored
file is gone, 409 while the batch is not finished. Authentication is the GraphQL
endpoint's (bearer token or session cookie); the routes only read, so a cookie needs no
CSRF token. Files go out as attachments, never cached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from graphql_api.collection_routes import content_disposition, refusal
from schema.actor import Actor
from schema.errors import DomainError, InvalidState, NotAuthenticated, NotFound
from schema.http_edge.auth import resolve_auth
from schema.storage import BlobNotFound

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps

__all__ = ["attachment_headers", "batch_download"]

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}

#: Sends one batch's file: ``(request, actor, batch_id) -> response``. It may raise the
#: service's refusals (DomainError, InvalidState while unfinished, BlobNotFound).
Fetch = Callable[[Request, Actor, str], Awaitable[Response]]


def attachment_headers(name: str, fallback: str, sha256: str) -> dict[str, str]:
    """The headers of a downloaded batch file: ``name`` (Chinese) after the ASCII
    ``fallback``, the stored file's SHA-256 as the ETag, never cached."""
    disposition = content_disposition(name, fallback)
    return {**_HEADERS, "Content-Disposition": disposition, "ETag": f'"{sha256}"'}


def batch_download(
    deps: Deps, fetch: Fetch, *, missing: NotFound
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of a route with a ``{batch_id}`` path parameter: authenticates, then
    answers with ``fetch``, turning its refusals into JSON errors (``missing`` with 404 when
    the stored file is gone)."""

    async def download(request: Request) -> Response:
        auth = await resolve_auth(request, now=deps.clock())
        if auth.actor is None:
            return refusal(NotAuthenticated())
        try:
            return await fetch(request, auth.actor, request.path_params["batch_id"])
        except BlobNotFound:
            return refusal(missing, 404)
        except InvalidState as exc:  # not finished yet
            return refusal(exc, 409)
        except DomainError as exc:
            return refusal(exc)

    return download
