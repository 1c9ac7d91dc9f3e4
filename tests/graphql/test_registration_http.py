"""登记证书信息 through GraphQL (both databases): a newcomer's whole path through GraphQL,
absent vs null in step saves, the photo, return and resubmission, duplicates, 我的证书; a
large photo through the real HTTP transport."""

from __future__ import annotations

import base64
import io
import random
from typing import Any

from PIL import Image

from schema.rules.iso7064 import mod11_2_check_char
from tests.support.client import ApiClient, Session
from tests.support.factories import ID_MALE_1985, PASSWORD, make_applicant
from tests.support.flows import PAPER_2015_DOCUMENT, PAPER_2015_TITLE, make_people, portrait_jpeg

# --------------------------------------------------------------------------- operations

REGISTER = """
mutation($input: RegisterAccountInput!) {
  registerAccount(input: $input) {
    __typename ... on UserErrors { errors { code message } }
  }
}"""
REFERENCE = """
{ reference {
    batches { code employerTypes { name approvalDocument } }
    yubei: resolveAuthority(text: "渝北区职改办") { code name }
    specialties(series: "05") { code name }
} }"""
REG_FIELDS = """
  id status statusLabel statusDetail round holderName holderIdMasked
  source level levelName series seriesName titleName wayObtained batch employerType
  approvalDocument approvalDocumentAsTyped obtainedOn issuedOn certificateNumber
  authority authorityName reviewBody validityScope validityScopeName
  specialty specialtyName localSpecialty hasPhoto
  returnReason { code name } returnNote
  missing { field label } warnings { code message field }
  certificates { certId number status statusLabel }
"""
ERRORS = "... on UserErrors { errors { code message field ref } }"
CREATE = f"""
mutation {{ createRegistration {{
  __typename ... on RegistrationSuccess {{ registration {{ {REG_FIELDS} }} }} {ERRORS}
}} }}"""
STEP = """
mutation($input: Save{step}Input!) {{
  save{step}(input: $input) {{
    __typename
    ... on SaveRegistrationStepSuccess {{
      registration {{ {fields} }} warnings {{ code message field }} missing
    }}
    {errors}
  }}
}}"""
SAVE_TITLE = STEP.format(step="RegistrationTitle", fields=REG_FIELDS, errors=ERRORS)
SAVE_DOCUMENT = STEP.format(step="RegistrationDocument", fields=REG_FIELDS, errors=ERRORS)
SAVE_SPECIALTY = STEP.format(step="RegistrationSpecialty", fields=REG_FIELDS, errors=ERRORS)
PHOTO = f"""
mutation($input: UploadRegistrationPhotoInput!) {{ uploadRegistrationPhoto(input: $input) {{
  __typename ... on RegistrationSuccess {{ registration {{ {REG_FIELDS} }} }} {ERRORS}
}} }}"""
SUBMIT = f"""
mutation($input: RegistrationIdInput!) {{ submitRegistration(input: $input) {{
  __typename ... on RegistrationSuccess {{ registration {{ {REG_FIELDS} }} }} {ERRORS}
}} }}"""
WITHDRAW = f"""
mutation($input: RegistrationIdInput!) {{ withdrawRegistration(input: $input) {{
  __typename ... on RegistrationSuccess {{ registration {{ {REG_FIELDS} }} }} {ERRORS}
}} }}"""
MINE = f"{{ myRegistrations {{ edges {{ node {{ {REG_FIELDS} }} }} }} }}"
MINE_PAGE = """
query($first: Int!, $after: String) {
  myRegistrations(first: $first, after: $after) {
    edges { cursor node { id status } }
    pageInfo { endCursor hasNextPage }
  }
}"""
ONE = f"query($id: ID!) {{ registration(id: $id) {{ {REG_FIELDS} }} }}"
HISTORY = """
query($id: ID!) {
  registrationHistory(id: $id) {
    at action actionLabel actorRole actorRoleLabel before after note
  }
}"""
MY_CERTS = """
{ myCertificates { edges { node {
    certId number version status statusLabel holderName holderIdMasked titleName
    level levelName series seriesName specialty authority authorityName reviewBody
    approvalDocument obtainedOn issuedOn validityScopeName supersededBy
    revocationReason { code name }
} } } }"""
QUEUE = """
query($filter: ReviewQueueFilter, $first: Int!, $after: String) {
  reviewQueue(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id status holderName titleName } }
    pageInfo { endCursor hasNextPage }
  }
}"""
APPROVE = """
mutation($input: ApproveRegistrationInput!) { approveRegistration(input: $input) {
  __typename
  ... on ApproveRegistrationSuccess {
    certificate { certId number status statusLabel } registration { status statusLabel }
  }
  ... on UserErrors { errors { code message field ref } }
} }"""
RETURN = """
mutation($input: ReturnRegistrationInput!) { returnRegistration(input: $input) {
  __typename
  ... on ReturnRegistrationSuccess { registration { status statusLabel statusDetail } }
  ... on UserErrors { errors { code message field } }
} }"""

