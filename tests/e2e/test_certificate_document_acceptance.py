"""Issue 11's acceptance, on documents as a holder downloads them over real HTTP and with
independent tools: poppler's pdfsig (chain trusted through an NSS database holding the
published root) and pyHanko validate the seal; the page rendered by pdftoppm at 150 dpi
decodes with zxing-cpp AND zbar to the verification URL; pdftotext finds the holder's name,
the number and the check code; one changed byte makes both validators refuse; superseded and
revoked versions carry their watermark. Screenshots of the page and the card are kept in
``test-artifacts/documents/`` (or ``$ECERT_TEST_ARTIFACTS``)."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from crypto.pdf_signature import check_pdf_signature
from schema.http_edge.deps import Deps
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985
from tests.support.tools import require_tool
from tests.verify.document_support import flip_one_byte, init_sealing
from tests.verify.verify_support import SECOND_HOLDER_ID, certificates_in_every_state

ROOT = Path(__file__).resolve().parents[2]


def _artifacts() -> Path:
    target = Path(os.environ.get("ECERT_TEST_ARTIFACTS") or ROOT / "test-artifacts" / "documents")
    target.mkdir(parents=True, exist_ok=True)
    return target


def _run(*args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(args, input=stdin, capture_output=True, timeout=120, check=False)
    return (done.stdout + done.stderr).decode("utf-8", "replace")


def _nss_trusting(root_pem: bytes, directory: Path) -> str:
    certutil = require_tool("certutil")
    (directory / "root.pem").write_bytes(root_pem)
    db = f"sql:{directory}"
    _run(certutil, "-N", "-d", db, "--empty-password")
    _run(
        certutil,
        "-A",
        "-d",
        db,
        "-n",
        "ecert-root",
        "-t",
        "C,C,C",
        "-i",
        str(directory / "root.pem"),
    )
    return db


def _page_png(pdf: Path, prefix: Path) -> Path:
    _run(require_tool("pdftoppm"), "-r", "150", "-png", "-singlefile", str(pdf), str(prefix))
    return prefix.with_suffix(".png")


def _decodes(png: Path) -> tuple[list[str], str]:
    zxing = [r.text for r in zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode)]
    # stdout only: zbarimg may complain on stderr about the missing D-Bus of a container.
    done = subprocess.run(
        [require_tool("zbarimg"), "--raw", "-q", str(png)], capture_output=True, timeout=120
    )
    zbar = done.stdout.decode("utf-8").strip()
    return zxing, zbar


async def test_downloaded_documents_pass_the_independent_checks(
    server: ApiClient, deps: Deps, backend: str, tmp_path: Path
) -> None:
    await init_sealing(deps)
    states = await certificates_in_every_state(deps)
    holder = await server.login(ID_MALE_1985)
    auth = {"Authorization": f"Bearer {holder.token}"}
    root_pem = (await server.http.get("/.well-known/ecert-document-root.pem")).content
    nss = _nss_trusting(root_pem, tmp_path)
    out = _artifacts()

    cert = states.valid
    answer = await server.http.get(f"/certificates/{cert.cert_id}/certificate.pdf", headers=auth)
    assert answer.status_code == 200, answer.text
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(answer.content)

    # The seal, by both validators.
    pdfsig = _run(require_tool("pdfsig"), "-nssdir", nss, str(pdf))
    assert "Signature Validation: Signature is Valid." in pdfsig, pdfsig
    assert "Certificate Validation: Certificate is Trusted." in pdfsig, pdfsig
    assert "Total document signed" in pdfsig, pdfsig
    report = await asyncio.to_thread(
        check_pdf_signature, pdf.read_bytes(), trusted_roots=[root_pem]
    )
    assert report.ok and report.timestamped, report

    # The page as printed: its QR code leads to the certificate, whichever decoder reads it.
    page = _page_png(pdf, out / f"{backend}-certificate-page")
    zxing, zbar = _decodes(page)
    assert zxing == [cert.verification_url], "zxing-cpp read the page's QR code differently"
    assert zbar == cert.verification_url, f"zbar read {zbar!r}"

    # Its text: selectable, with what an employer compares.
    text = _run(require_tool("pdftotext"), str(pdf), "-")
    assert cert.holder_name in text and cert.check_code in text, text
    assert cert.number.replace(" ", "") in text.replace(" ", ""), text

    # One byte changed: both validators refuse.
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(flip_one_byte(pdf.read_bytes()))
    pdfsig_broken = _run(require_tool("pdfsig"), "-nssdir", nss, str(broken))
    assert "Signature is Valid." not in pdfsig_broken, pdfsig_broken
    assert "Digest Mismatch" in pdfsig_broken or "Signature is Invalid" in pdfsig_broken
    changed = await asyncio.to_thread(
        check_pdf_signature, broken.read_bytes(), trusted_roots=[root_pem]
    )
    assert not changed.ok and changed.problem == "modified", changed

    # The phone card, kept for looking at, decodes too.
    card = await server.http.get(f"/certificates/{cert.cert_id}/card.png", headers=auth)
    card_file = out / f"{backend}-card.png"
    card_file.write_bytes(card.content)
    zxing, zbar = _decodes(card_file)
    assert zxing == [cert.verification_url] and zbar == cert.verification_url


@pytest.mark.parametrize(("which", "mark"), [("superseded", "已更正"), ("revoked", "已撤销")])
async def test_versions_no_longer_current_carry_their_watermark(
    server: ApiClient, deps: Deps, backend: str, tmp_path: Path, which: str, mark: str
) -> None:
    await init_sealing(deps)
    states = await certificates_in_every_state(deps)
    cert = getattr(states, which)
    holder = await server.login(SECOND_HOLDER_ID if which == "revoked" else ID_MALE_1985)
    answer = await server.http.get(
        f"/certificates/{cert.cert_id}/certificate.pdf",
        headers={"Authorization": f"Bearer {holder.token}"},
    )
    assert answer.status_code == 200, answer.text
    pdf = tmp_path / f"{which}.pdf"
    pdf.write_bytes(answer.content)
    text = _run(require_tool("pdftotext"), str(pdf), "-")
    assert mark in text, f"no {mark} watermark: {text[:300]}"
    page = _page_png(pdf, _artifacts() / f"{backend}-certificate-page-{which}")
    image = Image.open(io.BytesIO(page.read_bytes()))
    assert image.size[0] > 1000, "the page was rendered"
