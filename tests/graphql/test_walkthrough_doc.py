"""docs/walkthrough.md, executed: a newcomer gets from a fresh account to an approved
certificate with the documented GraphiQL operations only (both databases)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from schema.actor import SYSTEM
from schema.enums import Role
from schema.http_edge.deps import Deps
from schema.services.accounts import create_staff
from schema.services.reference import authority_codes
from schema.services.signing_keys import ensure_development_key
from tests.support.client import ApiClient
from tests.support.factories import NOW, sent_code
from tests.support.totp import enrol_totp, login_code

DOC = Path(__file__).resolve().parents[2] / "docs" / "walkthrough.md"
SAMPLE_PHOTO = DOC.parent / "sample-photo.jpg"  # the photo the walkthrough tells readers to use
REVIEWER_ID = "500243199212310562"


def _operations() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


async def _run(api: ApiClient, op: str, values: dict[str, str], token: str | None) -> dict:
    for name, value in values.items():
        op = op.replace(name, value)
    photo = base64.b64encode(SAMPLE_PHOTO.read_bytes()).decode()
    variables = {"photo": photo} if "$photo" in op else {}
    body = await api.execute(op, variables, token=token)
    assert "errors" not in body, json.dumps(body, ensure_ascii=False)[:800]
    (field,) = body["data"].values() if len(body["data"]) == 1 else (body["data"],)
    assert not (isinstance(field, dict) and field.get("__typename") == "UserErrors"), (
        f"refused: {json.dumps(field, ensure_ascii=False)}\n{op}"
    )
    return body["data"]


async def test_walkthrough_reaches_an_approved_certificate(api: ApiClient, deps: Deps) -> None:
    # What `make run` and the operator's `ecert create-staff` do, through the same services.
    await ensure_development_key(passphrase=deps.settings.signing_passphrase.reveal(), now=NOW)
    reviewer_account = await create_staff(
        actor=SYSTEM,
        pii=deps.pii,
        name="李审核",
        id_number=REVIEWER_ID,
        mobile="13900001111",
        password="Review-Pass-2026",
        role=Role.REVIEWER,
        authority_code="500112",
        known_authorities=await authority_codes(),
        now=NOW,
    )
    # The reviewer enrols an authenticator app as docs/staff.md describes.
    await enrol_totp(deps, reviewer_account.account, now=NOW)
    ops = _operations()
    assert len(ops) == 14, f"the walkthrough has {len(ops)} operations; update this test"
    values: dict[str, str] = {}

    await _run(api, ops[0], values, None)  # requestSmsCode: the code goes to the dev outbox
    values["SMS_CODE"] = sent_code(deps, "13812341234")
    await _run(api, ops[1], values, None)
    applicant = (await _run(api, ops[2], values, None))["login"]["token"]
    reference = (await _run(api, ops[3], values, applicant))["reference"]
    assert reference["resolveAuthority"]["code"] == "500112"
    created = await _run(api, ops[4], values, applicant)
    values["REGISTRATION_ID"] = created["createRegistration"]["registration"]["id"]
    title = await _run(api, ops[5], values, applicant)
    assert title["saveRegistrationTitle"]["registration"]["approvalDocument"] == (
        "渝北职改办〔2022〕21号"
    )
    for op in ops[6:10]:
        await _run(api, op, values, applicant)

    login_reviewer = (
        ops[2]
        .replace("500112198503120238", REVIEWER_ID)
        .replace("Qiushi-2026!Cert", "Review-Pass-2026")
        .replace('password: "Review-Pass-2026"', 'password: "Review-Pass-2026", totpCode: "CODE"')
    )
    login_reviewer = login_reviewer.replace("CODE", await login_code(deps, REVIEWER_ID) or "")
    reviewer = (await _run(api, login_reviewer, values, None))["login"]["token"]
    queue = (await _run(api, ops[10], values, reviewer))["reviewQueue"]["edges"]
    assert [e["node"]["id"] for e in queue] == [values["REGISTRATION_ID"]]
    approved = (await _run(api, ops[11], values, reviewer))["approveRegistration"]
    assert approved["certificate"]["statusLabel"] == "有效"

    edges = (await _run(api, ops[12], values, applicant))["myCertificates"]["edges"]
    mine = [e["node"] for e in edges]
    assert [c["number"] for c in mine] == [approved["certificate"]["number"]]
    values["CERT_ID"] = mine[0]["certId"]
    view = (await _run(api, ops[13], values, applicant))["myIssuedCertificate"]
    assert view["verificationUrl"].startswith("HTTPS://VERIFY.ECERT.TEST/V/")
    assert view["qrSvg"].lstrip().startswith("<")


def test_every_documented_mutation_shows_its_refusals() -> None:
    """A newcomer who types something wrong must see the code and the Chinese message."""
    for op in _operations():
        if op.lstrip().startswith("mutation"):
            assert re.search(r"\.\.\. on UserErrors \{ errors \{ code message", op), (
                f"this walkthrough mutation selects no error fields:\n{op}"
            )


def test_the_sample_photo_the_walkthrough_names_is_in_the_repository() -> None:
    assert "docs/sample-photo.jpg" in DOC.read_text(encoding="utf-8")
    assert SAMPLE_PHOTO.read_bytes()[:3] == b"\xff\xd8\xff", "docs/sample-photo.jpg is no JPEG"
