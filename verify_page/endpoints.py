"""Public, read-only HTTP endpoints: the verification page, photos, the lookup form, JWKS,
the signed status lists.

``GET /V/{CERT_ID}/{PAYLOAD}`` (also ``/v/…``: some scanners lower-case URLs) answers HTML
to browsers and JSON to ``Accept: application/json``. The origin checked is always the
configured ``ECERT_PUBLIC_BASE_URL``, never the request's Host header.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crypto.key_list import trust_root_jwk as crypto_trust_root_jwk
from schema.errors import NotFound, RateLimited
from schema.http_edge.accept import Accept
from schema.http_edge.client import client_ip
from schema.services.key_list import published_key_list, trust_root
from schema.services.lookup import lookup_certificate
from schema.services.reference import current_catalog
from schema.services.signing_keys import published_jwks_body
from schema.services.status_lists import published_status_list
from schema.services.verification import certificate_photo, verify_scanned
from schema.storage import BlobNotFound
from verify_page.cors import ALLOW_ORIGIN, CORS_METHODS, cors_public
from verify_page.presenter import (
    STYLE_CSP_SOURCE,
    outcome_page,
    render_lookup,
    to_json,
)

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps

__all__ = [
    "JWKS_CACHE_CONTROL",
    "PAGE_HEADERS",
    "STATUS_LIST_MEDIA_TYPE",
    "verify_routes",
    "wants_json",
]

JWKS_CACHE_CONTROL = "public, max-age=300"
#: A status list is a compact JWS (``crypto.status_list``).
STATUS_LIST_MEDIA_TYPE = "application/ecert-status-list+jwt"

_COMMON_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "X-Robots-Tag": "noindex, nofollow",
}
#: Pages: no scripts at all, our own images and the one hashed inline stylesheet.
PAGE_HEADERS = {
    **_COMMON_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src "
        + STYLE_CSP_SOURCE
        + "; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    # The state can change at any moment (revocation): never serve it from a cache.
    "Cache-Control": "no-store",
    "Vary": "Accept",
}
_JSON_HEADERS = {
    **_COMMON_HEADERS,
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Vary": "Accept",
}
_PHOTO_HEADERS = {
    **_COMMON_HEADERS,
    "Content-Security-Policy": "default-src 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, max-age=300",
}


def wants_json(request: Request) -> bool:
    """JSON when the client names ``application/json`` and prefers it to HTML (browsers
    never do; ``*/*`` alone gets the page)."""
    return _prefers_json(request.headers.get("accept"))


@lru_cache(maxsize=256)
def _prefers_json(header: str | None) -> bool:
    # Clients send a handful of distinct Accept headers: parse each one once.
    accept = Accept.parse(header)
    json_q = accept.named("application/json")
    html_q = max(accept.quality("text/html"), accept.quality("application/xhtml+xml"))
    return json_q > 0 and json_q >= html_q


def _raw(headers: dict[str, str], media_type: str) -> list[tuple[bytes, bytes]]:
    return [
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
        (b"content-type", media_type.encode("latin-1")),
    ]


_RAW_PAGE_HEADERS = _raw(PAGE_HEADERS, "text/html; charset=utf-8")
_RAW_JSON_HEADERS = _raw(_JSON_HEADERS, "application/json")
# The verdict JSON of /V/… may be read by any origin's script (verify_page.cors); the
# lookup's JSON answers may not.
_RAW_VERDICT_JSON_HEADERS = _raw({**_JSON_HEADERS, **ALLOW_ORIGIN}, "application/json")
_PUBLIC_DOCUMENT_HEADERS = {
    "Cache-Control": JWKS_CACHE_CONTROL,
    **ALLOW_ORIGIN,
    "X-Content-Type-Options": "nosniff",
}
_RAW_JWKS_HEADERS = _raw(_PUBLIC_DOCUMENT_HEADERS, "application/json")
_RAW_STATUS_LIST_HEADERS = _raw(_PUBLIC_DOCUMENT_HEADERS, STATUS_LIST_MEDIA_TYPE)
_RAW_KEY_LIST_HEADERS = _raw(_PUBLIC_DOCUMENT_HEADERS, "application/jwt")
_RAW_TRUST_ROOT_HEADERS = _raw(_PUBLIC_DOCUMENT_HEADERS, "application/jwk+json")


class _Prepared(Response):
    """A complete body with headers encoded once at import (the verification answers)."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]], status: int) -> None:
        self.status_code = status
        self.body = body
        self.background = None
        self.raw_headers = [*raw_headers, (b"content-length", str(len(body)).encode())]


def _html(body: str, status_code: int = 200) -> Response:
    return _Prepared(body.encode("utf-8"), _RAW_PAGE_HEADERS, status_code)


def _json(body: Any, status_code: int = 200) -> Response:
    return _Prepared(orjson.dumps(body), _RAW_JSON_HEADERS, status_code)


def verify_routes(deps: Deps) -> list[BaseRoute]:
    """The public routes, bound to the process's dependencies."""
    settings = deps.settings

    async def verify(request: Request) -> Response:
        outcome = await verify_scanned(
            cert_id=request.path_params["cert_id"],
            payload=request.path_params["payload"],
            catalog=await current_catalog(),
            now=deps.clock(),
        )
        if wants_json(request):
            return _Prepared(orjson.dumps(to_json(outcome)), _RAW_VERDICT_JSON_HEADERS, 200)
        return _Prepared(outcome_page(outcome), _RAW_PAGE_HEADERS, 200)

    async def photo(request: Request) -> Response:
        try:
            data = await certificate_photo(cert_id=request.path_params["cert_id"], store=deps.store)
        except BlobNotFound:  # the record names a photo whose file is lost (partial restore)
            return Response(
                "证书照片文件缺失，请联系发证机关",
                status_code=410,
                media_type="text/plain; charset=utf-8",
                headers={**_PHOTO_HEADERS, "Cache-Control": "no-store"},
            )
        if data is None:
            return Response(
                "未找到", status_code=404, media_type="text/plain", headers=_PHOTO_HEADERS
            )
        return Response(data, media_type="image/jpeg", headers=_PHOTO_HEADERS)

    async def lookup(request: Request) -> Response:
        as_json = wants_json(request)
        if request.method == "GET":
            return _html(render_lookup())
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                raw = await request.json()
            except ValueError:
                raw = None
            fields = raw if isinstance(raw, dict) else {}
        else:
            form = await request.form(max_files=0, max_fields=8)
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        number, name = fields.get("number"), fields.get("holderName")
        try:
            outcome = await lookup_certificate(
                number=number if isinstance(number, str) else "",
                holder_name=name if isinstance(name, str) else "",
                client_ip=client_ip(request, settings.trusted_proxies),
                catalog=await current_catalog(),
                now=deps.clock(),
            )
        except (NotFound, RateLimited) as exc:
            status = 429 if isinstance(exc, RateLimited) else 404
            if as_json:
                return _json(
                    {"found": False, "error": {"code": exc.code, "message": exc.message}}, status
                )
            return _html(render_lookup(message=exc.message), status)
        if as_json:
            return _json({"found": True, **to_json(outcome)})
        return _Prepared(outcome_page(outcome), _RAW_PAGE_HEADERS, 200)

    async def jwks(request: Request) -> Response:
        return _Prepared(await published_jwks_body(), _RAW_JWKS_HEADERS, 200)

    async def status_list(request: Request) -> Response:
        try:
            jws = await published_status_list(
                request.path_params["list_id"],
                signer=deps.issuer.signer,
                public_base_url=settings.public_base_url,
                now=deps.clock(),
            )
        except NotFound as exc:
            return Response(exc.message, status_code=404, media_type="text/plain; charset=utf-8")
        return _Prepared(jws.encode("ascii"), _RAW_STATUS_LIST_HEADERS, 200)

    async def key_list(request: Request) -> Response:
        try:
            jws = await published_key_list(
                passphrase=settings.signing_passphrase.reveal(),
                public_base_url=settings.public_base_url,
                now=deps.clock(),
            )
        except NotFound as exc:
            return Response(exc.message, status_code=404, media_type="text/plain; charset=utf-8")
        return _Prepared(jws.encode("ascii"), _RAW_KEY_LIST_HEADERS, 200)

    async def trust_root_jwk(request: Request) -> Response:
        try:
            root = await trust_root()
        except NotFound as exc:
            return Response(exc.message, status_code=404, media_type="text/plain; charset=utf-8")
        return _Prepared(orjson.dumps(crypto_trust_root_jwk(root)), _RAW_TRUST_ROOT_HEADERS, 200)

    return [
        # Scans first (the hottest route); the photo route before the payload route, since
        # "photo" could otherwise be read as a payload.
        Route("/V/{cert_id}/photo", photo, name="certificate_photo"),
        Route("/V/{cert_id}/{payload}", cors_public(verify), methods=CORS_METHODS, name="verify"),
        Route("/v/{cert_id}/photo", photo),
        Route("/v/{cert_id}/{payload}", cors_public(verify), methods=CORS_METHODS),
        Route("/.well-known/jwks.json", cors_public(jwks), methods=CORS_METHODS, name="jwks"),
        Route(
            "/.well-known/ecert-keys.jwt",
            cors_public(key_list),
            methods=CORS_METHODS,
            name="key_list",
        ),
        Route(
            "/.well-known/ecert-trust-root.jwk",
            cors_public(trust_root_jwk),
            methods=CORS_METHODS,
            name="trust_root",
        ),
        Route(
            "/status/{list_id:int}",
            cors_public(status_list),
            methods=CORS_METHODS,
            name="status_list",
        ),
        Route("/lookup", lookup, methods=["GET", "POST"], name="lookup"),
    ]
