"""Looking a certificate up by its number and the holder's full name (the 查询 form).

For someone holding only the paper (or a photocopy) without a scannable code. It answers
only on an exact match of both, and the refusal for "no such number" is the very same as
for "wrong name", so the form cannot be used to learn which numbers exist. Every attempt —
successful or not — counts against the client address (a successful answer discloses the
certificate too), in the database so that all processes share the counter.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from schema.errors import NotFound, RateLimited
from schema.models import Certificate
from schema.reference.catalog import Catalog
from schema.rules import is_storable, normalize_certificate_number
from schema.services.throttle import FixedWindowCounter, minutes_left
from schema.services.verification import VerificationOutcome, verify_stored

__all__ = [
    "LOOKUP_LIMIT",
    "LOOKUP_WINDOW",
    "NO_MATCH_MESSAGE",
    "lookup_certificate",
    "normalize_holder_name",
]

LOOKUP_LIMIT = 10  # attempts per client address …
LOOKUP_WINDOW = timedelta(minutes=15)  # … in each fixed window (see schema.services.throttle)
NO_MATCH_MESSAGE = "未找到证书编号与持证人姓名均一致的证书，请核对后重新输入"
_ATTEMPTS = FixedWindowCounter("lookup:", limit=LOOKUP_LIMIT, window=LOOKUP_WINDOW)
_MAX_INPUT = 64
_NUMBER_MAX = 32  # the columns' sizes: longer input cannot match
_NAME_MAX = 50


def normalize_holder_name(raw: str) -> str:
    """As names are stored at registration: NFKC, trimmed, one space, one kind of middle dot."""
    name = unicodedata.normalize("NFKC", raw).strip()
    name = name.replace("•", "·").replace("・", "·")
    return re.sub(r"\s+", " ", name)


def _no_match() -> NotFound:
    # One object shape for every refusal: same code, same message, no field.
    return NotFound(NO_MATCH_MESSAGE, code="LOOKUP_NO_MATCH")


async def _admit(client_ip: str, now: datetime) -> None:
    """Count this attempt; raise RateLimited (after committing the count) when over the limit."""
    async with in_transaction() as conn:
        hit = await _ATTEMPTS.hit(client_ip, now=now, using_db=conn)
    if hit.refused and hit.blocked_until is not None:
        minutes = minutes_left(hit.blocked_until, now)
        raise RateLimited(f"查询次数过多，请{minutes}分钟后再试", code="LOOKUP_RATE_LIMITED")


async def lookup_certificate(
    *, number: str, holder_name: str, client_ip: str, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    """The public verdict for the certificate with exactly this number and holder name.

    Returns the current version of the certificate (corrections keep the number). Raises
    RateLimited, or NotFound(LOOKUP_NO_MATCH) — identical whether the number is unknown or
    the name is wrong.
    """
    await _admit(client_ip, now)
    clean_number = normalize_certificate_number(number[:_MAX_INPUT])
    clean_name = normalize_holder_name(holder_name[:_MAX_INPUT])
    if not (0 < len(clean_number) <= _NUMBER_MAX and 0 < len(clean_name) <= _NAME_MAX):
        raise _no_match()
    if not (is_storable(clean_number) and is_storable(clean_name)):  # NUL: no such record
        raise _no_match()
    # One query on both columns, so both refusals take the same path.
    found = (
        await Certificate.filter(number=clean_number, holder_name=clean_name)
        .order_by("-version")
        .limit(1)
        .values_list("cert_id", "signed_payload")
    )
    if not found:
        raise _no_match()
    cert_id, signed_payload = found[0]
    return await verify_stored(
        cert_id=cert_id, signed_payload=signed_payload, catalog=catalog, now=now
    )