NEWCOMER_ID = "500112199405060000"[:17]  # completed with its check character below
NEWCOMER_ID += mod11_2_check_char(NEWCOMER_ID)
REVIEWER_ID = "500243199212310562"

OFFLINE_2023_TITLE = {
    "source": "OFFLINE_REVIEW",
    "level": "中级",
    "series": "工程技术",
    "titleName": "工程师",
    "wayObtained": "评审",
}
OFFLINE_2023_DOCUMENT = {
    "approvalDocument": "渝北职改办〔2023〕5号",
    "obtainedOn": "2023-06-20",
    "issuedOn": "2023-07-10",
    "authority": "渝北区职改办",
    "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
    "validityScope": "全市",
}


# ------------------------------------------------------------------------------ helpers


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes of a connection's page, in order."""
    return [edge["node"] for edge in connection["edges"]]


def photo_b64(seed: int = 0) -> str:
    return base64.b64encode(portrait_jpeg(seed)).decode()


async def draft_with(
    applicant: Session,
    *,
    title: dict[str, Any],
    document: dict[str, Any] | None = None,
    specialty: dict[str, Any] | None = None,
    photo: bool = True,
) -> str:
    reg_id = (await applicant.ok(CREATE))["registration"]["id"]
    await applicant.ok(SAVE_TITLE, {"id": reg_id, **title})
    if document:
        await applicant.ok(SAVE_DOCUMENT, {"id": reg_id, **document})
    await applicant.ok(SAVE_SPECIALTY, {"id": reg_id, **(specialty or {"specialty": "给排水"})})
    if photo:
        await applicant.ok(PHOTO, {"id": reg_id, "photoBase64": photo_b64()})
    return reg_id


async def submitted(applicant: Session, **steps: Any) -> str:
    reg_id = await draft_with(applicant, **steps)
    await applicant.ok(SUBMIT, {"id": reg_id})
    return reg_id


# -------------------------------------------------------------------------------- tests


