"""The credential export over real HTTP: a holder downloads an issued certificate as a W3C
Verifiable Credential (credentialPath on myIssuedCertificate), and it verifies with
crypto.vc.verify_vc against the DID document the service publishes at
/.well-known/did.json; a tampered field does not. Only the holder gets the file."""

from __future__ import annotations

import copy

from crypto.canonical import decode_claims
from crypto.signing import parse_cose_sign1
from crypto.vc import VcReason, issuer_did, multikey, verify_vc
from schema.http_edge.deps import Deps
from schema.models import SigningKey
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985
from tests.support.flows import REVIEWER_ID, issue_yubei_certificate, make_people

MINE = """
query($certId: String!) {
  myIssuedCertificate(certId: $certId) { certId verificationUrl credentialPath }
}"""


async def test_holder_exports_a_credential_that_verifies(server: ApiClient, deps: Deps) -> None:
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    holder = await server.login(ID_MALE_1985)
    auth = {"Authorization": f"Bearer {holder.token}"}
    mine = (await holder.data(MINE, {"certId": cert.cert_id}))["myIssuedCertificate"]
    assert mine["credentialPath"] == f"/certificates/{cert.cert_id}/credential.json"

    answer = await server.http.get(mine["credentialPath"], headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/vc"
    assert answer.headers["cache-control"] == "private, no-store"
    assert "access-control-allow-origin" not in answer.headers
    vc = answer.json()

    did_answer = await server.http.get("/.well-known/did.json")
    assert did_answer.status_code == 200
    assert did_answer.headers["access-control-allow-origin"] == "*"
    did_doc = did_answer.json()
    did = issuer_did(deps.settings.public_base_url)
    assert did_doc["id"] == did == vc["issuer"]
    keys = await SigningKey.all()
    assert {m["publicKeyMultibase"] for m in did_doc["verificationMethod"]} == {
        multikey(bytes(k.public_key)) for k in keys
    }
    assert f"{did}#{cert.kid}" in did_doc["assertionMethod"]

    result = verify_vc(vc, did_doc)
    assert result.verified, result
    assert vc["proof"]["verificationMethod"] == f"{did}#{cert.kid}"
    assert vc["id"] == cert.verification_url == mine["verificationUrl"]

    # The credential says what the QR code's signed claims say.
    claims = decode_claims(parse_cose_sign1(bytes(cert.signed_payload or b"")).payload)
    subject = vc["credentialSubject"]
    assert subject["holderName"] == claims.holder_name == cert.holder_name
    assert subject["holderIdMasked"] == cert.holder_id_masked
    assert subject["certificateNumber"] == cert.number
    assert subject["titleName"] == cert.title_name and subject["level"] == cert.level
    assert subject["obtainedOn"] == cert.obtained_on.isoformat()
    status = vc["credentialStatus"]
    assert status["statusListCredential"].endswith(f"/status/{cert.status_list_id}")
    assert status["statusListIndex"] == str(cert.status_index)
    listed = await server.http.get(f"/status/{cert.status_list_id}")
    assert listed.status_code == 200

    tampered = copy.deepcopy(vc)
    tampered["credentialSubject"]["titleName"] = "高级工程师"
    assert verify_vc(tampered, did_doc).reason is VcReason.BAD_SIGNATURE


async def test_only_the_holder_downloads_the_credential(server: ApiClient, deps: Deps) -> None:
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    path = f"/certificates/{cert.cert_id}/credential.json"
    assert (await server.http.get(path)).status_code == 401
    reviewer = await server.login(REVIEWER_ID)
    staff = await server.http.get(path, headers={"Authorization": f"Bearer {reviewer.token}"})
    assert staff.status_code == 403
    holder = await server.login(ID_MALE_1985)
    unknown = await server.http.get(
        f"/certificates/{'A' * 26}/credential.json",
        headers={"Authorization": f"Bearer {holder.token}"},
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "CERTIFICATE_NOT_FOUND"
