"""The holder's own files: the QR code (``/certificates/{cert_id}/qr.png`` and ``qr.svg``)
and the certificate as a document (``certificate.pdf``, sealed; ``card.png``, the phone
card; ``qr-label.png``, the QR with its check code printed under it; ``credential.json``,
the version as a W3C Verifiable Credential signed at download), plus the document sealing
root at ``/.well-known/ecert-document-root.pem`` and the issuer's DID document at
``/.well-known/did.json`` (both public).

The authenticated routes of this package (bearer token or session cookie, as for
GraphQL). The images are drawn once, at the first download, and then served from the blob
store byte for byte: what the holder prints stays exactly what was first drawn. An image
whose file is missing (a restore without the blobs) is drawn again from the signed URL in
the database.

A stored image is named by its SHA-256, which is therefore its strong ``ETag``: a client
sending it back in ``If-None-Match`` gets ``304 Not Modified`` and no body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from schema.errors import DomainError, Forbidden, InvalidState, NotAuthenticated, NotFound
from schema.http_edge.auth import request_token, resolve_auth
from schema.models import DocumentKind
from schema.services.certificate_documents import DocumentUnavailable, account_document
from schema.services.credentials import holder_credential, published_did_document_body
from schema.services.document_seal import SealNotConfigured, root_certificate_pem
from schema.services.holder_certificates import holder_qr_for_session
from schema.storage import StorageError
from verify_page.cors import ALLOW_ORIGIN, CORS_METHODS, cors_public

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps

__all__ = ["CREDENTIAL_MEDIA_TYPE", "holder_qr_routes"]

#: W3C VC Data Model 2.0 §C.1: a credential with an embedded proof.
CREDENTIAL_MEDIA_TYPE = "application/vc"

# A QR image that must be drawn again (first download, or its file lost) but cannot be
# stored: the server's storage, not the request, is at fault.
_STATUS = {
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    StorageError: 503,
    SealNotConfigured: 503,
    DocumentUnavailable: 503,
}
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # An SVG opened directly must not run anything.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, max-age=3600",
}


def _refusal(exc: DomainError, *, status: int | None = None) -> Response:
    status = status or next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 400)
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
        try:
            # The session and the certificate in one read (the route's hot path).
            found = await holder_qr_for_session(
                token=request_token(request),
                cert_id=request.path_params["cert_id"],
                store=deps.store,
                now=deps.clock(),
                cache=deps.access_cache,
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

    async def document(request: Request, kind: DocumentKind) -> Response:
        auth = await resolve_auth(request, now=deps.clock())
        if auth.actor is None:
            return _refusal(NotAuthenticated())
        try:
            found = await account_document(
                actor=auth.actor,
                cert_id=request.path_params["cert_id"],
                kind=kind,
                renderer=deps.documents,
            )
        except DomainError as exc:
            return _refusal(exc)
        etag = f'"{found.sha256}"'
        disposition = "attachment" if kind is DocumentKind.PDF else "inline"
        headers = {
            **_HEADERS,
            "Content-Disposition": f'{disposition}; filename="{found.filename}"',
            "ETag": etag,
            # A version's file changes once, when the version is superseded or revoked.
            "Cache-Control": "private, no-cache",
        }
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(found.body, media_type=found.media_type, headers=headers)

    async def pdf(request: Request) -> Response:
        return await document(request, DocumentKind.PDF)

    async def card(request: Request) -> Response:
        return await document(request, DocumentKind.CARD)

    async def qr_label(request: Request) -> Response:
        return await document(request, DocumentKind.QR_LABEL)

    async def document_root(request: Request) -> Response:
        pem = await root_certificate_pem()
        if pem is None:
            return _refusal(SealNotConfigured())
        return Response(
            pem,
            media_type="application/x-pem-file",
            headers={
                "Cache-Control": "public, max-age=3600",
                "X-Content-Type-Options": "nosniff",
                **ALLOW_ORIGIN,
            },
        )

    async def credential(request: Request) -> Response:
        auth = await resolve_auth(request, now=deps.clock())
        if auth.actor is None:
            return _refusal(NotAuthenticated())
        try:
            document = await holder_credential(
                actor=auth.actor,
                cert_id=request.path_params["cert_id"],
                signer=deps.issuer.signer,
                public_base_url=deps.settings.public_base_url,
                now=deps.clock(),
            )
        except InvalidState as exc:  # no key can sign now: the server's state, not the request
            return _refusal(exc, status=503)
        except DomainError as exc:
            return _refusal(exc)
        name = f"ecert-{request.path_params['cert_id'][:8]}-credential.json"
        headers = {
            **_HEADERS,
            "Content-Disposition": f'attachment; filename="{name}"',
            # Signed at each download (its proof's ``created`` is the download time).
            "Cache-Control": "private, no-store",
        }
        return Response(orjson.dumps(document), media_type=CREDENTIAL_MEDIA_TYPE, headers=headers)

    async def did_json(request: Request) -> Response:
        body = await published_did_document_body(deps.settings.public_base_url)
        return Response(
            body,
            media_type="application/json",
            headers={
                "Cache-Control": "public, max-age=300",
                "X-Content-Type-Options": "nosniff",
                **ALLOW_ORIGIN,
            },
        )

    return [
        # The QR image first: the hottest of these routes.
        Route("/certificates/{cert_id}/qr.png", png, name="holder_qr_png"),
        Route("/certificates/{cert_id}/qr.svg", svg, name="holder_qr_svg"),
        Route("/certificates/{cert_id}/credential.json", credential, name="holder_credential"),
        Route("/.well-known/did.json", cors_public(did_json), methods=CORS_METHODS, name="did"),
        Route("/certificates/{cert_id}/certificate.pdf", pdf, name="holder_certificate_pdf"),
        Route("/certificates/{cert_id}/card.png", card, name="holder_certificate_card"),
        Route("/certificates/{cert_id}/qr-label.png", qr_label, name="holder_qr_label"),
        Route(
            "/.well-known/ecert-document-root.pem",
            cors_public(document_root),
            methods=CORS_METHODS,
            name="document_root",
        ),
    ]
