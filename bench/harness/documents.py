"""Issue 11's document timings, in this process: per certificate, render the A4 PDF and seal
it (PAdES B-T, the service's own path), and render the phone card; the baseline, measured in
the same rounds, is drawing the QR image the holder was given before there were documents
(``crypto.qr.qr_png`` of the same URL). Rates are documents per second of one core; the
time per document is the inverse, printed in the note."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from bench.harness.config import ROOT, BenchConfig
from bench.harness.measure import Outcome
from crypto.canonical import CertificateClaims
from crypto.document_ca import (
    create_root,
    issue_signing_certificate,
    issue_timestamp_certificate,
    unlock,
)
from crypto.keys import generate_key
from crypto.keys import unlock as unlock_key
from crypto.pdf_signature import seal_pdf
from crypto.qr import build_verification_url, check_code, qr_png
from crypto.signing import sign_claims
from schema.documents import CertificateDocument, render_card_png, render_certificate_pdf

__all__ = ["run_documents_bench"]

_PASSPHRASE = b"bench documents passphrase"
_BASE_URL = "https://verify.ecert.example"


def _document(now: datetime) -> CertificateDocument:
    record = generate_key(passphrase=_PASSPHRASE, now=now, rand=os.urandom)
    claims = CertificateClaims(
        cert_id="UCQ2FI5EUWTKPKFJVKV2ZLNOV4",
        version=1,
        holder_name="欧阳娜娜",
        holder_id_masked="1101**********006X",
        level="ZHENG_GAO",
        series_code="08",
        title_name="主任医师",
        specialty="心血管内科",
        authority_code="500112",
        review_body="重庆市卫生系列高级专业技术资格评审委员会",
        obtained_on=date(2023, 12, 30),
        issued_on=date(2024, 3, 15),
        number="2023110800001237",
        provenance="NATIVE",
        signed_at=now.replace(microsecond=0),
    )
    cose = sign_claims(claims, unlock_key(record, _PASSPHRASE), record.kid)
    return CertificateDocument(
        holder_name=claims.holder_name,
        holder_id_masked=claims.holder_id_masked,
        number=claims.number,
        level="正高级",
        series="卫生系列",
        title_name=claims.title_name,
        specialty=claims.specialty,
        way_obtained="评审",
        approval_document="渝人社职称〔2024〕12号",
        obtained_on=claims.obtained_on,
        issued_on=claims.issued_on,
        authority_name="渝北区人力资源和社会保障局",
        review_body=claims.review_body,
        validity_scope="全国有效",
        version=1,
        cert_id=claims.cert_id,
        signed_at=claims.signed_at,
        verification_url=build_verification_url(_BASE_URL, claims.cert_id, cose),
        check_code=check_code(cose),
        photo_jpeg=(ROOT / "docs" / "sample-photo.jpg").read_bytes(),
    )


def _rate(work: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        work()
    return count / (time.perf_counter() - started)


def run_documents_bench(config: BenchConfig, say: Callable[[str], None]) -> list[Outcome]:
    now = datetime.now(UTC)
    doc = _document(now)
    root = create_root(name="bench root", now=now, passphrase=_PASSPHRASE)
    signer = unlock(
        issue_signing_certificate(
            root, passphrase=_PASSPHRASE, authority_code="500112",
            authority_name=doc.authority_name, now=now,
        ),
        _PASSPHRASE,
    )  # fmt: skip
    tsa = unlock(issue_timestamp_certificate(root, passphrase=_PASSPHRASE, now=now), _PASSPHRASE)

    def pdf() -> bytes:
        return seal_pdf(
            render_certificate_pdf(doc), signer=signer, root_pem=root.certificate_pem,
            timestamper=tsa,
        )  # fmt: skip

    def baseline() -> bytes:
        return qr_png(doc.verification_url, scale=6)

    count = 2 if config.quick else 5
    scenarios = (
        ("document-pdf", "certificate PDF: render + PAdES B-T seal, per document, in process", pdf),
        ("document-card", "phone card PNG: render, per document, in process", lambda: render_card_png(doc)),
    )  # fmt: skip
    outcomes = []
    for kind, label, work in scenarios:
        if not config.wants(kind):
            continue
        outcome = Outcome(kind=kind, label=label, unit="/s")
        work()  # warm-up: fonts loaded, code paths imported
        baseline()
        for n in range(config.rounds):
            pair = [(outcome.rates, work, count), (outcome.baseline_rates, baseline, count * 10)]
            for into, fn, times in pair if n % 2 == 0 else reversed(pair):
                into.append(_rate(fn, times))
            say(
                f"  round {n + 1} {kind}: {outcome.rates[-1]:.2f}/s, "
                f"QR PNG baseline {outcome.baseline_rates[-1]:.1f}/s"
            )
        per_doc = 1000 / statistics.median(outcome.rates)
        outcome.note = (
            f"{per_doc:,.0f} ms per document on one core ({count} per round); baseline: drawing "
            "the holder's QR PNG of the same URL; rendered once per version, then served from "
            "the store"
        )
        outcomes.append(outcome)
    return outcomes
