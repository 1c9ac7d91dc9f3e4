"""Sealed certificate PDFs built through the real use cases, and broken variants of them."""

from __future__ import annotations

import io

import fpdf

from schema.actor import SYSTEM
from schema.http_edge.deps import Deps
from schema.models import Certificate, DocumentKind
from schema.services.certificate_documents import operator_document
from schema.services.document_seal import init_document_ca
from schema.services.reference import current_catalog
from tests.support.factories import NOW

#: The authority of tests.support.flows' reviewer (sealing for all 42 costs seconds).
AUTHORITY = "500112"


async def init_sealing(deps: Deps, authorities: frozenset[str] = frozenset({AUTHORITY})) -> None:
    """``ecert ca init``: the root, the authorities' signing certificates, the TSA."""
    await init_document_ca(
        actor=SYSTEM,
        passphrase=deps.settings.signing_passphrase.reveal(),
        catalog=await current_catalog(),
        now=NOW,
        authority_codes=authorities,
    )


async def sealed_pdf(deps: Deps, cert: Certificate) -> bytes:
    """The certificate's sealed PDF, as the holder downloads it (rendered once, stored)."""
    found = await operator_document(
        cert_id=cert.cert_id, kind=DocumentKind.PDF, renderer=deps.documents
    )
    assert found.body.startswith(b"%PDF-")
    return found.body


def flip_one_byte(pdf: bytes) -> bytes:
    """One byte changed inside the signed range (in the binary comment after the header,
    so the file still opens and shows the same page): only the seal can tell."""
    index = pdf.index(b"\n") + 2
    changed = bytearray(pdf)
    changed[index] ^= 0x01
    return bytes(changed)


def pdf_without_qr() -> bytes:
    """A plain PDF page with text only (no seal, no QR code)."""
    page = fpdf.FPDF()
    page.add_page()
    page.set_font("helvetica", size=16)
    page.cell(text="Certificate of nothing: no QR code here")
    out = io.BytesIO(bytes(page.output()))
    return out.getvalue()
