"""The holder's own issued certificates: 我的证书 (every version) and one certificate's
verification material (URL, check code, QR images).

Another holder's certificate is refused exactly like a missing one (``schema.access``).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from dataclasses import dataclass

from crypto import qr_png, qr_svg
from schema.access import holder_account, require_holder, require_holder_of
from schema.actor import Actor
from schema.errors import NotFound
from schema.models import Certificate, CertificateStatus
from schema.services.keys import get_by_key
from schema.services.narrow_rows import fetch_rows
from schema.services.paging import Page, check_page_size, decode_cursor, encode_cursor
from schema.storage import BlobNotFound, BlobStore

__all__ = [
    "HolderQr",
    "get_holder_certificate",
    "holder_qr",
    "my_certificates",
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


async def my_certificates(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[Certificate]:
    """Every version of the holder's certificates, in the order they were issued (a
    correction's new version after the one it replaces): one statement per page, only the
    columns the listing shows (the other attributes of the returned rows are not loaded)."""
    require_holder(actor)
    check_page_size(first)
    last = decode_cursor(MY_CERTIFICATES_CURSOR, after) if after else 0
    rows = await fetch_rows(_MY_PAGE, (actor.account_id, last, first + 1))
    items = [Certificate._init_from_db(**row) for row in rows[:first]]
    cursors = [encode_cursor(MY_CERTIFICATES_CURSOR, cert.id) for cert in items]
    return Page(items, cursors, len(rows) > first)


async def get_holder_certificate(*, actor: Actor, cert_id: str) -> Certificate:
    """One of the holder's own certificates (any version)."""
    account = await holder_account(actor)
    cert = await get_by_key(Certificate, cert_id=cert_id)
    return require_holder_of(account, cert, missing=_not_found())


@dataclass(frozen=True, kw_only=True)
class HolderQr:
    """The holder's verification material, read from the blob store (rendered at issuance)."""

    cert_id: str
    version: int
    status: CertificateStatus
    verification_url: str
    check_code: str
    qr_png: bytes
    qr_svg: bytes

    @property
    def qr_png_base64(self) -> str:
        return base64.b64encode(self.qr_png).decode("ascii")

    @property
    def qr_svg_text(self) -> str:
        return self.qr_svg.decode("utf-8")


async def holder_qr(*, actor: Actor, cert_id: str, store: BlobStore) -> HolderQr:
    """The holder's own certificate's QR images and URL. Anyone else: NotFound/Forbidden
    (from ``get_holder_certificate``: another holder's id looks exactly like a missing one)."""
    if not _CERT_ID_RE.fullmatch(cert_id):
        raise _not_found()
    cert = await get_holder_certificate(actor=actor, cert_id=cert_id)
    if not cert.verification_url:
        raise _not_found()
    if not (cert.qr_png_sha256 and cert.qr_svg_sha256):
        await _render_qr(cert, store)
    try:
        png, svg = await _stored_images(cert, store)
    except BlobNotFound:
        # The images are derived from the signed URL kept in the database: after a partial
        # restore (database without its blobs) draw them again instead of failing.
        _log.warning("QR images missing from the store: rendered again", extra={"cert": cert_id[:6]})
        await _render_qr(cert, store)
        png, svg = await _stored_images(cert, store)
    return HolderQr(
        cert_id=cert.cert_id,
        version=cert.version,
        status=cert.status,
        verification_url=cert.verification_url,
        check_code=cert.check_code or "",
        qr_png=png,
        qr_svg=svg,
    )


async def _stored_images(cert: Certificate, store: BlobStore) -> tuple[bytes, bytes]:
    assert cert.qr_png_sha256 and cert.qr_svg_sha256
    return await store.get(cert.qr_png_sha256), await store.get(cert.qr_svg_sha256)


async def _render_qr(cert: Certificate, store: BlobStore) -> None:
    """Draw and store a certificate's QR images on first use (bulk issuance leaves them
    to this, since drawing dominates issuing) or when their files are missing. Concurrent
    uses store identical blobs."""
    url = cert.verification_url or ""
    png, svg = await asyncio.to_thread(lambda: (qr_png(url, scale=6), qr_svg(url)))
    cert.qr_png_sha256, cert.qr_svg_sha256 = await store.put(png), await store.put(svg)
    await Certificate.filter(id=cert.id).update(
        qr_png_sha256=cert.qr_png_sha256, qr_svg_sha256=cert.qr_svg_sha256
    )
