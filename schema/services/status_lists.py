"""Status lists: random entries for new certificate versions, and the signed lists published
at ``/status/{id}`` (``crypto.status_list``; ``docs/verification-format.md`` §12).

**Allocation.** Issuance draws each new version's entry inside its own transaction: the open
list's row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers), the
entries already used are read, and fresh ones are drawn with ``secrets`` — uniformly among the
free entries, so an index says nothing about when or for whom it was issued. The
``(status_list_id, status_index)`` unique index on the certificate table is the backstop. A
list that runs out is closed and the next one opened.

**Publication.** The list's state is read from the register on every request (one query: the
entries that are not valid) and the signed document is cached per process with the digest of
those entries. A revocation, a reinstatement or a correction changes them, so the next
request signs a new document (bound: 0 s); otherwise a document is re-signed once it is older
than :data:`REFRESH_AFTER`, so a fetched list is always good for most of its validity.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient

from crypto.canonical import MAX_STATUS_LIST_ID, STATUS_LIST_ENTRIES, StatusIndex
from crypto.status_list import EntryStatus, sign_status_list
from schema.enums import CertificateStatus
from schema.errors import InvalidState, NotFound
from schema.models import Certificate, StatusList
from schema.services.signing_keys import Signer

__all__ = [
    "REFRESH_AFTER",
    "STATUS_LIST_VALIDITY",
    "allocate_status_indexes",
    "published_status_list",
]

#: How long a signed list may be relied on (its ``exp``); verifiers refresh before that.
STATUS_LIST_VALIDITY = timedelta(hours=24)
#: A cached document older than this is signed again on the next request.
REFRESH_AFTER = timedelta(hours=1)

_ENTRY_OF = {
    CertificateStatus.REVOKED: EntryStatus.REVOKED,
    CertificateStatus.SUPERSEDED: EntryStatus.SUPERSEDED,
}
_RNG = secrets.SystemRandom()


def _draw(used: set[int], count: int) -> list[int]:
    """``count`` distinct entries not in ``used``, uniformly at random (CSPRNG)."""
    free = STATUS_LIST_ENTRIES - len(used)
    if free * 2 >= STATUS_LIST_ENTRIES and count * 4 <= free:
        picked: set[int] = set()
        while len(picked) < count:  # rejection sampling: cheap while the list is mostly free
            index = secrets.randbelow(STATUS_LIST_ENTRIES)
            if index not in used:
                picked.add(index)
        return list(picked)
    return _RNG.sample([i for i in range(STATUS_LIST_ENTRIES) if i not in used], count)


_PROBE_MAX = 64


async def _probe(list_id: int, count: int, conn: BaseDBAsyncClient) -> list[int]:
    """``count`` free entries of a list that is at most half used: candidates drawn uniformly
    (CSPRNG), the used ones among them read in one query, repeated until enough are free
    (each round keeps at least half of its candidates on average)."""
    picked: set[int] = set()
    while len(picked) < count:
        candidates = _draw(picked, 2 * (count - len(picked)))
        taken = await (
            Certificate.filter(status_list_id=list_id, status_index__in=candidates)
            .using_db(conn)
            .values_list("status_index", flat=True)
        )
        free = [i for i in candidates if i not in set(cast("list[Any]", taken))]
        picked.update(free[: count - len(picked)])
    return list(picked)


async def allocate_status_indexes(
    count: int, *, now: datetime, conn: BaseDBAsyncClient
) -> list[StatusIndex]:
    """``count`` fresh, distinct, random status-list entries; call inside the issuing
    transaction (``conn``) so that entries and certificates commit or roll back together."""
    result: list[StatusIndex] = []
    while len(result) < count:
        current = (
            await StatusList.filter(closed=False)
            .order_by("id")
            .select_for_update()
            .using_db(conn)
            .first()
        )
        if current is None:
            current = await StatusList.create(created_at=now, using_db=conn)
            if current.id > MAX_STATUS_LIST_ID:
                raise InvalidState("状态列表已用尽，无法签发新证书", code="STATUS_LISTS_EXHAUSTED")
        want = count - len(result)
        if current.assigned * 2 < STATUS_LIST_ENTRIES and want <= _PROBE_MAX:
            # A mostly free list and a few entries (an approval): probe random candidates
            # instead of reading every used entry (up to 131,072 rows per approval).
            drawn = await _probe(current.id, want, conn)
            result.extend(StatusIndex(current.id, i) for i in drawn)
            current.assigned += len(drawn)
            current.closed = current.assigned >= STATUS_LIST_ENTRIES
            await current.save(using_db=conn, update_fields=["assigned", "closed"])
            continue
        rows = (
            await Certificate.filter(status_list_id=current.id)
            .using_db(conn)
            .values_list("status_index", flat=True)
        )
        used: set[int] = {index for index in cast("list[Any]", rows) if isinstance(index, int)}
        take = min(STATUS_LIST_ENTRIES - len(used), want)
        result.extend(StatusIndex(current.id, i) for i in _draw(used, take))
        current.assigned = len(used) + take
        current.closed = current.assigned >= STATUS_LIST_ENTRIES
        await current.save(using_db=conn, update_fields=["assigned", "closed"])
    return result


@dataclass(frozen=True)
class _Signed:
    digest: bytes
    issued_at: datetime
    valid_until: datetime
    jws: str


_SIGNED: dict[tuple[str, int, str], _Signed] = {}
_MAX_CACHED = 256


async def published_status_list(
    list_id: int, *, signer: Signer, public_base_url: str, now: datetime
) -> str:
    """The signed list ``list_id`` as of now (compact JWS). Raises NotFound for a list that
    does not exist."""
    if not await StatusList.filter(id=list_id).exists():
        raise NotFound("状态列表不存在", code="STATUS_LIST_NOT_FOUND")
    rows = (
        await Certificate.filter(status_list_id=list_id)
        .exclude(status=CertificateStatus.VALID)
        .values_list("status_index", "status")
    )
    entries = {
        int(index): _ENTRY_OF[CertificateStatus(status)]
        for index, status in rows
        if index is not None and CertificateStatus(status) in _ENTRY_OF
    }
    digest = hashlib.sha256(repr(sorted(entries.items())).encode()).digest()
    issuer = public_base_url.lower().rstrip("/")
    issued_at = now.replace(microsecond=0)
    # The key that signs now: a rotation or a revocation is a new document at once.
    kid, private_key = await signer.private_key(issued_at)
    key = (issuer, list_id, kid)
    cached = _SIGNED.get(key)
    if (
        cached is not None
        and cached.digest == digest
        and cached.issued_at <= now < cached.issued_at + REFRESH_AFTER
    ):
        return cached.jws
    jws = await asyncio.to_thread(
        sign_status_list,
        issuer=issuer,
        list_id=list_id,
        entries=entries,
        issued_at=issued_at,
        valid_for=STATUS_LIST_VALIDITY,
        private_key=private_key,
        kid=kid,
    )
    if len(_SIGNED) >= _MAX_CACHED:
        _SIGNED.clear()
    _SIGNED[key] = _Signed(digest, issued_at, issued_at + STATUS_LIST_VALIDITY, jws)
    return jws
