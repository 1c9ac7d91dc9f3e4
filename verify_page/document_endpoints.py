"""``/verify-document``: upload a certificate PDF, get its seal, QR and status checked.

``GET`` is the form; ``POST`` takes the file as ``multipart/form-data`` (field
``document``) or as a bare ``application/pdf`` body, and answers the result page, or JSON
to ``Accept: application/json`` (as ``/V/…``). The verdict is always 200; refusals are
400 (not a PDF, unreadable, no file), 413 (over 10 MB) and 429 (too many checks from one
address).

The body is read with a hard bound: a declared length far over the limit is refused at
once, and a body that grows past the limit is drained without being kept, so at most
``MAX_DOCUMENT_BYTES`` plus the multipart framing is ever held. The POST is public and
changes nothing but the per-address counter, so it needs no CSRF token; the pages carry
the same strict headers as the other public pages (no scripts, ``form-action 'self'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message

from schema.errors import DomainError, InvalidInput, RateLimited
from schema.http_edge.client import client_ip
from schema.services.document_verification import (
    MAX_DOCUMENT_BYTES,
    document_too_large,
    verify_document,
)
from schema.services.reference import current_catalog
from verify_page.document_presenter import (
    document_json,
    render_document_form,
    render_document_verdict,
)
from verify_page.endpoints import PAGE_HEADERS, wants_json

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps

__all__ = ["document_routes"]

#: The multipart framing and a field or two around the file.
_BODY_LIMIT = MAX_DOCUMENT_BYTES + 64 * 1024
#: A declared body this large is not even drained: refused before a byte is read.
_DRAIN_LIMIT = 4 * _BODY_LIMIT
_JSON_HEADERS = {
    **PAGE_HEADERS,
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


class _TooLarge(Exception):
    pass


async def _bounded_body(request: Request) -> bytes:
    """The request body, at most ``_BODY_LIMIT`` bytes kept; raises _TooLarge beyond."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _DRAIN_LIMIT:
        raise _TooLarge()
    body = bytearray()
    over = False
    async for chunk in request.stream():
        if over:
            continue  # drain, so the client reads our answer instead of a reset
        body += chunk
        if len(body) > _BODY_LIMIT:
            over, body = True, bytearray()
    if over:
        raise _TooLarge()
    return bytes(body)


async def _uploaded_file(request: Request, body: bytes) -> bytes:
    """The PDF in the buffered body: a bare application/pdf body or the multipart field."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        form = await Request(request.scope, replay).form(max_files=1, max_fields=4)
        try:
            upload = form.get("document")
            if isinstance(upload, UploadFile):
                return await upload.read()
        finally:
            await form.close()
        raise InvalidInput.one("DOCUMENT_MISSING", "请选择要核验的证书PDF文件", "document")
    if body:
        return body
    raise InvalidInput.one("DOCUMENT_MISSING", "请选择要核验的证书PDF文件", "document")


def _page(html: str, status: int = 200) -> Response:
    return Response(
        html, status_code=status, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
    )


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers=_JSON_HEADERS,
    )


def _refusal(exc: DomainError, status: int, as_json: bool) -> Response:
    if as_json:
        return _json({"error": {"code": exc.code, "message": exc.message}}, status)
    return _page(render_document_form(message=exc.message), status)


def document_routes(deps: Deps) -> list[BaseRoute]:
    """The upload form and its answer, bound to the process's dependencies."""
    settings = deps.settings

    async def verify_document_route(request: Request) -> Response:
        if request.method == "GET":
            return _page(render_document_form())
        as_json = wants_json(request)
        try:
            body = await _bounded_body(request)
        except _TooLarge:
            return _refusal(document_too_large(), 413, as_json)
        try:
            pdf = await _uploaded_file(request, body)
            del body
            verdict = await verify_document(
                pdf,
                client_ip=client_ip(request, settings.trusted_proxies),
                public_base_url=settings.public_base_url,
                catalog=await current_catalog(),
                now=deps.clock(),
            )
        except RateLimited as exc:
            return _refusal(exc, 429, as_json)
        except InvalidInput as exc:
            return _refusal(exc, 413 if exc.code == "DOCUMENT_TOO_LARGE" else 400, as_json)
        if as_json:
            return _json(document_json(verdict))
        return _page(render_document_verdict(verdict))

    return [
        Route(
            "/verify-document",
            verify_document_route,
            methods=["GET", "POST"],
            name="verify_document",
        )
    ]
