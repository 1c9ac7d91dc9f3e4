"""The holder's own issued certificates: 我的证书 (every version) and one certificate's
verification material (URL, check code, QR images).

Another holder's certificate is refused exactly like a missing one (``schema.access``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from crypto.qr import qr_images
from schema.access import holder_account, require_holder, require_holder_of
from schema.actor import Actor
from schema.errors import NotAuthenticated, NotFound
from schema.models import Certificate, CertificateStatus
from schema.services import sessions
from schema.services.access_cache import AccessCache
from schema.services.keys import get_by_key
from schema.services.narrow_rows import fetch_rows
from schema.services.paging import Page, check_page_size, decode_cursor, encode_cursor
from schema.storage import BlobNotFound, BlobStore

__all__ = [
    "HolderQr",
    "get_holder_certificate",
    "holder_qr",
    "holder_qr_for_session",
    "my_certificates",
    "my_certificates_revision",
]

MY_CERTIFICATES_CURSOR = "mc"
# The 26-character base32 certificate id (crypto.qr's CERT_ID): anything else is not looked up.
_CERT_ID_RE = re.compile(r"[A-Z2-7]{26}")
_log = logging.getLogger("ecert.holder_qr")


def _not_found() -> NotFound:
    return NotFound("证书不存在", code="CERTIFICATE_NOT_FOUND", field="certId")


# What a certificate's listing shows (graphql_api.types.certificate): not the signature,
# the QR hashes or the revocation note. The holder is named by the account's id-number HMAC,
# read in the same statement, so the account is not loaded again after the session.
_PAGE_COLUMNS = (
    "id, cert_id, lineage_id, number, version, status, holder_name, holder_id_masked, level, "
    "series_code, title_name, way_obtained, specialty, approval_document, obtained_on, "
    "issued_on, authority_code, review_body, validity_scope, provenance, issued_at, "
    "superseded_by_id, superseded_at, revoked_at, revocation_reason"
)
_MY_PAGE = (
    f"SELECT {_PAGE_COLUMNS} FROM certificate WHERE holder_id_hmac = "  # noqa: S608 (constants only)
    '(SELECT id_number_hmac FROM "account" WHERE id = {}) AND id > {} ORDER BY id LIMIT {}'
)


async def _my_page_rows(actor: Actor, first: int, after: str | None) -> list[dict[str, object]]:
    require_holder(actor)
    check_page_size(first)
    last = decode_cursor(MY_CERTIFICATES_CURSOR, after) if after else 0
    return await fetch_rows(_MY_PAGE, (actor.account_id, last, first + 1))


def _rows_revision(rows: list[dict[str, object]]) -> bytes:
    """A digest of the rows, every column as read: equal digests, equal pages."""
    return hashlib.blake2b(orjson.dumps(rows, default=str), digest_size=16).digest()


async def my_certificates(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[Certificate]:
    """Every version of the holder's certificates, in the order they were issued (a
    correction's new version after the one it replaces): one statement per page, only the
    columns the listing shows (the other attributes of the returned rows are not loaded).
    The page carries the :func:`my_certificates_revision` of the rows it was made from."""
    rows = await _my_page_rows(actor, first, after)
    items = [Certificate._init_from_db(**row) for row in rows[:first]]
    cursors = [encode_cursor(MY_CERTIFICATES_CURSOR, cert.id) for cert in items]
    return Page(items, cursors, len(rows) > first, revision=_rows_revision(rows))


async def my_certificates_revision(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> bytes:
    """The revision of the page :func:`my_certificates` would make now (the same statement,
    digested): an answer made from a page with this revision is still the answer."""
    return _rows_revision(await _my_page_rows(actor, first, after))


async def get_holder_certificate(*, actor: Actor, cert_id: str) -> Certificate:
    """One of the holder's own certificates (any version)."""
    account = await holder_account(actor)
    cert = await get_by_key(Certificate, cert_id=cert_id)
    return require_holder_of(account, cert, missing=_not_found())


@dataclass(frozen=True, kw_only=True)
class HolderQr:
    """The holder's verification material: the QR images come from the blob store (drawn
    once, at the first download), addressed by their SHA-256 (``qr_png_sha256``, which the
    HTTP route also sends as the ETag)."""

    cert_id: str
    version: int
    status: CertificateStatus
    verification_url: str
    check_code: str
    qr_png: bytes
    qr_svg: bytes
    qr_png_sha256: str
    qr_svg_sha256: str

    @property
    def qr_png_base64(self) -> str:
        return base64.b64encode(self.qr_png).decode("ascii")

    @property
    def qr_svg_text(self) -> str:
        return self.qr_svg.decode("utf-8")


# What holder_qr reads: one narrow row, not the 37 columns, and only if the actor's account
# holds the certificate (its id-number HMAC). Plain SQL: building it with the ORM cost more
# than running it. Both keys are unique, so this is two index lookups.
_HOLDER_QR_SQL = (
    "SELECT c.id, c.version, c.status, c.verification_url, c.check_code,"
    " c.qr_png_sha256, c.qr_svg_sha256"
    " FROM certificate c JOIN account a ON a.id_number_hmac = c.holder_id_hmac"
    " WHERE c.cert_id = {} AND a.id = {}"
)


