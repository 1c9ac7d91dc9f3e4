"""Verifying a certificate document (PDF): the use case on both backends, then the public
form over real HTTP. Certificates are issued, sealed and revoked through the real services.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.enums import VerificationState
from schema.errors import InvalidInput, RateLimited
from schema.services.document_verification import (
    CHECK_LIMIT,
    MAX_DOCUMENT_BYTES,
    DocumentFinding,
    verify_document,
)
from schema.services.reference import current_catalog
from tests.support.factories import NOW
from tests.support.flows import issue_yubei_certificate, make_people
from tests.verify.document_support import (
    flip_one_byte,
    init_sealing,
    pdf_without_qr,
    sealed_pdf,
)
from tests.verify.verify_support import revoke, supersede

LATER = NOW + timedelta(days=5)


async def _verify(deps, pdf: bytes, *, ip: str = "203.0.113.7"):
    return await verify_document(
        pdf,
        client_ip=ip,
        public_base_url=deps.settings.public_base_url,
        catalog=await current_catalog(),
        now=LATER,
    )


async def test_genuine_modified_without_qr_revoked_and_superseded(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    await init_sealing(deps)
    pdf = await sealed_pdf(deps, cert)

    genuine = await _verify(deps, pdf)
    assert genuine.genuine_and_current, genuine.findings
    assert genuine.conclusion_code == "GENUINE_CURRENT"
    assert genuine.signature.ok and genuine.signature.timestamped
    assert genuine.signature.authority_code == cert.authority_code
    assert genuine.qr_text is not None
    assert genuine.qr_text.upper() == cert.verification_url.upper()
    assert genuine.outcome is not None and genuine.outcome.state is VerificationState.VALID
    assert genuine.authority_matches is True

    modified = await _verify(deps, flip_one_byte(pdf))
    assert not modified.signature.intact
    assert modified.findings[0] is DocumentFinding.DOCUMENT_MODIFIED
    assert modified.conclusion.startswith("文件被修改")

    plain = await _verify(deps, pdf_without_qr())
    assert DocumentFinding.QR_NOT_FOUND in plain.findings
    assert DocumentFinding.SEAL_MISSING in plain.findings
    assert plain.qr_problem == "no_qr" and plain.outcome is None

    # The same file, once the certificate is revoked: the seal still holds, the status not.
    await revoke(people, cert)
    revoked = await _verify(deps, pdf)
    assert revoked.signature.ok
    assert revoked.outcome is not None and revoked.outcome.state is VerificationState.REVOKED
    assert revoked.findings == (DocumentFinding.CERTIFICATE_REVOKED,)
    assert revoked.conclusion == "二维码对应的证书已撤销"
    assert not revoked.genuine_and_current


async def test_superseded_document_points_to_the_new_version(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    await init_sealing(deps)
    pdf = await sealed_pdf(deps, cert)
    newer = await supersede(deps, people, cert)
    verdict = await _verify(deps, pdf)
    assert verdict.signature.ok
    assert verdict.findings == (DocumentFinding.CERTIFICATE_SUPERSEDED,)
    assert "请以新版本为准" in verdict.conclusion
    assert verdict.outcome is not None and verdict.outcome.current_version is not None
    assert verdict.outcome.current_version.cert_id == newer.cert_id


async def test_document_of_a_reissued_version_says_its_key_was_revoked(db, deps):
    from schema.services import signing_keys
    from tests.services.test_key_reissue import DRILL_AT, REVOKED_FROM, _drill_setup, _worker

    drill = await _drill_setup(deps)
    await init_sealing(deps)
    pdf = await sealed_pdf(deps, drill.affected[0])
    await signing_keys.revoke_key(
        actor=drill.people.signer,
        kid=drill.key_a,
        effective_at=REVOKED_FROM,
        note="泄露",
        now=DRILL_AT,
        reissue=True,
    )
    await _worker(deps).run_pending()
    verdict = await _verify(deps, pdf)
    assert verdict.signature.ok  # the PDF seal is another key: it still holds
    assert verdict.findings == (DocumentFinding.CERTIFICATE_KEY_REVOKED,)
    assert verdict.conclusion == "二维码的签名密钥已停用，请持证人重新获取证书"
    assert verdict.outcome is not None and verdict.outcome.current_version is not None
    assert verdict.outcome.current_version.version == 2


async def test_refusals_are_typed_and_checks_are_rate_limited(db, deps):
    with pytest.raises(InvalidInput) as too_large:
        await _verify(deps, b"%PDF-1.7\n" + b"0" * MAX_DOCUMENT_BYTES)
    assert too_large.value.code == "DOCUMENT_TOO_LARGE" and "10MB" in too_large.value.message
    for garbage in (b"", b"\x89PNG\r\n\x1a\n" + bytes(100), "证书".encode() * 100):
        with pytest.raises(InvalidInput) as not_pdf:
            await _verify(deps, garbage)
        assert not_pdf.value.code == "DOCUMENT_NOT_PDF"
    with pytest.raises(InvalidInput) as broken:
        await _verify(deps, b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert broken.value.code == "DOCUMENT_UNREADABLE"

    plain = pdf_without_qr()
    for _ in range(CHECK_LIMIT):  # the one that reaches the limit is still served
        await _verify(deps, plain, ip="198.51.100.9")
    with pytest.raises(RateLimited) as limited:
        await _verify(deps, plain, ip="198.51.100.9")
    assert limited.value.code == "DOCUMENT_CHECK_RATE_LIMITED"
    # Another address is not affected.
    assert DocumentFinding.QR_NOT_FOUND in (await _verify(deps, plain, ip="198.51.100.10")).findings


def _upload(pdf: bytes, name: str = "certificate.pdf") -> dict:
    return {"files": {"document": (name, pdf, "application/pdf")}}


async def test_the_upload_form_over_http(server, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    await init_sealing(deps)
    pdf = await sealed_pdf(deps, cert)
    http = server.http

    form = await http.get("/verify-document")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text and 'type="file"' in form.text
    csp = form.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
    assert "script-src" not in csp
    assert form.headers["cache-control"] == "no-store"
    assert form.headers["x-frame-options"] == "DENY"
    # The scan page links to the form.
    scanned = await http.get(cert.verification_url.split("VERIFY.ECERT.TEST", 1)[1])
    assert 'href="/verify-document"' in scanned.text

    page = await http.post("/verify-document", **_upload(pdf))
    assert page.status_code == 200, page.text
    assert 'data-code="GENUINE_CURRENT"' in page.text
    for section in ("文件签章", "证书二维码", "当前状态"):
        assert section in page.text
    assert "渝北区人力资源和社会保障局" in page.text and cert.check_code in page.text

    as_json = await http.post(
        "/verify-document", headers={"Accept": "application/json"}, **_upload(pdf)
    )
    body = as_json.json()
    assert as_json.headers["content-type"] == "application/json"
    assert body["genuineAndCurrent"] is True
    assert body["signature"]["ok"] and body["signature"]["authorityCode"] == cert.authority_code
    assert body["verification"]["state"] == "VALID"
    assert body["verification"]["certificate"]["certId"] == cert.cert_id

    # A bare application/pdf body works too (curl --data-binary).
    raw = await http.post(
        "/verify-document",
        content=flip_one_byte(pdf),
        headers={"Accept": "application/json", "Content-Type": "application/pdf"},
    )
    assert raw.json()["conclusion"]["code"] == "DOCUMENT_MODIFIED"

    no_qr = await http.post("/verify-document", **_upload(pdf_without_qr()))
    assert no_qr.status_code == 200 and "文件中未找到二维码" in no_qr.text

    garbage = await http.post(
        "/verify-document",
        headers={"Accept": "application/json"},
        **_upload(b"GIF89a not a pdf", "x.pdf"),
    )
    assert garbage.status_code == 400
    assert garbage.json()["error"]["code"] == "DOCUMENT_NOT_PDF"
    garbage_page = await http.post("/verify-document", **_upload(b"MZ\x90\x00", "x.pdf"))
    assert garbage_page.status_code == 400 and "不是PDF文件" in garbage_page.text
    assert "Traceback" not in garbage_page.text

    eleven_mb = b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024)
    big = await http.post("/verify-document", **_upload(eleven_mb))
    assert big.status_code == 413 and "文件过大" in big.text
    big_json = await http.post(
        "/verify-document", headers={"Accept": "application/json"}, content=eleven_mb
    )
    assert big_json.status_code == 413
    assert big_json.json()["error"]["code"] == "DOCUMENT_TOO_LARGE"

    missing = await http.post(
        "/verify-document", headers={"Accept": "application/json"}, files={"other": ("a", b"b")}
    )
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "DOCUMENT_MISSING"

    await revoke(people, cert)
    after = await http.post(
        "/verify-document", headers={"Accept": "application/json"}, **_upload(pdf)
    )
    revoked = after.json()
    assert revoked["signature"]["ok"] is True
    assert revoked["verification"]["state"] == "REVOKED"
    assert revoked["genuineAndCurrent"] is False
    assert revoked["conclusion"]["code"] == "CERTIFICATE_REVOKED"
    page = await http.post("/verify-document", **_upload(pdf))
    assert "已撤销" in page.text and 'data-state="REVOKED"' in page.text
