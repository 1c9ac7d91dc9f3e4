"""A finished document batch's ZIP over plain HTTP GET: ``/document-batches/{id}.zip``.

For the reviewers of the batch's authority and administrators (401 without a login, 403
for other roles, 404 for another authority's batch or one that does not exist, 409 while
it is still being made). Authentication is the GraphQL endpoint's (bearer token or session
cookie); the route only reads, so a cookie needs no CSRF token. The file is streamed from
the blob store as an attachment and never cached (``graphql_api.batch_downloads``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from graphql_api.batch_downloads import attachment_headers, batch_download
from schema.actor import Actor
from schema.errors import NotFound
from schema.services.document_batches import batch_result

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps

__all__ = ["batch_path", "document_batch_routes"]


def batch_path(batch_id: str) -> str:
    """Where a finished batch's ZIP downloads (login as a reviewer of its authority)."""
    return f"/document-batches/{batch_id}.zip"


def document_batch_routes(deps: Deps) -> list[BaseRoute]:
    async def send_zip(request: Request, actor: Actor, batch_id: str) -> Response:
        result = await batch_result(actor=actor, batch_id=batch_id, store=deps.store)
        return FileResponse(
            result.path,
            media_type="application/zip",
            headers=attachment_headers(f"证书文件-{batch_id}.zip", result.filename, result.sha256),
        )

    download = batch_download(
        deps,
        send_zip,
        missing=NotFound("批量文件不存在", code="DOCUMENT_BATCH_FILE_MISSING"),
    )
    return [Route("/document-batches/{batch_id}.zip", download, name="document_batch_zip")]
