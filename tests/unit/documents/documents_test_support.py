"""Certificates to render in the document tests (not a test module).

The verification URL is a real one, made the way the service makes it: a generated key,
the claims signed with it, the URL built from the COSE bytes, the check code from them.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from crypto.canonical import CertificateClaims
from crypto.keys import generate_key, unlock
from crypto.qr import (
    MAX_QR_VERSION,
    build_verification_url,
    check_code,
    qr_version,
    qr_version_for_length,
)
from crypto.signing import sign_claims
from schema.documents import CertificateDocument

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_PHOTO = ROOT / "docs" / "sample-photo.jpg"
BASE_URL = "https://verify.ecert.example"
PASSPHRASE = b"documents test passphrase"
SIGNED_AT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
CERT_ID = "UCQ2FI5EUWTKPKFJVKV2ZLNOV4"


@functools.cache
def _key() -> tuple[Any, str]:
    record = generate_key(
        passphrase=PASSPHRASE, now=datetime(2024, 1, 1, tzinfo=UTC), rand=lambda n: bytes(n)
    )
    return unlock(record, PASSPHRASE), record.kid


def signed(**claim_changes: Any) -> tuple[str, str]:
    """(verification URL, check code) for the sample claims with ``claim_changes``."""
    claims = CertificateClaims(
        cert_id=CERT_ID,
        version=1,
        holder_name="欧阳娜娜",
        holder_id_masked="1101**********006X",
        level="ZHENG_GAO",
        series_code="08",
        title_name="主任医师",
        specialty="心血管内科",
        authority_code="110000",
        review_body="北京市卫生系列高级专业技术资格评审委员会",
        obtained_on=date(2023, 12, 30),
        issued_on=date(2024, 3, 15),
        number="2023110800001237",
        provenance="NATIVE",
        signed_at=SIGNED_AT,
    )
    claims = dataclasses.replace(claims, **claim_changes)
    private_key, kid = _key()
    cose = sign_claims(claims, private_key, kid)
    return build_verification_url(BASE_URL, claims.cert_id, cose), check_code(cose)


def sample_document(**changes: Any) -> CertificateDocument:
    url, code = signed()
    values: dict[str, Any] = {
        "holder_name": "欧阳娜娜",
        "holder_id_masked": "1101**********006X",
        "number": "2023110800001237",
        "level": "正高级",
        "series": "卫生系列",
        "title_name": "主任医师",
        "specialty": "心血管内科",
        "way_obtained": "评审",
        "approval_document": "京人社职称〔2024〕12号",
        "obtained_on": date(2023, 12, 30),
        "issued_on": date(2024, 3, 15),
        "authority_name": "北京市人力资源和社会保障局",
        "review_body": "北京市卫生系列高级专业技术资格评审委员会",
        "validity_scope": "全国有效",
        "version": 1,
        "cert_id": CERT_ID,
        "signed_at": SIGNED_AT,
        "verification_url": url,
        "check_code": code,
        "photo_jpeg": SAMPLE_PHOTO.read_bytes(),
    }
    values.update(changes)
    return CertificateDocument(**values)


LONG_NAME = "阿卜杜热合曼·买买提依明" * 4 + "阿卜杜热合曼·"  # 50 characters
LONG_SPECIALTY = "心血管内科介入治疗与结构性心脏病" * 4  # 64
LONG_APPROVAL = "京人社职称〔2024〕12号关于公布卫生系列高级专业技术资格评审结果的通知附件" * 3
LONG_REVIEW_BODY = "北京市卫生系列高级专业技术资格评审委员会心血管内科学科组" * 4


def longest_document() -> CertificateDocument:
    """Every free-text field at its maximum length, with the densest QR code we issue."""
    approval = LONG_APPROVAL[:100]
    review_body = LONG_REVIEW_BODY[:100]
    # The signed claims carry name, specialty and review body; the issuer refuses a
    # registration whose code would exceed MAX_QR_VERSION, so sign the longest review body
    # that still fits: the densest symbol a certificate can have.
    for cut in range(len(review_body), 0, -1):
        url, code = signed(
            holder_name=LONG_NAME[:50],
            specialty=LONG_SPECIALTY[:64],
            review_body=review_body[:cut],
        )
        if (qr_version_for_length(len(url)) or MAX_QR_VERSION + 1) <= MAX_QR_VERSION:
            break
    else:
        url, code = signed(holder_name=LONG_NAME[:50])
    return sample_document(
        holder_name=LONG_NAME[:50],
        specialty=LONG_SPECIALTY[:64],
        approval_document=approval,
        review_body=review_body,
        authority_name="新疆维吾尔自治区人力资源和社会保障厅职称改革工作领导小组办公室",
        verification_url=url,
        check_code=code,
    )


def tool(name: str) -> str:
    """Absolute path of a command-line checker; skip (or fail under CI) when it is missing."""
    found = shutil.which(name)
    if found is None:
        reason = f"{name} not installed (apt-get install -y poppler-utils zbar-tools)"
        if os.environ.get("ECERT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and ECERT_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return found


def artifacts_dir(tmp_path: Path) -> Path:
    """Where screenshots go: ``ECERT_TEST_ARTIFACTS`` when set, else the test's tmp_path."""
    configured = os.environ.get("ECERT_TEST_ARTIFACTS")
    directory = Path(configured) if configured else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def run(*args: str) -> bytes:
    return subprocess.run(args, capture_output=True, check=True, timeout=120).stdout


def decode_zxing(png: Path) -> list[str]:
    with Image.open(png) as image:
        return [r.text for r in zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)]


def decode_zbar(png: Path) -> str:
    out = subprocess.run(
        [tool("zbarimg"), "--raw", "-q", str(png)], capture_output=True, timeout=120, check=False
    )
    return out.stdout.decode().strip()


__all__ = [
    "BASE_URL",
    "SAMPLE_PHOTO",
    "artifacts_dir",
    "decode_zbar",
    "decode_zxing",
    "longest_document",
    "qr_version",
    "run",
    "sample_document",
    "signed",
    "tool",
]
