"""The certificate as a document, through the real use cases: the sealing hierarchy
(``ecert ca init``), each file rendered once per version and shown status, the watermark
after revocation, and who may have a file."""

from __future__ import annotations

import asyncio
import hashlib
import io
import subprocess

import pytest
import zxingcpp
from PIL import Image

from crypto.pdf_signature import check_pdf_signature
from schema.actor import SYSTEM
from schema.enums import Role
from schema.errors import Forbidden, NotFound
from schema.models import AuditRecord, CertificateFile, DocumentCredential, DocumentKind
from schema.services import certificate_documents, document_seal
from schema.services.certificate_documents import holder_document, staff_document
from schema.services.document_seal import SealNotConfigured, init_document_ca
from schema.services.reference import current_catalog
from schema.services.revocation import revoke_certificate
from tests.services.test_corrections_revocation import OTHER_REVIEWER_ID
from tests.support.factories import NOW, make_staff
from tests.support.flows import actor_of, issue_yubei_certificate, make_people
from tests.support.tools import require_tool

# The authority of tests.support.flows' reviewer (issuing all 42 costs seconds per test).
AUTHORITY = "500112"


async def _init_ca(deps, authorities: frozenset[str] | None = frozenset({AUTHORITY})):
    return await init_document_ca(
        actor=SYSTEM,
        passphrase=deps.settings.signing_passphrase.reveal(),
        catalog=await current_catalog(),
        now=NOW,
        authority_codes=authorities,
    )


async def _check(pdf: bytes, root: bytes):
    """pyHanko's validation is synchronous: off the event loop, as the service does."""
    return await asyncio.to_thread(check_pdf_signature, pdf, trusted_roots=[root])


async def _reviewer_of_another_authority(deps):
    staff = await make_staff(
        deps,
        role=Role.REVIEWER,
        id_number=OTHER_REVIEWER_ID,
        authority_code="500101",
        mobile="13900002222",
    )
    return staff.account


def _pdf_text(pdf: bytes) -> str:
    require_tool("pdftotext")
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")


async def test_ca_init_creates_the_hierarchy_once_and_is_audited(db, deps) -> None:
    catalog = await current_catalog()
    first = await _init_ca(deps, authorities=None)
    assert first.root_created and first.timestamp_added
    assert set(first.authorities_added) == {a.code for a in catalog.authorities}
    again = await _init_ca(deps, authorities=None)
    assert not again.root_created and not again.timestamp_added
    assert again.authorities_added == ()
    assert again.root_fingerprint == first.root_fingerprint
    assert await DocumentCredential.all().count() == len(catalog.authorities) + 2
    audits = await AuditRecord.filter(action="document_ca.initialised").count()
    assert audits == 1, "the second, idempotent run changed nothing and recorded nothing"
    pem = await document_seal.root_certificate_pem()
    assert pem is not None and pem.startswith(b"-----BEGIN CERTIFICATE-----")


async def test_ca_init_refuses_a_passphrase_that_does_not_open_the_root(db, deps) -> None:
    await _init_ca(deps)
    count = await DocumentCredential.all().count()
    with pytest.raises(document_seal.SealPassphraseWrong):
        await init_document_ca(
            actor=SYSTEM, passphrase=b"not the passphrase", catalog=await current_catalog(), now=NOW
        )
    assert await DocumentCredential.all().count() == count


async def test_ca_init_is_for_signers_and_administrators_only(db, deps) -> None:
    people = await make_people(deps)
    with pytest.raises(Forbidden):
        await init_document_ca(
            actor=people.reviewer,
            passphrase=deps.settings.signing_passphrase.reveal(),
            catalog=await current_catalog(),
            now=NOW,
        )
    assert await DocumentCredential.all().count() == 0


async def test_holder_pdf_is_sealed_by_the_authority_and_holds_the_certificate(
    db, deps, tmp_path
) -> None:
    await _init_ca(deps)
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    found = await holder_document(
        actor=people.applicant, cert_id=cert.cert_id, kind=DocumentKind.PDF,
        renderer=deps.documents,
    )  # fmt: skip
    assert found.body.startswith(b"%PDF-")
    assert found.sha256 == hashlib.sha256(found.body).hexdigest()
    root = await document_seal.root_certificate_pem()
    assert root is not None
    report = await _check(found.body, root)
    assert report.ok, report
    assert report.authority_code == cert.authority_code
    assert report.timestamped, "sealed PAdES B-T with the local timestamp authority"
    text = _pdf_text(found.body)
    for value in (cert.holder_name, cert.check_code):
        assert value in text, value
    assert cert.number.replace(" ", "") in text.replace(" ", "")


