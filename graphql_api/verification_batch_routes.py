"""A finished batch check's report over plain HTTP GET, for the employer account that made it:

* ``/verification-batches/{id}/report.jwt`` — the signed report (compact JWS,
  ``docs/verification-format.md`` §15), byte for byte as stored: what ``ecert verify-report``
  checks offline;
* ``/verification-batches/{id}/report.csv`` — the same lines for people (UTF-8 with BOM).

401 without a login, 403 for any role but an employer's, 404 for another account's batch or
one that does not exist, 409 while it is still being answered. Authentication is the GraphQL
endpoint's (bearer token or session cookie); the routes only read, so a cookie needs no CSRF
token. Attachments, never cached (``graphql_api.batch_downloads``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from graphql_api.batch_downloads import attachment_headers, batch_download
from schema.actor import Actor
from schema.errors import NotFound
from schema.services.verification_batches import report_csv, verification_report

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps

__all__ = ["report_path", "verification_batch_routes"]

_MEDIA = {"jwt": "application/jwt", "csv": "text/csv; charset=utf-8"}


def report_path(batch_id: str, extension: str = "jwt") -> str:
    """Where a finished batch's report downloads (login as the employer account)."""
    return f"/verification-batches/{batch_id}/report.{extension}"


def verification_batch_routes(deps: Deps) -> list[BaseRoute]:
    async def send_report(request: Request, actor: Actor, batch_id: str) -> Response:
        extension = request.path_params["extension"]
        if extension not in _MEDIA:
            raise NotFound("文件不存在", code="NOT_FOUND")
        report = await verification_report(actor=actor, batch_id=batch_id, store=deps.store)
        if extension == "csv":
            body = await asyncio.to_thread(report_csv, report.jws)
        else:
            body = report.jws.encode("ascii")
        return Response(
            body,
            media_type=_MEDIA[extension],
            headers=attachment_headers(
                f"批量核验报告-{batch_id}.{extension}",
                f"ecert-report-{batch_id}.{extension}",
                report.sha256,
            ),
        )

    download = batch_download(
        deps,
        send_report,
        missing=NotFound("核验报告文件不存在", code="VERIFICATION_REPORT_MISSING"),
    )
    return [
        Route(
            "/verification-batches/{batch_id}/report.{extension}",
            download,
            name="verification_batch_report",
        )
    ]
