"""CORS for the public, read-only documents a third-party page may fetch — and nothing else.

``Access-Control-Allow-Origin: *`` is sent by exactly these answers: the verdict JSON of
``GET /V/…`` (``Accept: application/json``), ``/.well-known/jwks.json``, the signed key list
``/.well-known/ecert-keys.jwt`` and its trust root ``/.well-known/ecert-trust-root.jwk``, the
issuer's DID document ``/.well-known/did.json``, ``/.well-known/ecert-document-root.pem`` and
the status lists ``/status/{id}``. They are
public, carry no credentials and hold nothing a holder's session could reveal, so any
origin may read them. GraphQL, login, the holder's files and every other route keep the
browser's same-origin rule (no CORS header at all). ``OPTIONS`` on the allowed routes
answers a preflight (``GET``/``HEAD``, request header ``Accept``), although a plain
``fetch()`` with an ``Accept`` header never needs one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["ALLOW_ORIGIN", "CORS_METHODS", "cors_public"]

ALLOW_ORIGIN = {"Access-Control-Allow-Origin": "*"}
#: The methods of a route wrapped by :func:`cors_public`.
CORS_METHODS = ["GET", "HEAD", "OPTIONS"]
_PREFLIGHT = {
    **ALLOW_ORIGIN,
    "Access-Control-Allow-Methods": "GET, HEAD",
    "Access-Control-Allow-Headers": "Accept",
    "Access-Control-Max-Age": "86400",
    "Cache-Control": "public, max-age=86400",
    "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
}

Endpoint = Callable[[Request], Awaitable[Response]]


def cors_public(endpoint: Endpoint) -> Endpoint:
    """``endpoint`` answering CORS preflights itself; register it with :data:`CORS_METHODS`.
    The endpoint still adds ``ALLOW_ORIGIN`` to the answers that may be shared."""

    async def wrapped(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=_PREFLIGHT)
        return await endpoint(request)

    return wrapped
