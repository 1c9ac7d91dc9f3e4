"""The certificate as a document: the sealed PDF, the phone card and the QR label.

Each file of a certificate version is rendered once, at its first download, stored in the
blob store and recorded in ``certificate_file``; later downloads serve the stored bytes.
A file is kept per status the version is shown in: once a version is superseded or
revoked, the next download renders (once) a copy watermarked 已更正 / 已撤销, and the valid
copy is never served again. The PDF is sealed (PAdES B-T) under the issuing authority's
certificate (``schema.services.document_seal``).

Who may have a file: the holder (``holder_document``), a reviewer of the certificate's
authority or an administrator (``staff_document``) — ``account_document`` picks between the
two by the signed-in account's role — and the operator at the command line
(``operator_document``). Anyone else's request looks exactly like a missing certificate.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError

from schema import documents
from schema.access import holder_account, is_holder_of, is_reviewer_of, require_holder
from schema.actor import Actor
from schema.documents.model import CertificateDocument
from schema.enums import Role
from schema.errors import DomainError, NotFound
from schema.models import Certificate, CertificateFile, CertificateStatus, DocumentKind
from schema.reference.catalog import Catalog
from schema.services.document_seal import DocumentSealer
from schema.services.reference import current_catalog
from schema.storage import BlobNotFound, BlobStore

__all__ = [
    "DocumentFile",
    "DocumentRenderer",
    "DocumentUnavailable",
    "account_document",
    "document_of",
    "holder_document",
    "operator_document",
    "staff_document",
]

_log = logging.getLogger("ecert.documents")
_CERT_ID_RE = re.compile(r"[A-Z2-7]{26}")
_MEDIA_TYPES = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.CARD: "image/png",
    DocumentKind.QR_LABEL: "image/png",
}
_SUFFIXES = {
    DocumentKind.PDF: "pdf",
    DocumentKind.CARD: "card.png",
    DocumentKind.QR_LABEL: "qr-label.png",
}


class DocumentUnavailable(DomainError):
    """The server cannot render documents (its CJK font is missing): an operator's fix."""

    default_code = "DOCUMENT_FONT_MISSING"
    default_message = "证书文件暂时无法生成，请联系管理员"


def _not_found() -> NotFound:
    return NotFound("证书不存在", code="CERTIFICATE_NOT_FOUND", field="certId")


@dataclass(frozen=True)
class DocumentFile:
    cert_id: str
    version: int
    kind: DocumentKind
    shown_status: CertificateStatus
    body: bytes
    sha256: str

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self.kind]

    @property
    def filename(self) -> str:
        return f"ecert-{self.cert_id[:8]}-v{self.version}.{_SUFFIXES[self.kind]}"


def document_of(cert: Certificate, catalog: Catalog, photo: bytes | None) -> CertificateDocument:
    """The display values of one issued version (names from the reference catalog)."""
    if not (cert.verification_url and cert.check_code and cert.signed_at):
        raise _not_found()  # not issued (an unsigned row is never shown as a certificate)
    return CertificateDocument(
        holder_name=cert.holder_name,
        holder_id_masked=cert.holder_id_masked,
        number=cert.number,
        level=catalog.name_of("level", cert.level) or cert.level,
        series=catalog.name_of("series", cert.series_code) or cert.series_code,
        title_name=cert.title_name,
        specialty=catalog.specialty_name(cert.series_code, cert.specialty) or cert.specialty,
        way_obtained=catalog.name_of("way_obtained", cert.way_obtained) or cert.way_obtained,
        approval_document=cert.approval_document,
        obtained_on=cert.obtained_on,
        issued_on=cert.issued_on,
        authority_name=catalog.name_of("authority", cert.authority_code) or cert.authority_code,
        review_body=cert.review_body,
        validity_scope=catalog.name_of("validity_scope", cert.validity_scope)
        or cert.validity_scope,
        version=cert.version,
        cert_id=cert.cert_id,
        signed_at=cert.signed_at,
        verification_url=cert.verification_url,
        check_code=cert.check_code,
        photo_jpeg=photo,
        # 已更正 / 已撤销 across a version that is no longer current.
        watermark=None if cert.status is CertificateStatus.VALID else cert.status.label,
    )


def _render(kind: DocumentKind, doc: CertificateDocument) -> bytes:
    # Attribute access loads the renderers at the first document (``schema.documents``).
    if kind is DocumentKind.PDF:
        return documents.render_certificate_pdf(doc)
    if kind is DocumentKind.CARD:
        return documents.render_card_png(doc)
    return documents.render_qr_label_png(doc.verification_url, doc.check_code)


