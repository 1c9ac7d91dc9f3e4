"""Request ids, JSON structured logs and Prometheus metrics."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "Metrics",
    "RequestContextMiddleware",
    "configure_logging",
    "current_request_id",
    "logged_path",
]

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ecert_request_id", default=None
)
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_access_log = logging.getLogger("ecert.access")


def current_request_id() -> str | None:
    return _request_id.get()


def logged_path(path: str) -> str:
    """The path as the access log writes it: a scan's signed payload (``/V/{id}/{payload}``,
    the holder's claims: name, ID number, title) is left out; the certificate id stays."""
    if len(path) > 3 and path[0] == "/" and path[1] in "Vv" and path[2] == "/":
        cert_id, slash, payload = path[3:].partition("/")
        if slash and payload and payload != "photo":
            return f"{path[:3]}{cert_id}/…"
    return path


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    # uvicorn adds an ANSI-coloured copy of its message; it is noise in JSON.
    _RESERVED = frozenset(vars(logging.makeLogRecord({})).keys()) | {
        "message",
        "asctime",
        "color_message",
    }

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record.__dict__
        rid = fields.get("request_id") or current_request_id()
        if rid:
            entry["request_id"] = rid
        # The extras: a set difference in C, not a test per attribute (issue 10: this ran
        # once per request for the access log).
        for key in fields.keys() - self._RESERVED - entry.keys():
            value = fields[key]
            entry[key] = value if isinstance(value, (str, int, float, bool)) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(entry).decode("utf-8")
        except TypeError:  # an int beyond 64 bits, a lone surrogate: the slow, lenient way
            return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    # The records' caller, thread and process fields are never written (JsonFormatter), so
    # they are not collected: finding the caller walks the stack on every record, a fifth
    # of the access log's cost (the logging HOWTO's "Optimization" section).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # Our own access log replaces uvicorn's (it carries the request id).
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    """Prometheus metrics in a registry of the app's own (tests build many apps).

    Built only when ``/metrics`` is served (``ECERT_METRICS_TOKEN`` set): without a scraper
    nothing could read them, and prometheus_client (with the ``http.server``, ``wsgiref`` and
    ``urllib.request`` its exposition module imports) is not loaded at all."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ecert_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ecert_http_request_seconds",
            "HTTP request latency by route",
            ["route"],
            registry=self.registry,
        )


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path or "unmatched"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _INCOMING_ID.match(text) else None
    return None


class RequestContextMiddleware:
    """Assigns a request id (or keeps a well-formed incoming X-Request-ID), echoes it in the
    response, logs one JSON access line and records metrics.

    Pure ASGI and lean (it runs on every request, the verification page's included): one
    pass over the request headers, the labelled metric children kept in a dict instead of
    being looked up through ``labels()`` each time. ``metrics`` None: none recorded (no
    ``/metrics`` route to read them)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None) -> None:
        self.app = app
        self.metrics = metrics
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[str, Any] = {}

    def _record(self, method: str, route: str, status: int, elapsed: float) -> None:
        metrics = self.metrics
        if metrics is None:
            return
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = metrics.requests.labels(method, route, str(status))
            self._counters[(method, route, status)] = counter
        counter.inc()
        histogram = self._histograms.get(route)
        if histogram is None:
            histogram = self._histograms[route] = metrics.latency.labels(route)
        histogram.observe(elapsed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or secrets.token_hex(8)
        token = _request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            self._record(scope["method"], _route_label(scope), status, elapsed)
            if _access_log.isEnabledFor(logging.INFO):
                _access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": logged_path(scope["path"]),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            _request_id.reset(token)