async def test_newcomer_registers_and_gets_a_certificate_through_graphql_only(
    api: ApiClient,
) -> None:
    deps = api.deps
    await make_people(deps)  # a reviewer of 渝北区 (500112) and a signing key
    account = {"name": "周新人", "idNumber": NEWCOMER_ID, "mobile": "13512345678"}
    code = await api.sms_code(account["mobile"])  # read from the development SMS outbox
    registered = await api.data(
        REGISTER, {"input": {**account, "password": PASSWORD, "smsCode": code}}
    )
    assert registered["registerAccount"]["__typename"] == "RegisterAccountSuccess"
    applicant = await api.login(NEWCOMER_ID)

    ref = (await api.data(REFERENCE))["reference"]
    assert ref["yubei"]["code"] == "500112"
    assert "给排水" in {s["name"] for s in ref["specialties"]}

    reg = (await applicant.ok(CREATE))["registration"]
    assert (reg["status"], reg["statusLabel"], reg["holderName"]) == ("DRAFT", "填写中", "周新人")
    step = await applicant.ok(SAVE_TITLE, {"id": reg["id"], **OFFLINE_2023_TITLE})
    assert "approvalDocument" in step["missing"] and "photo" in step["missing"]
    step = await applicant.ok(SAVE_DOCUMENT, {"id": reg["id"], **OFFLINE_2023_DOCUMENT})
    assert step["registration"]["authority"] == "500112"  # 渝北区职改办 → its bureau
    step = await applicant.ok(SAVE_SPECIALTY, {"id": reg["id"], "specialty": "给排水"})
    assert step["missing"] == ["photo"]
    photo = await applicant.ok(PHOTO, {"id": reg["id"], "photoBase64": photo_b64()})
    assert photo["registration"]["hasPhoto"] is True and photo["registration"]["missing"] == []
    sent = (await applicant.ok(SUBMIT, {"id": reg["id"]}))["registration"]
    assert (sent["status"], sent["statusLabel"], sent["round"]) == ("SUBMITTED", "待审核", 1)

    reviewer = await api.login(REVIEWER_ID)
    queue = (await reviewer.data(QUEUE, {"first": 10}))["reviewQueue"]
    assert [e["node"]["id"] for e in queue["edges"]] == [reg["id"]]
    approved = await reviewer.ok(APPROVE, {"id": reg["id"]})
    assert approved["registration"] == {"status": "APPROVED", "statusLabel": "已生成"}

    certs = nodes((await applicant.data(MY_CERTS))["myCertificates"])
    assert len(certs) == 1, certs
    cert = certs[0]
    assert (cert["status"], cert["statusLabel"], cert["version"]) == ("VALID", "有效", 1)
    assert len(cert["number"]) == 15 and cert["number"].startswith("2023503"), cert["number"]
    assert cert["holderIdMasked"] != NEWCOMER_ID and cert["holderName"] == "周新人"
    assert (cert["specialty"], cert["authorityName"]) == ("给排水", "渝北区人力资源和社会保障局")
    mine = nodes((await applicant.data(MINE))["myRegistrations"])
    assert mine[0]["certificates"][0]["certId"] == cert["certId"]


async def test_absent_fields_are_kept_and_null_clears(api: ApiClient) -> None:
    await make_people(api.deps)
    applicant = await api.login(ID_MALE_1985)
    reg_id = (await applicant.ok(CREATE))["registration"]["id"]
    await applicant.ok(SAVE_TITLE, {"id": reg_id, **OFFLINE_2023_TITLE})
    await applicant.ok(SAVE_DOCUMENT, {"id": reg_id, **OFFLINE_2023_DOCUMENT})

    # Only the issue date is sent: every other document field stays as saved.
    out = await applicant.ok(SAVE_DOCUMENT, {"id": reg_id, "issuedOn": "2023-07-11"})
    reg = out["registration"]
    assert (reg["issuedOn"], reg["obtainedOn"]) == ("2023-07-11", "2023-06-20")
    assert reg["approvalDocument"] == "渝北职改办〔2023〕5号"

    # An explicit null clears a field: the step then lacks it.
    errors = await applicant.refused(SAVE_DOCUMENT, {"id": reg_id, "issuedOn": None})
    assert [e["code"] for e in errors] == ["ISSUED_ON_REQUIRED"]
    assert errors[0]["field"] == ["input", "issuedOn"]


async def test_photo_that_is_not_base64_is_refused_with_its_code(api: ApiClient) -> None:
    await make_people(api.deps)
    applicant = await api.login(ID_MALE_1985)
    reg_id = (await applicant.ok(CREATE))["registration"]["id"]
    errors = await applicant.refused(PHOTO, {"id": reg_id, "photoBase64": "%%% not base64 %%%"})
    assert [(e["code"], e["field"]) for e in errors] == [
        ("PHOTO_ENCODING", ["input", "photoBase64"])
    ]

    not_an_image = base64.b64encode(b"GIF89a" + b"\0" * 64).decode()
    errors = await applicant.refused(PHOTO, {"id": reg_id, "photoBase64": not_an_image})
    assert errors[0]["code"] == "PHOTO_FORMAT"

    # A data: URL as browsers produce it is accepted.
    url = "data:image/jpeg;base64," + photo_b64()
    ok = await applicant.ok(PHOTO, {"id": reg_id, "photoBase64": url})
    assert ok["registration"]["hasPhoto"] is True


