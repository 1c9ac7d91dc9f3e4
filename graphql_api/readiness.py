"""``/readyz``: can this process do its work — the database, blob storage, the signing key.

Each check is reported by name in the JSON body; any failure answers 503 so a load
balancer stops sending traffic and an operator sees which part is wrong::

    {"status": "unavailable", "database": "ok", "storage": "full", "signingKey": "locked",
     "reasons": ["storage: no space left where files are kept", "signingKey: …"]}

* ``database`` — a query answers (``ok`` / ``unreachable``).
* ``storage`` — a probe file can be written and removed under the blob directory
  (``ok`` / ``full`` / ``unwritable``).
* ``signingKey`` — the key that signs now opens with the configured passphrase
  (``ok`` / ``locked``). ``no-key`` (none created yet) does not fail readiness: issuance
  refuses with NO_SIGNING_KEY and ``ecert keys create`` fixes it without a restart, while
  the public verification the service exists for works.

Paths and OS messages go to the log, never to the body (the endpoint is unauthenticated).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import Tortoise

from schema.services.signing_keys import SigningReadiness
from schema.storage import StorageError, StorageFull

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from schema.http_edge.deps import Deps

__all__ = ["check_readiness", "log_startup_checks", "readiness_endpoint"]

_log = logging.getLogger("ecert.readiness")
_CHECK_TIMEOUT_SECONDS = 5.0


async def check_readiness(deps: Deps) -> tuple[bool, dict[str, Any]]:
    """Run the three checks; (ready, JSON body)."""
    body: dict[str, Any] = {}
    reasons: list[str] = []
    try:
        await asyncio.wait_for(
            Tortoise.get_connection("default").execute_query("SELECT 1"),
            timeout=_CHECK_TIMEOUT_SECONDS,
        )
        body["database"] = "ok"
    except Exception:  # any failure means "not ready"; the reason goes to the log
        _log.exception("readiness: database check failed")
        body["database"] = "unreachable"
        reasons.append("database: a query did not answer")

    try:
        await asyncio.wait_for(deps.store.check_writable(), timeout=_CHECK_TIMEOUT_SECONDS)
        body["storage"] = "ok"
    except StorageError as exc:
        full = isinstance(exc, StorageFull)
        _log.error("readiness: blob storage not writable: %s", exc.detail)
        body["storage"] = "full" if full else "unwritable"
        reasons.append(
            "storage: no space left where files are kept"
            if full
            else "storage: files cannot be written (read-only, permissions or not a directory)"
        )
    except TimeoutError:
        _log.error("readiness: blob storage probe did not finish in time")
        body["storage"] = "unwritable"
        reasons.append("storage: a probe write did not finish in time")

    if body["database"] == "ok":
        state, kid = await deps.issuer.signer.readiness(deps.clock())
        body["signingKey"] = state.value
        if kid:
            body["signingKid"] = kid
        if state is SigningReadiness.LOCKED:
            reasons.append(
                f"signingKey: the signing passphrase does not open key {kid}: "
                "check ECERT_SIGNING_PASSPHRASE (verification is not affected)"
            )
    else:
        body["signingKey"] = "unknown"

    ready = not reasons
    body = {"status": "ready" if ready else "unavailable", **body}
    if reasons:
        body["reasons"] = reasons
    return ready, body


def readiness_endpoint(deps: Deps) -> Callable[[Request], Awaitable[Response]]:
    async def readyz(request: Request) -> Response:
        ready, body = await check_readiness(deps)
        return JSONResponse(
            body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"}
        )

    return readyz


async def log_startup_checks(deps: Deps) -> None:
    """At startup: one clear log line for each thing that would stop the service from
    working (it starts anyway, so verification keeps answering; ``/readyz`` fails)."""
    try:
        ready, body = await check_readiness(deps)
    except Exception:  # never stop the start-up over a diagnostic
        _log.exception("startup checks failed")
        return
    for reason in body.get("reasons", []):
        _log.error("not ready: %s", reason)
    if body.get("signingKey") == SigningReadiness.NO_KEY.value:
        _log.warning("no signing key can sign: run `ecert keys create` before issuing")
    if ready:
        _log.info("startup checks passed", extra={"signing_kid": body.get("signingKid", "")})
