"""Security headers every answer of the service carries, set in one place.

* ``X-Content-Type-Options: nosniff`` on every response: a browser never guesses a type
  other than the one declared (a JSON answer quoting user input is never run as HTML).
* ``Cache-Control: no-store`` on every response that does not state its own policy: API
  answers carry tokens and personal data (the login payload, ``me`` with the full ID
  number, reports, photos) that no browser or proxy cache may keep. Routes that decide
  their own caching (the public verification pages, the JWK Set, certificate photos) set
  ``Cache-Control`` themselves and keep it; the GraphiQL assets under ``/static/`` are
  public files and are left alone.
* ``Strict-Transport-Security`` when the service's public origin is https
  (``Settings.hsts``): browsers then never talk to it over plain http again.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HSTS_VALUE", "SecurityHeadersMiddleware"]

#: One year; subdomains are not included: they may be other services of the operator.
HSTS_VALUE = "max-age=31536000"
_HSTS = HSTS_VALUE.encode("latin-1")


class SecurityHeadersMiddleware:
    """Adds the headers above to each HTTP response (pure ASGI: bodies stream through)."""

    def __init__(
        self, app: ASGIApp, *, hsts: bool, cacheable_prefixes: tuple[str, ...] = ("/static/",)
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.cacheable_prefixes = cacheable_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(self.cacheable_prefixes)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                # ASGI header names are lower-case bytes: one pass finds what is already set.
                present = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in present:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if not cacheable and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if self.hsts and b"strict-transport-security" not in present:
                    headers.append((b"strict-transport-security", _HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
