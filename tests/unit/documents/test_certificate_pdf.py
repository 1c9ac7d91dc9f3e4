"""The A4 certificate PDF: selectable embedded CJK text, a QR that decodes at 150 dpi with
two independent readers, the watermark, deterministic bytes, maximum-length values.

Needs poppler-utils (pdftotext, pdffonts, pdftoppm) and zbar-tools (zbarimg); without
them the tests skip, or fail when ``ECERT_REQUIRE_BROWSER=1`` (CI). The rendered pages are
written to ``ECERT_TEST_ARTIFACTS`` (default: the test's tmp_path) for a human to look at.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from documents_test_support import (
    artifacts_dir,
    decode_zbar,
    decode_zxing,
    longest_document,
    run,
    sample_document,
    tool,
)

from schema.documents import CertificateDocument, render_certificate_pdf


def _page_png(pdf: bytes, directory: Path, name: str) -> Path:
    """Page 1 rendered by pdftoppm at 150 dpi, saved as ``{name}.png``."""
    pdf_path = directory / f"{name}.pdf"
    pdf_path.write_bytes(pdf)
    run(tool("pdftoppm"), "-r", "150", "-png", "-singlefile", str(pdf_path), str(directory / name))
    return directory / f"{name}.png"


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return run(tool("pdftotext"), "-enc", "UTF-8", str(path), "-").decode()


def _assert_qr(png: Path, url: str) -> None:
    assert decode_zxing(png) == [url], "zxing-cpp did not read exactly the verification URL"
    assert decode_zbar(png) == url, "zbarimg did not read exactly the verification URL"


@pytest.fixture(scope="module")
def doc() -> CertificateDocument:
    return sample_document()


@pytest.fixture(scope="module")
def pdf(doc: CertificateDocument) -> bytes:
    return render_certificate_pdf(doc)


def test_is_one_a4_page_with_metadata(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    lines = run(tool("pdfinfo"), str(path)).decode().splitlines()
    info = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    assert info["Pages"] == "1"
    assert info["Page size"].endswith("(A4)")
    assert info["Author"] == "北京市人力资源和社会保障局"
    assert info["Title"].startswith("专业技术人员职称电子证书")
    assert info["CreationDate"], "no creation date"


def test_text_is_selectable(pdf: bytes, doc: CertificateDocument, tmp_path: Path) -> None:
    text = _text(pdf, tmp_path)
    for expected in (
        doc.holder_name,
        doc.number,
        doc.check_code,
        "专业技术人员职称电子证书",
        doc.approval_document,
        "第1版",
        doc.cert_id,
        "2024年05月06日",  # signed_at shown as the day in Asia/Shanghai
    ):
        assert expected in text, f"{expected!r} not in the PDF's text"


def test_cjk_font_embedded_as_subset(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    rows = run(tool("pdffonts"), str(path)).decode().splitlines()[2:]
    assert rows, "no fonts listed"
    for row in rows:
        assert "NotoS" in row and "CJKSC" in row, row
        assert " yes yes " in row, f"font not embedded as a subset: {row}"


def test_qr_decodes_at_150_dpi(pdf: bytes, doc: CertificateDocument, tmp_path: Path) -> None:
    _assert_qr(_page_png(pdf, artifacts_dir(tmp_path), "certificate-page"), doc.verification_url)


def test_watermark(doc: CertificateDocument, tmp_path: Path) -> None:
    revoked = dataclasses.replace(doc, watermark="已撤销", photo_jpeg=None)
    pdf = render_certificate_pdf(revoked)
    text = _text(pdf, tmp_path)
    assert "已撤销" in text
    assert "本证书已撤销，仅供查阅" in text
    assert "照片" in text, "no placeholder where the photo is missing"
    png = _page_png(pdf, artifacts_dir(tmp_path), "certificate-page-revoked")
    _assert_qr(png, doc.verification_url)
    corrected = render_certificate_pdf(dataclasses.replace(doc, watermark="已更正"))
    assert "本证书已更正，请以新版本为准" in _text(corrected, tmp_path)


def test_deterministic(pdf: bytes, doc: CertificateDocument) -> None:
    assert render_certificate_pdf(doc) == pdf
    assert b"D:20240506070809" in pdf, "creation date is not signed_at"


def test_maximum_length_values(tmp_path: Path) -> None:
    """Every free-text field at its maximum and a version-20 QR code: rendered in full."""
    longest = longest_document()
    pdf = render_certificate_pdf(longest)
    text = "".join(_text(pdf, tmp_path).split())
    for value in (longest.holder_name, longest.specialty, longest.number, longest.check_code):
        assert value in text
    png = _page_png(pdf, artifacts_dir(tmp_path), "certificate-page-longest")
    _assert_qr(png, longest.verification_url)
