"""A finished document batch's ZIP over plain HTTP GET: ``/document-batches/{id}.zip``.

For the reviewers of the batch's authority and administrators (401 without a login, 403
for other roles, 404 for another authority's batch or one that does not exist, 409 while
it is still being made). Authentication is the GraphQL endpoint's (bearer token or session
cookie); the route only reads, so a cookie needs no CSRF token. The file is streamed from
the blob store as an attachment and never cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from graphql_api.collection_routes import content_disposition, refusal
from schema.errors import DomainError, InvalidState, NotAuthenticated, NotFound
from schema.http_edge.auth import resolve_auth
from schema.services.document_batches import batch_result
from schema.storage import BlobNotFound

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps

__all__ = ["batch_path", "document_batch_routes"]

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def batch_path(batch_id: str) -> str:
    """Where a finished batch's ZIP downloads (login as a reviewer of its authority)."""
    return f"/document-batches/{batch_id}.zip"


def document_batch_routes(deps: Deps) -> list[BaseRoute]:
    async def download(request: Request) -> Response:
        auth = await resolve_auth(request, now=deps.clock())
        if auth.actor is None:
            return refusal(NotAuthenticated())
        batch_id = request.path_params["batch_id"]
        try:
            result = await batch_result(actor=auth.actor, batch_id=batch_id, store=deps.store)
        except BlobNotFound:
            return refusal(NotFound("批量文件不存在", code="DOCUMENT_BATCH_FILE_MISSING"), 404)
        except InvalidState as exc:  # not finished yet
            return refusal(exc, 409)
        except DomainError as exc:
            return refusal(exc)
        disposition = content_disposition(f"证书文件-{batch_id}.zip", result.filename)
        return FileResponse(
            result.path,
            media_type="application/zip",
            headers={**_HEADERS, "Content-Disposition": disposition, "ETag": f'"{result.sha256}"'},
        )

    return [Route("/document-batches/{batch_id}.zip", download, name="document_batch_zip")]