class DocumentRenderer:
    """Renders, seals and stores a version's files once; serves them from the store after."""

    def __init__(
        self, *, store: BlobStore, sealer: DocumentSealer, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._sealer = sealer
        self._clock = clock

    async def file_for(self, cert: Certificate, kind: DocumentKind) -> DocumentFile:
        status = CertificateStatus(cert.status)
        row = await CertificateFile.get_or_none(
            certificate_id=cert.id, kind=kind, shown_status=status.value
        )
        if row is not None:
            try:
                body = await self._store.get(row.blob_sha256)
                return self._file(cert, kind, status, body, row.blob_sha256)
            except BlobNotFound:
                _log.warning("document file missing from the store: rendered again")
        body = await self._render(cert, kind)
        key = await self._store.put(body)
        if row is not None:
            row.blob_sha256, row.byte_size, row.rendered_at = key, len(body), self._clock()
            await row.save(update_fields=["blob_sha256", "byte_size", "rendered_at"])
            return self._file(cert, kind, status, body, key)
        try:
            await CertificateFile.create(
                certificate_id=cert.id,
                kind=kind,
                shown_status=status.value,
                blob_sha256=key,
                byte_size=len(body),
                rendered_at=self._clock(),
            )
        except IntegrityError:
            # Another request rendered the same file first: serve that one, so every
            # download of a version in a status is the same bytes.
            winner = await CertificateFile.get(
                certificate_id=cert.id, kind=kind, shown_status=status.value
            )
            key = winner.blob_sha256
            body = await self._store.get(key)
        return self._file(cert, kind, status, body, key)

    async def _render(self, cert: Certificate, kind: DocumentKind) -> bytes:
        photo = None
        if cert.photo_sha256 and kind is not DocumentKind.QR_LABEL:
            try:
                photo = await self._store.get(cert.photo_sha256)
            except BlobNotFound:
                _log.warning("certificate photo missing from the store: rendered without it")
        doc = document_of(cert, await current_catalog(), photo)
        try:
            body = await asyncio.to_thread(_render, kind, doc)
        except documents.FontMissing as exc:
            _log.error("cannot render certificate documents: %s", exc)
            raise DocumentUnavailable() from exc
        if kind is DocumentKind.PDF:
            body = await self._sealer.seal(
                body, authority_code=cert.authority_code, authority_name=doc.authority_name
            )
        return body

    @staticmethod
    def _file(
        cert: Certificate, kind: DocumentKind, status: CertificateStatus, body: bytes, key: str
    ) -> DocumentFile:
        return DocumentFile(cert.cert_id, cert.version, kind, status, body, key)


async def _issued(cert_id: str) -> Certificate:
    if not _CERT_ID_RE.fullmatch(cert_id):
        raise _not_found()
    cert = await Certificate.get_or_none(cert_id=cert_id)
    if cert is None or not cert.verification_url:
        raise _not_found()
    return cert


async def holder_document(
    *, actor: Actor, cert_id: str, kind: DocumentKind, renderer: DocumentRenderer
) -> DocumentFile:
    """A file of the holder's own certificate (any version, watermarked when not valid)."""
    require_holder(actor)
    cert = await _issued(cert_id)
    if not is_holder_of(await holder_account(actor), cert):
        raise _not_found()
    return await renderer.file_for(cert, kind)


async def staff_document(
    *, actor: Actor, cert_id: str, kind: DocumentKind, renderer: DocumentRenderer
) -> DocumentFile:
    """A file of a certificate of the reviewer's own authority (administrators: any)."""
    cert = await _issued(cert_id)
    if not is_reviewer_of(actor, cert.authority_code):
        raise _not_found()
    return await renderer.file_for(cert, kind)


async def account_document(
    *, actor: Actor, cert_id: str, kind: DocumentKind, renderer: DocumentRenderer
) -> DocumentFile:
    """A file for the signed-in account, whoever it is: an applicant gets their own
    certificate's (``holder_document``), staff one of their authority's
    (``staff_document``). The download routes call this one use case."""
    use_case = holder_document if actor.role is Role.APPLICANT else staff_document
    return await use_case(actor=actor, cert_id=cert_id, kind=kind, renderer=renderer)


async def operator_document(
    *, cert_id: str, kind: DocumentKind, renderer: DocumentRenderer
) -> DocumentFile:
    """``ecert certificate pdf``: the operator on the server's machine, who holds the
    database and the passphrase already."""
    return await renderer.file_for(await _issued(cert_id), kind)
