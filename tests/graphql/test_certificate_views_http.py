"""Certificate views over GraphQL: verifyCertificate (over real HTTP), and the holder's
myIssuedCertificate."""

from __future__ import annotations

import base64

from crypto import decode_qr_image
from schema.http_edge.deps import Deps
from schema.models import Certificate
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985
from tests.support.flows import REVIEWER_ID
from tests.verify.verify_support import SECOND_HOLDER_ID, certificates_in_every_state

VERIFY = """
query($url: String!) {
  verifyCertificate(url: $url) {
    state stateLabel signatureVerified
    certificate { certId holderName holderIdMasked levelName authorityName provenanceLabel
                  kid checkCode photoPath }
    currentVersion { certId path verificationUrl }
    revokedAt revocationReasonCode revocationReasonName
  }
}"""
MINE = """
query($certId: String!) {
  myIssuedCertificate(certId: $certId) {
    certId version status statusLabel verificationUrl checkCode qrSvg qrPngBase64 qrPngPath
  }
}"""


async def test_verify_certificate_gives_the_pages_verdict(server: ApiClient, deps: Deps) -> None:
    states = await certificates_in_every_state(deps)

    valid = (await server.execute(VERIFY, {"url": states.valid.verification_url}))["data"]
    v = valid["verifyCertificate"]
    assert v["state"] == "VALID" and v["stateLabel"] == "有效" and v["signatureVerified"]
    assert v["certificate"]["holderName"] == "张三"
    assert v["certificate"]["authorityName"] == "渝北区人力资源和社会保障局"
    assert v["certificate"]["checkCode"] == states.valid.check_code

    # Scanners that lower-case: still the same verdict.
    old = (await server.execute(VERIFY, {"url": states.superseded.verification_url.lower()}))[
        "data"
    ]
    assert old["verifyCertificate"]["state"] == "SUPERSEDED"
    assert old["verifyCertificate"]["currentVersion"]["certId"] == states.valid.cert_id

    revoked = (await server.execute(VERIFY, {"url": states.revoked.verification_url}))["data"]
    r = revoked["verifyCertificate"]
    assert r["state"] == "REVOKED" and r["revocationReasonName"] == "错误发证"

    # Another origin is not the official one, whatever it carries.
    elsewhere = states.valid.verification_url.replace("VERIFY.ECERT.TEST", "VERIFY.EVIL.TEST")
    bad = (await server.execute(VERIFY, {"url": elsewhere}))["data"]["verifyCertificate"]
    assert bad["state"] == "UNVERIFIABLE" and bad["certificate"] is None


async def test_holder_reads_own_qr_material_from_the_store(api: ApiClient, deps: Deps) -> None:
    states = await certificates_in_every_state(deps)
    cert = states.valid
    holder = await api.login(ID_MALE_1985)
    body = await holder.execute(MINE, {"certId": cert.cert_id})
    mine = body["data"]["myIssuedCertificate"]
    assert mine["verificationUrl"] == cert.verification_url
    assert mine["checkCode"] == cert.check_code and mine["version"] == 2
    assert mine["status"] == "VALID" and mine["statusLabel"] == "有效"
    png = base64.b64decode(mine["qrPngBase64"])
    stored = await Certificate.get(id=cert.id)  # drawn and stored by this first read
    assert png == await deps.store.get(stored.qr_png_sha256 or "")
    assert decode_qr_image(png) == cert.verification_url
    assert mine["qrSvg"].encode() == await deps.store.get(stored.qr_svg_sha256 or "")
    assert mine["qrPngPath"] == f"/certificates/{cert.cert_id}/qr.png"

    old = await holder.execute(MINE, {"certId": states.superseded.cert_id})
    assert old["data"]["myIssuedCertificate"]["statusLabel"] == "已更正"


async def test_others_cannot_read_a_holders_qr(api: ApiClient, deps: Deps) -> None:
    states = await certificates_in_every_state(deps)
    cert_id = states.valid.cert_id
    second_holder = await api.login(SECOND_HOLDER_ID)
    other = await second_holder.execute(MINE, {"certId": cert_id})
    missing = await second_holder.execute(MINE, {"certId": "A" * 26})
    assert other["data"] is None
    assert other["errors"][0]["extensions"]["code"] == "CERTIFICATE_NOT_FOUND"
    assert other["errors"][0]["message"] == missing["errors"][0]["message"]
    staff = await (await api.login(REVIEWER_ID)).execute(MINE, {"certId": cert_id})
    assert staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await api.execute(MINE, {"certId": cert_id})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