async def test_return_and_resubmission_keep_every_round_in_the_history(api: ApiClient) -> None:
    await make_people(api.deps)
    applicant = await api.login(ID_MALE_1985)
    reviewer = await api.login(REVIEWER_ID)
    reg_id = await submitted(applicant, title=OFFLINE_2023_TITLE, document=OFFLINE_2023_DOCUMENT)

    returned = await reviewer.ok(
        RETURN, {"id": reg_id, "reason": "PHOTO_UNCLEAR", "note": "人像过小"}
    )
    assert returned["registration"]["statusLabel"] == "已退回"
    mine = nodes((await applicant.data(MINE))["myRegistrations"])[0]
    assert (mine["status"], mine["returnReason"], mine["returnNote"]) == (
        "RETURNED",
        {"code": "PHOTO_UNCLEAR", "name": "照片不清晰"},
        "人像过小",
    )
    assert (
        mine["statusDetail"].startswith("已退回：照片不清晰") and "人像过小" in mine["statusDetail"]
    )

    await applicant.ok(PHOTO, {"id": reg_id, "photoBase64": photo_b64(3)})
    again = (await applicant.ok(SUBMIT, {"id": reg_id}))["registration"]
    assert (again["status"], again["round"], again["returnReason"]) == ("SUBMITTED", 2, None)
    await reviewer.ok(RETURN, {"id": reg_id, "reason": "OTHER", "note": "请核对批准文号"})
    await applicant.ok(SUBMIT, {"id": reg_id})
    await reviewer.ok(APPROVE, {"id": reg_id})

    entries = (await applicant.data(HISTORY, {"id": reg_id}))["registrationHistory"]
    actions = [e["action"] for e in entries]
    assert actions.count("registration.submitted") == 3
    assert actions.count("registration.returned") == 2
    assert actions[-1] == "registration.approved"
    returns = [e for e in entries if e["action"] == "registration.returned"]
    assert [(e["note"], e["actorRole"], e["after"]["round"]) for e in returns] == [
        ("人像过小", "REVIEWER", 1),
        ("请核对批准文号", "REVIEWER", 2),
    ]
    assert (
        returns[0]["actionLabel"] == "退回修改"
        and returns[0]["actorRoleLabel"] == "审批机关审核人员"
    )
    # The reviewer of the authority reads the same history.
    by_reviewer = await reviewer.data(HISTORY, {"id": reg_id})
    assert len(by_reviewer["registrationHistory"]) == len(entries)


async def test_second_registration_of_a_certificate_points_to_the_existing_one(
    api: ApiClient,
) -> None:
    await make_people(api.deps)
    applicant = await api.login(ID_MALE_1985)
    first = await submitted(applicant, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT)

    second = (await applicant.ok(CREATE))["registration"]["id"]
    await applicant.ok(SAVE_TITLE, {"id": second, **PAPER_2015_TITLE})
    errors = await applicant.refused(SAVE_DOCUMENT, {"id": second, **PAPER_2015_DOCUMENT})
    assert [(e["code"], e["ref"]) for e in errors] == [("SCOPE_ALREADY_REGISTERED", first)]
    # The record as the holder knows it, never its raw id (that travels in ``ref``).
    assert first not in errors[0]["message"], errors[0]["message"]
    assert "已有记录：高级工程师，2015年11月20日取得，待审核" in errors[0]["message"]