async def test_a_file_is_rendered_once_and_then_served_byte_for_byte(
    db, deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _init_ca(deps)
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    args = {"actor": people.applicant, "cert_id": cert.cert_id, "renderer": deps.documents}
    first = {kind: await holder_document(kind=kind, **args) for kind in DocumentKind}
    assert await CertificateFile.filter(certificate_id=cert.id).count() == len(DocumentKind)

    def refuse(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("a stored file was rendered again")

    monkeypatch.setattr(certificate_documents, "_render", refuse)
    for kind in DocumentKind:
        again = await holder_document(kind=kind, **args)
        assert again.body == first[kind].body, kind


async def test_card_and_qr_label_decode_to_the_verification_url(db, deps) -> None:
    await _init_ca(deps)
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    for kind in (DocumentKind.CARD, DocumentKind.QR_LABEL):
        found = await holder_document(
            actor=people.applicant, cert_id=cert.cert_id, kind=kind, renderer=deps.documents
        )
        image = Image.open(io.BytesIO(found.body))
        texts = [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
        assert texts == [cert.verification_url], kind


async def test_a_revoked_version_is_served_watermarked_never_as_it_was(db, deps) -> None:
    await _init_ca(deps)
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    args = {"actor": people.applicant, "cert_id": cert.cert_id, "renderer": deps.documents}
    valid = await holder_document(kind=DocumentKind.PDF, **args)
    assert "已撤销" not in _pdf_text(valid.body)
    catalog = await current_catalog()
    await revoke_certificate(
        actor=people.reviewer, cert_id=cert.cert_id,
        reason_code=catalog.revocation_reasons[0].code, note="测试撤销", catalog=catalog, now=NOW,
    )  # fmt: skip
    revoked = await holder_document(kind=DocumentKind.PDF, **args)
    assert revoked.body != valid.body
    assert revoked.shown_status.value == "REVOKED"
    assert "已撤销" in _pdf_text(revoked.body)
    root = await document_seal.root_certificate_pem()
    assert root is not None and (await _check(revoked.body, root)).ok
    assert (await holder_document(kind=DocumentKind.PDF, **args)).body == revoked.body


async def test_only_the_holder_and_the_authority_have_a_file(db, deps) -> None:
    await _init_ca(deps)
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    other_reviewer = await _reviewer_of_another_authority(deps)
    with pytest.raises(NotFound):
        await staff_document(
            actor=actor_of(other_reviewer), cert_id=cert.cert_id, kind=DocumentKind.PDF,
            renderer=deps.documents,
        )  # fmt: skip
    with pytest.raises(NotFound):
        await holder_document(
            actor=people.applicant, cert_id="A" * 26, kind=DocumentKind.PDF,
            renderer=deps.documents,
        )  # fmt: skip
    own = await staff_document(
        actor=people.reviewer, cert_id=cert.cert_id, kind=DocumentKind.PDF,
        renderer=deps.documents,
    )  # fmt: skip
    assert own.body.startswith(b"%PDF-")


async def test_without_the_hierarchy_the_pdf_is_refused_and_nothing_is_stored(db, deps) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    with pytest.raises(SealNotConfigured):
        await holder_document(
            actor=people.applicant, cert_id=cert.cert_id, kind=DocumentKind.PDF,
            renderer=deps.documents,
        )  # fmt: skip
    assert await CertificateFile.filter(certificate_id=cert.id).count() == 0


async def test_the_download_route_use_case_picks_the_holder_or_staff_rule_by_role(
    db, deps
) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    other_reviewer = await _reviewer_of_another_authority(deps)
    args = {"cert_id": cert.cert_id, "kind": DocumentKind.QR_LABEL, "renderer": deps.documents}
    holders = await certificate_documents.account_document(actor=people.applicant, **args)
    reviewers = await certificate_documents.account_document(actor=people.reviewer, **args)
    assert holders.sha256 == reviewers.sha256, "the holder and the authority get the same file"
    with pytest.raises(NotFound):
        await certificate_documents.account_document(actor=actor_of(other_reviewer), **args)
