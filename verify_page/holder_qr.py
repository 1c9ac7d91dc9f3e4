"""The holder's own QR code as files: ``/certificates/{cert_id}/qr.png`` and ``qr.svg``.

The one authenticated route of this package (bearer token or session cookie, as for
GraphQL). The images were rendered once at issuance and are served from the blob store
byte for byte: what the holder prints is exactly what was issued. An image whose file is
missing (a restore without the blobs) is drawn again from the signed URL in the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from schema.errors import DomainError, Forbidden, NotAuthenticated, NotFound
from schema.http_edge.auth import resolve_auth
from schema.services.holder_certificates import holder_qr
from schema.storage import StorageError

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps

__all__ = ["holder_qr_routes"]

# A QR image that must be drawn again (first download, or its file lost) but cannot be
# stored: the server's storage, not the request, is at fault.
_STATUS = {NotAuthenticated: 401, Forbidden: 403, NotFound: 404, StorageError: 503}
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # An SVG opened directly must not run anything.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, max-age=3600",
}


def _refusal(exc: DomainError) -> Response:
    status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return JSONResponse(
        {"error": {"code": exc.code, "message": exc.message}},
        status_code=status,
        headers={**headers, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def holder_qr_routes(deps: Deps) -> list[BaseRoute]:
    async def serve(request: Request, kind: str) -> Response:
        auth = await resolve_auth(request, now=deps.clock())
        if auth.actor is None:
            return _refusal(NotAuthenticated())
        try:
            found = await holder_qr(
                actor=auth.actor, cert_id=request.path_params["cert_id"], store=deps.store
            )
        except DomainError as exc:
            return _refusal(exc)
        name = f"ecert-{found.cert_id[:8]}-v{found.version}.{kind}"
        headers = {**_HEADERS, "Content-Disposition": f'inline; filename="{name}"'}
        if kind == "png":
            return Response(found.qr_png, media_type="image/png", headers=headers)
        return Response(found.qr_svg, media_type="image/svg+xml", headers=headers)

    async def png(request: Request) -> Response:
        return await serve(request, "png")

    async def svg(request: Request) -> Response:
        return await serve(request, "svg")

    return [
        Route("/certificates/{cert_id}/qr.png", png, name="holder_qr_png"),
        Route("/certificates/{cert_id}/qr.svg", svg, name="holder_qr_svg"),
    ]
