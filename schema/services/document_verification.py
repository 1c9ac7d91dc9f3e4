"""Verifying a certificate document: an uploaded PDF → one verdict on three checks.

1. **The seal** (文件签章): the PAdES signature of the PDF, validated against the current
   document root in the database (``crypto.pdf_signature.check_pdf_signature``; the root is
   the one published at ``/.well-known/ecert-document-root.pem``).
2. **The QR code** (证书二维码): the first page is rendered and its QR code decoded
   (``crypto.pdf_qr``); its URL must be on this service's official origin, and it is then
   verified exactly as a scan of the code is (``schema.services.verification.verify_text``,
   the same verdict as the ``/V/…`` page: signature, register, current state).
3. **The current status** (当前状态): 有效 / 已更正 / 已撤销 from that verdict.

Cross-check: the authority that sealed the document (the signing certificate's OU) must
be the certificate's issuing authority. The document is *genuine and current* only when
every check agrees; otherwise each disagreement is a :class:`DocumentFinding` with a stable
code and a Chinese explanation, the most serious first.

Limits: at most :data:`MAX_DOCUMENT_BYTES`; bytes that are not a PDF are refused before any
parsing (typed ``InvalidInput``: DOCUMENT_TOO_LARGE, DOCUMENT_NOT_PDF, DOCUMENT_UNREADABLE,
DOCUMENT_TOO_MANY_PAGES); the PDF work runs in a worker thread, at most two documents at a
time per process; each client address may check :data:`CHECK_LIMIT` documents per
:data:`CHECK_WINDOW` (DOCUMENT_CHECK_RATE_LIMITED). Nothing is written but that counter.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from crypto import UrlFormatError, parse_verification_url
from crypto.pdf_qr import PdfQrError, PdfQrProblem, decode_pdf_qr
from schema.enums import DocumentFinding, VerificationState
from schema.errors import InvalidInput, RateLimited
from schema.reference.catalog import Catalog
from schema.services.document_seal import root_certificate_pem
from schema.services.throttle import FixedWindowCounter, minutes_left
from schema.services.verification import VerificationOutcome, verify_text

if TYPE_CHECKING:
    from crypto.pdf_signature import PdfSignatureReport

__all__ = [
    "CHECK_LIMIT",
    "CHECK_WINDOW",
    "MAX_DOCUMENT_BYTES",
    "DocumentVerdict",
    "check_document_bytes",
    "document_too_large",
    "looks_like_pdf",
    "verify_document",
]

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
CHECK_LIMIT = 30  # documents per client address …
CHECK_WINDOW = timedelta(minutes=15)  # … in each fixed window (schema.services.throttle)
_CHECKS = FixedWindowCounter("document-check:", limit=CHECK_LIMIT, window=CHECK_WINDOW)
# Rendering and signature validation are CPU-bound: at most this many at once per process.
_WORKERS = threading.BoundedSemaphore(2)


GENUINE_LABEL = "文件真实，证书当前有效"

_SEAL_FINDINGS = {
    "modified": DocumentFinding.DOCUMENT_MODIFIED,
    "not_whole_document": DocumentFinding.DOCUMENT_MODIFIED,
    "no_signature": DocumentFinding.SEAL_MISSING,
    "untrusted": DocumentFinding.SEAL_UNTRUSTED,
}
_QR_FINDINGS = {
    PdfQrProblem.NO_QR: DocumentFinding.QR_NOT_FOUND,
    PdfQrProblem.UNREADABLE: DocumentFinding.QR_NOT_FOUND,
    PdfQrProblem.SEVERAL_QR: DocumentFinding.QR_AMBIGUOUS,
}
_STATE_FINDINGS = {
    VerificationState.UNVERIFIABLE: DocumentFinding.QR_UNVERIFIABLE,
    VerificationState.REVOKED: DocumentFinding.CERTIFICATE_REVOKED,
    VerificationState.SUPERSEDED: DocumentFinding.CERTIFICATE_SUPERSEDED,
    VerificationState.KEY_REVOKED: DocumentFinding.CERTIFICATE_KEY_REVOKED,
}


@dataclass(frozen=True, kw_only=True)
class DocumentVerdict:
    """The three checks of one document and what they add up to."""

    checked_at: datetime
    size: int
    signature: PdfSignatureReport
    #: The QR code's text, or None with ``qr_problem`` (a ``PdfQrProblem`` value, or
    #: ``not_official`` for a code that is not a verification URL of this service).
    qr_text: str | None
    qr_problem: str | None
    #: The verdict of the ``/V/…`` page for the QR code (None when there is no official QR).
    outcome: VerificationOutcome | None
    #: The sealing authority equals the certificate's (None: nothing to compare).
    authority_matches: bool | None
    findings: tuple[DocumentFinding, ...]

    @property
    def genuine_and_current(self) -> bool:
        return not self.findings

    @property
    def conclusion_code(self) -> str:
        return "GENUINE_CURRENT" if not self.findings else self.findings[0].value

    @property
    def conclusion(self) -> str:
        return GENUINE_LABEL if not self.findings else self.findings[0].label


def looks_like_pdf(data: bytes) -> bool:
    """The PDF header, allowing the leading whitespace readers tolerate."""
    return bytes(data[:1024]).lstrip(b"\x00\t\n\f\r ").startswith(b"%PDF-")


def document_too_large() -> InvalidInput:
    """The refusal of a document over :data:`MAX_DOCUMENT_BYTES` (also raised by the web
    edge when the upload itself is over the bound, before it is read)."""
    return InvalidInput.one(
        "DOCUMENT_TOO_LARGE",
        f"文件过大：证书文件不能超过{MAX_DOCUMENT_BYTES // (1024 * 1024)}MB",
        "document",
    )


def check_document_bytes(pdf: bytes) -> None:
    """Refuse, before any parsing, what is too large or is not a PDF at all."""
    if len(pdf) > MAX_DOCUMENT_BYTES:
        raise document_too_large()
    if not looks_like_pdf(pdf):
        raise InvalidInput.one(
            "DOCUMENT_NOT_PDF", "所选文件不是PDF文件，请上传证书的PDF文件", "document"
        )


async def _admit(client_ip: str, now: datetime) -> None:
    """Count this check; raise RateLimited (after committing the count) over the limit."""
    async with in_transaction() as conn:
        hit = await _CHECKS.hit(client_ip, now=now, using_db=conn)
    if hit.refused and hit.blocked_until is not None:
        minutes = minutes_left(hit.blocked_until, now)
        raise RateLimited(
            f"核验文件次数过多，请{minutes}分钟后再试", code="DOCUMENT_CHECK_RATE_LIMITED"
        )


@dataclass(frozen=True, slots=True)
class _Inspected:
    signature: PdfSignatureReport
    qr_text: str | None
    qr_problem: PdfQrProblem | None


def _inspect(pdf: bytes, roots: list[bytes]) -> _Inspected:
    """The CPU work, in a worker thread: the QR code (PDFium; bounds the page count before
    the signature is validated), then the seal (pyHanko, imported here rather than with
    the module: a web worker that never checks an uploaded PDF does not carry it)."""
    from crypto.pdf_signature import check_pdf_signature

    with _WORKERS:
        try:
            qr_text: str | None = decode_pdf_qr(pdf)
            problem = None
        except PdfQrError as exc:
            qr_text, problem = None, exc.problem
        if problem is PdfQrProblem.TOO_MANY_PAGES:
            return _Inspected(signature=_not_checked(), qr_text=None, qr_problem=problem)
        return _Inspected(
            signature=check_pdf_signature(pdf, trusted_roots=roots),
            qr_text=qr_text,
            qr_problem=problem,
        )


def _not_checked() -> PdfSignatureReport:
    from crypto.pdf_signature import PdfSignatureReport

    return PdfSignatureReport.absent("not_checked")


def _seal_finding(report: PdfSignatureReport) -> DocumentFinding | None:
    if report.ok:
        return None
    return _SEAL_FINDINGS.get(report.problem or "", DocumentFinding.SEAL_INVALID)


async def verify_document(
    pdf: bytes,
    *,
    client_ip: str,
    public_base_url: str,
    catalog: Catalog,
    now: datetime,
) -> DocumentVerdict:
    """The verdict for an uploaded certificate PDF (see the module docstring).

    Raises InvalidInput (DOCUMENT_TOO_LARGE, DOCUMENT_NOT_PDF, DOCUMENT_UNREADABLE,
    DOCUMENT_TOO_MANY_PAGES) or RateLimited (DOCUMENT_CHECK_RATE_LIMITED); any other
    input, however broken, gets a verdict.
    """
    check_document_bytes(pdf)
    await _admit(client_ip, now)
    root = await root_certificate_pem()
    inspected = await asyncio.to_thread(_inspect, bytes(pdf), [root] if root else [])
    report = inspected.signature
    if inspected.qr_problem is PdfQrProblem.TOO_MANY_PAGES:
        raise InvalidInput.one(
            "DOCUMENT_TOO_MANY_PAGES", "文件页数过多，不是本系统出具的证书文件", "document"
        )
    if inspected.qr_problem is PdfQrProblem.UNREADABLE and report.problem == "malformed":
        raise InvalidInput.one(
            "DOCUMENT_UNREADABLE", "文件已损坏，无法读取，请上传完整的证书PDF文件", "document"
        )

    findings: list[DocumentFinding] = []
    seal = _seal_finding(report)
    if seal is not None:
        findings.append(seal)

    qr_text, qr_problem = inspected.qr_text, inspected.qr_problem
    outcome: VerificationOutcome | None = None
    authority_matches: bool | None = None
    problem_value = qr_problem.value if qr_problem is not None else None
    if qr_problem is not None:
        findings.append(_QR_FINDINGS[qr_problem])
    elif qr_text is not None:
        try:
            parse_verification_url(qr_text, expected_base=public_base_url)
        except UrlFormatError:
            problem_value = "not_official"
            findings.append(DocumentFinding.QR_NOT_OFFICIAL)
        else:
            outcome = await verify_text(
                text=qr_text, public_base_url=public_base_url, catalog=catalog, now=now
            )
            state_finding = _STATE_FINDINGS.get(outcome.state)
            if outcome.certificate is not None and report.present:
                authority_matches = report.authority_code == outcome.certificate.authority_code
                if not authority_matches:
                    findings.append(DocumentFinding.AUTHORITY_MISMATCH)
            if state_finding is not None:
                findings.append(state_finding)
    order = list(DocumentFinding)
    return DocumentVerdict(
        checked_at=now,
        size=len(pdf),
        signature=report,
        qr_text=qr_text,
        qr_problem=problem_value,
        outcome=outcome,
        authority_matches=authority_matches,
        findings=tuple(sorted(set(findings), key=order.index)),
    )
