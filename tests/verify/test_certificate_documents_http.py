"""The holder's certificate documents over real HTTP: the sealed PDF, the phone card and the
QR label behind the login, each with its content hash as ETag; the document root in public;
myIssuedCertificate names the paths."""

from __future__ import annotations

import asyncio
import hashlib
import io

import zxingcpp
from PIL import Image

from crypto.pdf_signature import check_pdf_signature
from schema.actor import SYSTEM
from schema.http_edge.deps import Deps
from schema.services.document_seal import init_document_ca
from schema.services.reference import current_catalog
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985, NOW
from tests.support.flows import REVIEWER_ID, issue_yubei_certificate, make_people

MINE = """
query($certId: String!) {
  myIssuedCertificate(certId: $certId) { certId pdfPath cardPath qrLabelPath }
}"""


async def _hierarchy(deps: Deps) -> None:
    await init_document_ca(
        actor=SYSTEM,
        passphrase=deps.settings.signing_passphrase.reveal(),
        catalog=await current_catalog(),
        now=NOW,
        authority_codes={"500112"},
    )


async def test_holder_downloads_the_sealed_pdf_card_and_label(
    server: ApiClient, deps: Deps
) -> None:
    await _hierarchy(deps)
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    holder = await server.login(ID_MALE_1985)
    auth = {"Authorization": f"Bearer {holder.token}"}

    paths = (await holder.data(MINE, {"certId": cert.cert_id}))["myIssuedCertificate"]
    assert paths["pdfPath"] == f"/certificates/{cert.cert_id}/certificate.pdf"

    pdf = await server.http.get(paths["pdfPath"], headers=auth)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.headers["etag"] == f'"{hashlib.sha256(pdf.content).hexdigest()}"'
    root = await server.http.get("/.well-known/ecert-document-root.pem")
    assert root.status_code == 200 and root.content.startswith(b"-----BEGIN CERTIFICATE-----")
    report = await asyncio.to_thread(
        check_pdf_signature, pdf.content, trusted_roots=[root.content]
    )
    assert report.ok and report.authority_code == cert.authority_code, report

    same = await server.http.get(
        paths["pdfPath"], headers={**auth, "If-None-Match": pdf.headers["etag"]}
    )
    assert same.status_code == 304 and same.content == b""

    for path in (paths["cardPath"], paths["qrLabelPath"]):
        png = await server.http.get(path, headers=auth)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png", path
        decoded = zxingcpp.read_barcodes(
            Image.open(io.BytesIO(png.content)), formats=zxingcpp.BarcodeFormat.QRCode
        )
        assert [r.text for r in decoded] == [cert.verification_url], path


async def test_documents_are_refused_to_strangers_alike(server: ApiClient, deps: Deps) -> None:
    await _hierarchy(deps)
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    path = f"/certificates/{cert.cert_id}/certificate.pdf"

    anonymous = await server.http.get(path)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"

    # The reviewer of the certificate's authority may have it; a missing id is 404.
    reviewer = await server.login(REVIEWER_ID)
    staff = {"Authorization": f"Bearer {reviewer.token}"}
    assert (await server.http.get(path, headers=staff)).status_code == 200
    missing = await server.http.get(f"/certificates/{'A' * 26}/certificate.pdf", headers=staff)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "CERTIFICATE_NOT_FOUND"


async def test_without_the_sealing_hierarchy_the_pdf_is_503(server: ApiClient, deps: Deps) -> None:
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    holder = await server.login(ID_MALE_1985)
    answer = await server.http.get(
        f"/certificates/{cert.cert_id}/certificate.pdf",
        headers={"Authorization": f"Bearer {holder.token}"},
    )
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "DOCUMENT_SEAL_NOT_CONFIGURED"
    assert (await server.http.get("/.well-known/ecert-document-root.pem")).status_code == 503
