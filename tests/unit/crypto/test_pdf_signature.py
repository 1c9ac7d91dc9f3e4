"""PAdES seals on fpdf2 documents: pyHanko and poppler's pdfsig must both agree.

The poppler tests (pdfsig, pdftotext) and the NSS trust store (certutil) are
skipped when the tools are missing, unless ``ECERT_REQUIRE_BROWSER=1`` (CI),
which turns the skip into a failure.  CI installs poppler-utils and
libnss3-tools (``.ci/run``).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fpdf import FPDF
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from crypto.document_ca import (
    CaCredential,
    UnlockedCredential,
    create_root,
    issue_signing_certificate,
    issue_timestamp_certificate,
    unlock,
)
from crypto.pdf_signature import (
    PdfSealError,
    PdfSignatureReport,
    check_pdf_signature,
    seal_pdf,
)

FONT = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
PASSPHRASE = b"pdf seal test passphrase"
AUTHORITY_NAME = "渝北区人力资源和社会保障局"
AUTHORITY_CODE = "500112"
TEXT = "职称电子证书 欧阳娜娜 给排水 工程师"


def _require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"{name} not installed (apt-get install -y {package})"
        if os.environ.get("ECERT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and ECERT_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return path


@dataclass(frozen=True)
class Hierarchy:
    root: CaCredential
    signer: UnlockedCredential
    timestamper: UnlockedCredential


def _hierarchy(now: datetime) -> Hierarchy:
    root = create_root(name="职称电子证书测试根", now=now, passphrase=PASSPHRASE)
    signer = issue_signing_certificate(
        root,
        passphrase=PASSPHRASE,
        authority_code=AUTHORITY_CODE,
        authority_name=AUTHORITY_NAME,
        now=now,
    )
    tsa = issue_timestamp_certificate(root, passphrase=PASSPHRASE, now=now)
    return Hierarchy(root, unlock(signer, PASSPHRASE), unlock(tsa, PASSPHRASE))


@pytest.fixture(scope="module")
def ca() -> Hierarchy:
    return _hierarchy(datetime.now(UTC))


@pytest.fixture(scope="module")
def other_ca() -> Hierarchy:
    return _hierarchy(datetime.now(UTC))


def make_pdf() -> bytes:
    """A ~100 KB fpdf2 document: Chinese text in the subset Noto Serif CJK, plus a photo."""
    if not FONT.exists():
        pytest.skip(f"{FONT} missing (apt-get install -y fonts-noto-cjk)")
    pdf = FPDF()
    pdf.add_font("noto", fname=str(FONT), collection_font_number=2)
    pdf.add_page()
    pdf.set_font("noto", size=16)
    pdf.cell(0, 12, TEXT, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", size=11)
    pdf.multi_cell(0, 7, "专业技术职务任职资格 评审通过 特发此证。" * 8)
    # Noise does not compress: a stand-in for the holder's photo, bringing the file to ~100 KB.
    noise = random.Random(11).randbytes(180 * 180 * 3)
    photo = io.BytesIO()
    Image.frombytes("RGB", (180, 180), noise).save(photo, format="PNG")
    pdf.image(photo, x=20, y=80, w=40)
    return bytes(pdf.output())


@pytest.fixture(scope="module")
def plain_pdf() -> bytes:
    return make_pdf()


@pytest.fixture(scope="module")
def sealed_bb(ca: Hierarchy, plain_pdf: bytes) -> bytes:
    return seal_pdf(plain_pdf, signer=ca.signer, root_pem=ca.root.certificate_pem)


@pytest.fixture(scope="module")
def sealed_bt(ca: Hierarchy, plain_pdf: bytes) -> bytes:
    return seal_pdf(
        plain_pdf,
        signer=ca.signer,
        root_pem=ca.root.certificate_pem,
        timestamper=ca.timestamper,
    )


def check(pdf: bytes, ca: Hierarchy) -> PdfSignatureReport:
    return check_pdf_signature(pdf, trusted_roots=[ca.root.certificate_pem])


def byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found is not None, "sealed PDF has no /ByteRange"
    a, b, c, d = (int(x) for x in found.groups())
    return a, b, c, d


def flip_in_signed_content(pdf: bytes) -> bytes:
    """Flip one bit inside a stream of the original document (signed, and still parseable)."""
    _, first_len, _, _ = byte_range(pdf)
    offset = pdf.index(b"stream\n") + 40
    assert offset < first_len, "chosen offset is outside the signed range"
    changed = bytearray(pdf)
    changed[offset] ^= 0x01
    return bytes(changed)


# --- pyHanko ----------------------------------------------------------------------------------


def test_plain_pdf_is_about_100_kb(plain_pdf: bytes) -> None:
    assert 80_000 < len(plain_pdf) < 140_000, f"test document is {len(plain_pdf)} bytes"


def test_b_b_seal_validates(ca: Hierarchy, sealed_bb: bytes) -> None:
    report = check(sealed_bb, ca)
    assert report.ok, f"sealed fpdf2 PDF does not validate: {report}"
    assert report.problem is None, report.problem
    assert report.authority_code == AUTHORITY_CODE, "authority code not read back"
    assert report.signer_name == AUTHORITY_NAME, "signer name not read back"
    assert report.timestamped is False, "B-B seal reported as timestamped"
    assert report.signed_at is not None, "signing time (/M) not read back"


def test_b_t_seal_validates_and_is_timestamped(ca: Hierarchy, sealed_bt: bytes) -> None:
    report = check(sealed_bt, ca)
    assert report.ok, f"B-T sealed PDF does not validate: {report}"
    assert report.timestamped is True, "timestamp token missing or not trusted"
    assert report.authority_code == AUTHORITY_CODE, "authority code not read back"
    assert report.signed_at is not None, "no signing time"
    age = datetime.now(UTC) - report.signed_at
    assert timedelta(0) <= age < timedelta(minutes=5), f"timestamp time is off: {report.signed_at}"


def test_seal_is_pades_with_the_chain_embedded(ca: Hierarchy, sealed_bt: bytes) -> None:
    signatures = PdfFileReader(io.BytesIO(sealed_bt)).embedded_regular_signatures
    assert len(signatures) == 1, "expected exactly one signature"
    signature = signatures[0]
    assert signature.field_name == "ecert-seal", "field name"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached", "not PAdES baseline"
    assert signature.sig_object["/Reason"] == "职称电子证书签章", "default reason"
    embedded = {
        hashlib.sha256(c.chosen.dump()).hexdigest() for c in signature.signed_data["certificates"]
    }
    for name, pem in (
        ("root", ca.root.certificate_pem),
        ("signer", ca.signer.certificate.public_bytes(serialization.Encoding.PEM)),
    ):
        assert hashlib.sha256(_pem_to_der(pem)).hexdigest() in embedded, (
            f"{name} cert not in the CMS"
        )
    signed_attrs = {a["type"].native for a in signature.signer_info["signed_attrs"]}
    assert "signing_time" not in signed_attrs, "PAdES forbids the CMS signing-time attribute"
    assert "signing_certificate_v2" in signed_attrs, "ESS signing-certificate-v2 missing"
    unsigned = {a["type"].native for a in signature.signer_info["unsigned_attrs"]}
    assert "signature_time_stamp_token" in unsigned, "B-T signature has no timestamp token"


def _pem_to_der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def test_flipped_byte_is_modified(ca: Hierarchy, sealed_bb: bytes) -> None:
    report = check(flip_in_signed_content(sealed_bb), ca)
    assert report.present and not report.intact, f"flipped byte not detected: {report}"
    assert report.problem == "modified", report.problem
    assert not report.ok


def test_appended_bytes_do_not_cover_whole_document(ca: Hierarchy, sealed_bb: bytes) -> None:
    report = check(sealed_bb + b"\n% appended after signing\n", ca)
    assert report.intact and report.trusted, f"appending broke the signature itself: {report}"
    assert report.covers_whole_document is False, "appended bytes went unnoticed"
    assert report.problem == "not_whole_document", report.problem
    assert not report.ok


def test_incremental_update_does_not_cover_whole_document(ca: Hierarchy, sealed_bb: bytes) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed_bb))
    writer.root["/ecertExtra"] = generic.TextStringObject("added later")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    report = check(out.getvalue(), ca)
    assert report.covers_whole_document is False, "later revision went unnoticed"
    assert not report.ok


def test_pdf_without_signature(ca: Hierarchy, plain_pdf: bytes) -> None:
    report = check(plain_pdf, ca)
    assert report.problem == "no_signature" and not report.present, report


@pytest.mark.parametrize(
    "garbage",
    [b"", b"garbage", b"\x00" * 1000, random.Random(3).randbytes(5000), b"<html>%PDF-1.7</html>"],
    ids=["empty", "text", "zeros", "random", "html"],
)
def test_garbage_is_not_a_pdf(ca: Hierarchy, garbage: bytes) -> None:
    report = check(garbage, ca)
    assert report.problem == "not_a_pdf", report


def test_truncated_pdf_is_not_ok(ca: Hierarchy, sealed_bb: bytes) -> None:
    for cut in (len(sealed_bb) // 2, len(sealed_bb) - 50, 20):
        report = check(sealed_bb[:cut], ca)
        assert not report.ok, f"truncated at {cut} still ok"
        assert report.problem in {"malformed", "modified", "no_signature"}, (cut, report)


def test_different_root_is_untrusted(other_ca: Hierarchy, sealed_bb: bytes) -> None:
    report = check(sealed_bb, other_ca)
    assert report.intact and report.valid, f"signature itself should be fine: {report}"
    assert report.trusted is False, "seal trusted under an unrelated root"
    assert report.problem == "untrusted", report.problem
    assert not report.ok


def test_trusted_roots_may_be_der(ca: Hierarchy, sealed_bb: bytes) -> None:
    report = check_pdf_signature(sealed_bb, trusted_roots=[_pem_to_der(ca.root.certificate_pem)])
    assert report.ok, report


def test_no_byte_flip_raises(ca: Hierarchy, sealed_bb: bytes) -> None:
    # Every position in the signed ranges must make the seal fail; positions in
    # the /Contents hole (hex signature, zero padding) must at least not raise.
    a, b, c, d = byte_range(sealed_bb)
    for offset in range(0, len(sealed_bb), max(1, len(sealed_bb) // 97)):
        changed = bytearray(sealed_bb)
        changed[offset] ^= 0x20
        report = check(bytes(changed), ca)
        if a <= offset < a + b or c <= offset < c + d:
            assert not report.ok, f"flip at {offset} (signed) still ok"


def test_seal_refuses_a_signer_of_another_root(
    ca: Hierarchy, other_ca: Hierarchy, plain_pdf: bytes
) -> None:
    with pytest.raises(PdfSealError, match="signer"):
        seal_pdf(plain_pdf, signer=other_ca.signer, root_pem=ca.root.certificate_pem)
    with pytest.raises(PdfSealError, match="timestamper"):
        seal_pdf(
            plain_pdf,
            signer=ca.signer,
            root_pem=ca.root.certificate_pem,
            timestamper=other_ca.timestamper,
        )


def test_seal_refuses_non_pdf(ca: Hierarchy) -> None:
    with pytest.raises(PdfSealError):
        seal_pdf(b"not a pdf", signer=ca.signer, root_pem=ca.root.certificate_pem)


async def test_sync_api_refuses_a_running_event_loop(ca: Hierarchy, sealed_bb: bytes) -> None:
    # Must not block the loop, nor report every document as invalid.
    with pytest.raises(RuntimeError, match="to_thread"):
        check(sealed_bb, ca)


# --- poppler, an independent validator --------------------------------------------------------


@pytest.fixture(scope="module")
def nss_db(ca: Hierarchy, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An NSS database trusting the test root (pdfsig validates chains with NSS)."""
    certutil = _require_tool("certutil", "libnss3-tools")
    directory = tmp_path_factory.mktemp("nss")
    root_file = directory / "root.pem"
    root_file.write_bytes(ca.root.certificate_pem)
    db = f"sql:{directory}"
    subprocess.run([certutil, "-N", "-d", db, "--empty-password"], check=True)
    # "C,C,C": trusted CA for TLS, e-mail and object signing; poppler checks the e-mail slot.
    subprocess.run(
        [certutil, "-A", "-d", db, "-n", "ecert-test-root", "-t", "C,C,C", "-i", str(root_file)],
        check=True,
    )
    return db


