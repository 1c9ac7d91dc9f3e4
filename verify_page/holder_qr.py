"""The holder's own QR code as files: ``/certificates/{cert_id}/qr.png`` and ``qr.svg``.

The one authenticated route of this package (bearer token or session cookie, as for
GraphQL). The images are drawn once, at the first download, and then served from the blob
store byte for byte: what the holder prints stays exactly what was first drawn. An image
whose file is missing (a restore without the blobs) is drawn again from the signed URL in
the database.

A stored image is named by its SHA-256, which is therefore its strong ``ETag``: a client
sending it back in ``If-None-Match`` gets ``304 Not Modified`` and no body.
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


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``*`` or any listed tag equal to ``etag`` by weak comparison."""
    if not if_none_match:
        return False
    tags = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return any(tag in ("*", etag) for tag in tags)


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
        if kind == "png":
            etag, body, media_type = f'"{found.qr_png_sha256}"', found.qr_png, "image/png"
        else:
            etag, body, media_type = f'"{found.qr_svg_sha256}"', found.qr_svg, "image/svg+xml"
        headers = {
            **_HEADERS,
            "Content-Disposition": f'inline; filename="{name}"',
            "ETag": etag,
        }
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media_type, headers=headers)

    async def png(request: Request) -> Response:
        return await serve(request, "png")

    async def svg(request: Request) -> Response:
        return await serve(request, "svg")

    return [
        Route("/certificates/{cert_id}/qr.png", png, name="holder_qr_png"),
        Route("/certificates/{cert_id}/qr.svg", svg, name="holder_qr_svg"),
    ]
