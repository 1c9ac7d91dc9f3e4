"""Request → actor. Bearer tokens for client apps; an HttpOnly cookie for browsers.

A cookie-authenticated *mutation* must also carry the session's CSRF token in the
``X-CSRF-Token`` header (the login payload returns it); bearer requests need none,
since a browser never attaches them on its own.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from starlette.requests import Request

from schema.actor import Actor
from schema.services.sessions import authenticate, token_digest

__all__ = ["COOKIE_NAME", "CSRF_HEADER", "RequestAuth", "request_token", "resolve_auth"]

COOKIE_NAME = "ecert_session"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class RequestAuth:
    actor: Actor | None
    method: Literal["bearer", "cookie", "none"]
    csrf_ok: bool
    token: str | None = None


def request_token(request: Request) -> str | None:
    """The session token ``request`` carries, unchecked (no database read): the bearer
    token, else the cookie. A malformed ``Authorization`` header carries none (it never
    falls back to the cookie)."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return request.cookies.get(COOKIE_NAME) or None


async def resolve_auth(request: Request, *, now: datetime) -> RequestAuth:
    """Who sent ``request``: a bearer token wins over the cookie; a malformed
    ``Authorization`` header authenticates no one (it never falls back to the cookie)."""
    header = request.headers.get("authorization", "")
    if header:
        token = request_token(request)
        if token is None:
            return RequestAuth(None, "none", False)
        found = await authenticate(token, now=now)
        return RequestAuth(found[0] if found else None, "bearer", True, token)
    cookie = request.cookies.get(COOKIE_NAME)
    if cookie:
        found = await authenticate(cookie, now=now)
        if found is None:
            return RequestAuth(None, "cookie", False)
        actor, session = found
        sent = request.headers.get(CSRF_HEADER, "")
        csrf_ok = bool(sent) and hmac.compare_digest(token_digest(sent), session.csrf_hash)
        return RequestAuth(actor, "cookie", csrf_ok, cookie)
    return RequestAuth(None, "none", False)