# The same, with the session it is asked under: the holder's QR image route reads its
# session and the certificate in one statement (two round trips were most of that route).
_HOLDER_QR_BY_SESSION_SQL = (
    f"SELECT {sessions.SESSION_COLUMNS}, c.id AS certificate_id, c.version, c.status,"
    " c.verification_url, c.check_code, c.qr_png_sha256, c.qr_svg_sha256"
    f" {sessions.SESSION_FROM}"
    " LEFT JOIN certificate c ON c.cert_id = {} AND c.holder_id_hmac = a.id_number_hmac"
    " WHERE s.token_hash = {}"
)


async def holder_qr(*, actor: Actor, cert_id: str, store: BlobStore) -> HolderQr:
    """The holder's own certificate's QR images and URL. Anyone else: NotFound/Forbidden
    (another holder's id looks exactly like a missing one). One query: the certificate's
    row if the actor's account holds it."""
    if not _CERT_ID_RE.fullmatch(cert_id):
        raise _not_found()
    require_holder(actor)
    rows = await fetch_rows(_HOLDER_QR_SQL, [cert_id, actor.account_id])
    if not rows or not rows[0]["verification_url"]:
        raise _not_found()
    return await _holder_qr_of_row(rows[0], rows[0]["id"], cert_id, store)


async def holder_qr_for_session(
    *,
    token: str | None,
    cert_id: str,
    store: BlobStore,
    now: datetime,
    cache: AccessCache | None = None,
) -> HolderQr:
    """:func:`holder_qr` for the session of ``token``, checked exactly as
    ``sessions.authenticate`` checks it (NotAuthenticated otherwise), in one statement,
    or none when ``cache`` (PostgreSQL, listening for changes) holds the row."""
    if not token or len(token) > sessions.MAX_TOKEN_CHARS:
        raise NotAuthenticated()
    wanted = cert_id if _CERT_ID_RE.fullmatch(cert_id) else ""
    digest = sessions.token_digest(token)
    key = (digest, wanted)
    row = cache.get(key) if cache is not None else None
    if row is None:
        generation = cache.generation if cache is not None else 0
        rows = await fetch_rows(_HOLDER_QR_BY_SESSION_SQL, [wanted, digest])
        row = rows[0] if rows else None
        fetched = True
    else:
        fetched = False
    # A cached row is checked exactly as a fresh one, against this request's clock.
    found = sessions.session_actor(row, now=now) if row is not None else None
    if row is None or found is None:
        raise NotAuthenticated()
    require_holder(found[0])
    if row["certificate_id"] is None or not row["verification_url"]:
        raise _not_found()
    answer = await _holder_qr_of_row(row, row["certificate_id"], cert_id, store)
    if fetched and cache is not None and row["qr_png_sha256"] and row["qr_svg_sha256"]:
        cache.put(key, row, generation=generation)
    return answer


async def _holder_qr_of_row(
    row: dict[str, Any], certificate_id: int, cert_id: str, store: BlobStore
) -> HolderQr:
    url: str = row["verification_url"]
    keys: tuple[str | None, str | None] = (row["qr_png_sha256"], row["qr_svg_sha256"])
    try:
        png, svg = await _stored_images(keys, store)
    except BlobNotFound:
        if keys[0] and keys[1]:
            # The images are derived from the signed URL kept in the database: after a
            # partial restore (database without its blobs) draw them again, don't fail.
            _log.warning(
                "QR images missing from the store: rendered again", extra={"cert": cert_id[:6]}
            )
        keys, (png, svg) = await _render_qr(certificate_id, url, store)
    assert keys[0] and keys[1]
    return HolderQr(
        cert_id=cert_id,
        version=row["version"],
        status=CertificateStatus(row["status"]),
        verification_url=url,
        check_code=row["check_code"] or "",
        qr_png=png,
        qr_svg=svg,
        qr_png_sha256=keys[0],
        qr_svg_sha256=keys[1],
    )


async def _stored_images(
    keys: tuple[str | None, str | None], store: BlobStore
) -> tuple[bytes, bytes]:
    """Both images, or BlobNotFound (also when never drawn: approval leaves that to here)."""
    png_key, svg_key = keys
    if not (png_key and svg_key):
        raise BlobNotFound(png_key or svg_key or "")
    return await store.get_cached(png_key), await store.get_cached(svg_key)


async def _render_qr(
    certificate_id: int, url: str, store: BlobStore
) -> tuple[tuple[str, str], tuple[bytes, bytes]]:
    """Draw and store a certificate's QR images on first use (issuance leaves them to this,
    since drawing dominated issuing) or when their files are missing: one symbol, both
    formats. Concurrent first downloads store identical blobs and write the same keys."""
    png, svg = await asyncio.to_thread(qr_images, url, scale=6)
    keys = await store.put(png), await store.put(svg)
    await Certificate.filter(id=certificate_id).update(qr_png_sha256=keys[0], qr_svg_sha256=keys[1])
    return keys, (png, svg)