async def test_my_registrations_lists_statuses_and_withdrawn_drafts_disappear(
    api: ApiClient,
) -> None:
    await make_people(api.deps)
    applicant = await api.login(ID_MALE_1985)
    draft = (await applicant.ok(CREATE))["registration"]["id"]
    await applicant.ok(SAVE_TITLE, {"id": draft, **OFFLINE_2023_TITLE})
    sent = await submitted(applicant, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT)

    mine = {r["id"]: r for r in nodes((await applicant.data(MINE))["myRegistrations"])}
    assert (mine[draft]["statusLabel"], mine[sent]["statusLabel"]) == ("填写中", "待审核")
    labels = {m["field"]: m["label"] for m in mine[draft]["missing"]}
    assert labels["approvalDocument"] == "批准文号" and labels["photo"] == "个人照片"
    assert mine[sent]["certificateNumber"] == "011320150042"

    out = await applicant.ok(WITHDRAW, {"id": draft})
    assert out["registration"]["statusLabel"] == "已撤回"
    mine = nodes((await applicant.data(MINE))["myRegistrations"])
    assert [r["id"] for r in mine] == [sent]
    # A submitted registration cannot be withdrawn.
    errors = await applicant.refused(WITHDRAW, {"id": sent})
    assert errors[0]["code"] == "REGISTRATION_NOT_WITHDRAWABLE"


async def test_my_registrations_page_newest_first_with_cursors(api: ApiClient) -> None:
    await make_people(api.deps)
    applicant = await api.login(ID_MALE_1985)
    ids = [(await applicant.ok(CREATE))["registration"]["id"] for _ in range(3)]

    async def page(**variables: Any) -> dict[str, Any]:
        return (await applicant.data(MINE_PAGE, variables))["myRegistrations"]

    first = await page(first=1)
    assert [r["id"] for r in nodes(first)] == [ids[2]]
    assert first["pageInfo"] == {"endCursor": first["edges"][0]["cursor"], "hasNextPage": True}
    after = first["pageInfo"]["endCursor"]
    second = await page(first=1, after=after)
    assert ([r["id"] for r in nodes(second)], second["pageInfo"]["hasNextPage"]) == (
        [ids[1]],
        True,
    )
    rest = await page(first=5, after=after)
    assert ([r["id"] for r in nodes(rest)], rest["pageInfo"]["hasNextPage"]) == (
        [ids[1], ids[0]],
        False,
    )
    # Without arguments: the first 20, newest first.
    everything = nodes((await applicant.data(MINE))["myRegistrations"])
    assert [r["id"] for r in everything] == ids[::-1]


async def test_my_registrations_refuses_a_bad_cursor_and_page_size(api: ApiClient) -> None:
    await make_people(api.deps)
    applicant = await api.login(ID_MALE_1985)
    for variables, code in (
        ({"first": 0}, "PAGE_SIZE"),
        ({"first": 101}, "PAGE_SIZE"),
        ({"first": 1, "after": "garbage!"}, "CURSOR_INVALID"),
    ):
        body = await applicant.execute(MINE_PAGE, variables)
        assert body["data"] is None, body
        assert body["errors"][0]["extensions"]["code"] == code, body


async def test_someone_elses_registration_is_not_found(api: ApiClient) -> None:
    await make_people(api.deps)
    applicant = await api.login(ID_MALE_1985)
    reg_id = (await applicant.ok(CREATE))["registration"]["id"]
    second = "500101199003070000"[:17]
    second += mod11_2_check_char(second)
    await make_applicant(api.deps, name="李四", id_number=second, mobile="13600001111")
    intruder = await api.login(second)
    body = await intruder.execute(ONE, {"id": reg_id})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "REGISTRATION_NOT_FOUND"
    errors = await intruder.refused(SUBMIT, {"id": reg_id})
    assert errors[0]["code"] == "REGISTRATION_NOT_FOUND"


async def test_a_photo_larger_than_a_megabyte_fits_through_the_transport(server: ApiClient) -> None:
    await make_people(server.deps)
    applicant = await server.login(ID_MALE_1985)
    reg_id = (await applicant.ok(CREATE))["registration"]["id"]
    noise = Image.frombytes("RGB", (1100, 1450), random.Random(7).randbytes(1100 * 1450 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    assert 1_000_000 < len(data) < 2_000_000, len(data)  # above the old 1 MB body limit
    ok = await applicant.ok(PHOTO, {"id": reg_id, "photoBase64": base64.b64encode(data).decode()})
    assert ok["registration"]["hasPhoto"] is True
