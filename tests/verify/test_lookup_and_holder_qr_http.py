"""The lookup form (number + full name) and the holder's QR files (over real HTTP), both DBs."""

from __future__ import annotations

from crypto import decode_qr_image
from schema.http_edge.deps import Deps
from schema.models import Certificate, LoginThrottle
from schema.services.lookup import LOOKUP_LIMIT
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985
from tests.support.flows import REVIEWER_ID, issue_yubei_certificate, make_people
from tests.verify.verify_support import SECOND_HOLDER_ID, certificates_in_every_state

JSON = {"Accept": "application/json"}
LOOKUP_GQL = """
query($number: String!, $holderName: String!) {
  lookupCertificate(number: $number, holderName: $holderName) {
    __typename
    ... on CertificateVerification { state certificate { certId number holderName } }
    ... on UserErrors { errors { code message field } }
  }
}"""


async def _forget_attempts() -> None:
    """Between phases of one test: the limit is per address, and every request is local."""
    await LoginThrottle.filter(key__startswith="lookup:").delete()


async def test_lookup_form_answers_only_an_exact_number_and_name(
    api: ApiClient, deps: Deps
) -> None:
    states = await certificates_in_every_state(deps)
    form = await api.http.get("/lookup")
    assert form.status_code == 200 and 'name="number"' in form.text and "<script" not in form.text

    # The number of a corrected certificate leads to its current version.
    number = states.valid.number
    resp = await api.http.post("/lookup", data={"number": number, "holderName": " 张三 "})
    assert resp.status_code == 200 and 'data-state="VALID"' in resp.text
    assert states.valid.check_code in resp.text
    body = (
        await api.http.post("/lookup", data={"number": number, "holderName": "张三"}, headers=JSON)
    ).json()
    assert body["found"] is True and body["state"] == "VALID"
    assert body["certificate"]["certId"] == states.valid.cert_id

    revoked = (
        await api.http.post(
            "/lookup",
            json={"number": states.revoked.number, "holderName": "欧阳娜娜"},
            headers=JSON,
        )
    ).json()
    assert revoked["state"] == "REVOKED" and revoked["revoked"]["reason"]["name"] == "错误发证"


async def test_wrong_name_and_unknown_number_are_indistinguishable(
    api: ApiClient, deps: Deps
) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    unknown_number = "2021503" + "9999999" + "1"
    cases = [
        {"number": cert.number, "holderName": "李四"},  # right number, wrong name
        {"number": cert.number, "holderName": "张"},  # a prefix of the name is not the name
        {"number": unknown_number, "holderName": "张三"},  # no such number
        {"number": "", "holderName": ""},
    ]
    html = [await api.http.post("/lookup", data=case) for case in cases]
    assert {r.status_code for r in html} == {404}
    assert len({r.text for r in html}) == 1 and "未找到" in html[0].text
    await _forget_attempts()
    as_json = [await api.http.post("/lookup", data=c, headers=JSON) for c in cases]
    assert len({r.text for r in as_json}) == 1
    assert as_json[0].json() == {
        "found": False,
        "error": {"code": "LOOKUP_NO_MATCH", "message": as_json[0].json()["error"]["message"]},
    }
    await _forget_attempts()
    gql = [
        (await api.execute(LOOKUP_GQL, {"number": c["number"], "holderName": c["holderName"]}))
        for c in cases[:3]
    ]
    for answer in gql:
        answer.pop("extensions")  # the request id differs, by design
    assert gql[0] == gql[1] == gql[2]
    assert gql[0]["data"]["lookupCertificate"]["errors"][0]["code"] == "LOOKUP_NO_MATCH"

    found = await api.execute(LOOKUP_GQL, {"number": cert.number, "holderName": "张三"})
    result = found["data"]["lookupCertificate"]
    assert result["__typename"] == "CertificateVerification" and result["state"] == "VALID"


async def test_lookup_is_rate_limited_per_client_address(api: ApiClient, deps: Deps) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    statuses = [
        (
            await api.http.post("/lookup", data={"number": "01132015X", "holderName": "某"})
        ).status_code
        for _ in range(LOOKUP_LIMIT)
    ]
    assert statuses == [404] * LOOKUP_LIMIT
    # Even the right answer is now refused, on every channel sharing the address.
    blocked = await api.http.post(
        "/lookup", data={"number": cert.number, "holderName": "张三"}, headers=JSON
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "LOOKUP_RATE_LIMITED"
    page = await api.http.post("/lookup", data={"number": cert.number, "holderName": "张三"})
    assert page.status_code == 429 and "查询次数过多" in page.text
    gql = await api.execute(LOOKUP_GQL, {"number": cert.number, "holderName": "张三"})
    assert gql["data"]["lookupCertificate"]["errors"][0]["code"] == "LOOKUP_RATE_LIMITED"


async def test_holder_gets_own_qr_files_from_the_store_and_others_are_refused(
    server: ApiClient, deps: Deps
) -> None:
    states = await certificates_in_every_state(deps)
    cert = states.valid
    holder = (await server.login(ID_MALE_1985)).token
    other = (await server.login(SECOND_HOLDER_ID)).token
    reviewer = (await server.login(REVIEWER_ID)).token
    png_path = f"/certificates/{cert.cert_id}/qr.png"
    svg_path = f"/certificates/{cert.cert_id}/qr.svg"

    png = await server.http.get(png_path, headers={"Authorization": f"Bearer {holder}"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    stored = await Certificate.get(id=cert.id)  # drawn and stored by this first download
    assert png.content == await deps.store.get(stored.qr_png_sha256 or "")
    assert decode_qr_image(png.content) == cert.verification_url
    svg = await server.http.get(svg_path, headers={"Authorization": f"Bearer {holder}"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.content == await deps.store.get(stored.qr_svg_sha256 or "")
    assert "sandbox" in svg.headers["content-security-policy"]

    assert (await server.http.get(png_path)).status_code == 401
    mine_not = await server.http.get(png_path, headers={"Authorization": f"Bearer {other}"})
    missing = await server.http.get(
        f"/certificates/{'A' * 26}/qr.png", headers={"Authorization": f"Bearer {other}"}
    )
    assert mine_not.status_code == missing.status_code == 404
    assert mine_not.json() == missing.json()  # another's certificate looks like no certificate
    staff = await server.http.get(svg_path, headers={"Authorization": f"Bearer {reviewer}"})
    assert staff.status_code == 403
    # The other holder's own certificate works for them (cookie sessions too).
    server.http.cookies.set("ecert_session", other)
    try:
        own = await server.http.get(f"/certificates/{states.revoked.cert_id}/qr.png")
    finally:
        server.http.cookies.clear()
    assert own.status_code == 200


async def test_lookup_with_a_nul_is_no_match(api: ApiClient, deps: Deps) -> None:
    # Found by the fuzzer: the NUL reached PostgreSQL (an internal error, a 500 on the form).
    await issue_yubei_certificate(deps, await make_people(deps))
    response = await api.http.post(
        "/lookup",
        json={"number": "0113\x00", "holderName": "张三\x00"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "LOOKUP_NO_MATCH"