@pytest.fixture
def pdfsig(tmp_path: Path) -> Callable[[bytes, str | None], str]:
    binary = _require_tool("pdfsig", "poppler-utils")

    def run(pdf: bytes, nss: str | None) -> str:
        path = tmp_path / "doc.pdf"
        path.write_bytes(pdf)
        args = [binary] + (["-nssdir", nss] if nss else []) + [str(path)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
        return done.stdout + done.stderr

    return run


@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_pdfsig_finds_the_seal_valid_and_trusted(
    level: str,
    sealed_bb: bytes,
    sealed_bt: bytes,
    nss_db: str,
    pdfsig: Callable[[bytes, str | None], str],
) -> None:
    output = pdfsig(sealed_bb if level == "B-B" else sealed_bt, nss_db)
    assert "Signature Validation: Signature is Valid." in output, output
    assert "Certificate Validation: Certificate is Trusted." in output, output
    assert "Total document signed" in output, output
    assert "ETSI.CAdES.detached" in output, output
    assert AUTHORITY_NAME in output, output


def test_pdfsig_without_the_root_finds_the_signature_valid_but_untrusted(
    sealed_bb: bytes, pdfsig: Callable[[bytes, str | None], str], tmp_path: Path
) -> None:
    # An empty NSS database: the mathematics check out, the issuer is unknown.
    certutil = _require_tool("certutil", "libnss3-tools")
    db = f"sql:{tmp_path}"
    subprocess.run([certutil, "-N", "-d", db, "--empty-password"], check=True)
    output = pdfsig(sealed_bb, db)
    assert "Signature Validation: Signature is Valid." in output, output
    assert "Certificate issuer isn't Trusted." in output, output


def test_pdfsig_detects_a_flipped_byte(
    sealed_bb: bytes, nss_db: str, pdfsig: Callable[[bytes, str | None], str]
) -> None:
    output = pdfsig(flip_in_signed_content(sealed_bb), nss_db)
    assert "Digest Mismatch" in output or "Signature is Invalid" in output, output
    assert "Signature is Valid." not in output, output


def test_pdfsig_sees_appended_bytes(
    sealed_bb: bytes, nss_db: str, pdfsig: Callable[[bytes, str | None], str]
) -> None:
    output = pdfsig(sealed_bb + b"\n% appended after signing\n", nss_db)
    assert "Not total document signed" in output, output


def test_sealed_text_is_still_extractable(sealed_bt: bytes, tmp_path: Path) -> None:
    binary = _require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "doc.pdf"
    path.write_bytes(sealed_bt)
    done = subprocess.run([binary, str(path), "-"], capture_output=True, timeout=60, check=True)
    assert TEXT in done.stdout.decode(), "sealing damaged the document text"


def test_validation_time_after_signer_expiry_is_untrusted(ca: Hierarchy, sealed_bt: bytes) -> None:
    # No long-term validation data is embedded: once the signer certificate has
    # expired the seal no longer counts as trusted, even with a timestamp.
    later = ca.signer.certificate.not_valid_after_utc + timedelta(days=1)
    report = check_pdf_signature(
        sealed_bt, trusted_roots=[ca.root.certificate_pem], validation_time=later
    )
    assert report.intact and report.trusted is False, f"expired signer still trusted: {report}"
    assert report.problem == "untrusted", report.problem


def test_validation_time_must_be_aware(ca: Hierarchy, sealed_bb: bytes) -> None:
    with pytest.raises(ValueError, match="timezone"):
        check_pdf_signature(
            sealed_bb, trusted_roots=[ca.root.certificate_pem], validation_time=datetime(2030, 1, 1)
        )
