"""登记证书信息 over real HTTP (both databases): a newcomer's whole path through GraphQL,
absent vs null in step saves, the photo, return and resubmission, duplicates, 我的证书."""

from __future__ import annotations

import base64
import io
import random
from typing import Any

from PIL import Image

from schema.rules.iso7064 import mod11_2_check_char
from tests.support.factories import ID_MALE_1985, PASSWORD, make_applicant
from tests.support.flows import PAPER_2015_DOCUMENT, PAPER_2015_TITLE, make_people, portrait_jpeg

# --------------------------------------------------------------------------- operations

REGISTER = """
mutation($input: RegisterAccountInput!) {
  registerAccount(input: $input) {
    __typename ... on UserErrors { errors { code message } }
  }
}"""
LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    ... on LoginSuccess { token } ... on UserErrors { errors { code } }
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


async def data_of(server: Any, query: str, variables: dict | None = None, token: str | None = None):
    body = await server.gql(query, variables, token=token)
    assert "errors" not in body, f"GraphQL errors: {body.get('errors')}"
    return body["data"]


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes of a connection's page, in order."""
    return [edge["node"] for edge in connection["edges"]]


async def succeed(server: Any, query: str, input: dict | None, token: str) -> dict[str, Any]:
    """Run a mutation expected to succeed; return its payload."""
    data = await data_of(server, query, {"input": input} if input is not None else None, token)
    payload = next(iter(data.values()))
    assert payload["__typename"] != "UserErrors", f"refused: {payload.get('errors')}"
    return payload


async def refused(server: Any, query: str, input: dict, token: str) -> list[dict[str, Any]]:
    """Run a mutation expected to be refused; return its user errors."""
    data = await data_of(server, query, {"input": input}, token)
    payload = next(iter(data.values()))
    assert payload["__typename"] == "UserErrors", f"expected a refusal, got {payload}"
    return payload["errors"]


async def login(server: Any, id_number: str) -> str:
    data = await data_of(server, LOGIN, {"input": {"idNumber": id_number, "password": PASSWORD}})
    assert "token" in data["login"], f"login refused: {data['login']}"
    return data["login"]["token"]


def photo_b64(seed: int = 0) -> str:
    return base64.b64encode(portrait_jpeg(seed)).decode()


async def draft_with(
    server: Any,
    token: str,
    *,
    title: dict[str, Any],
    document: dict[str, Any] | None = None,
    specialty: dict[str, Any] | None = None,
    photo: bool = True,
) -> str:
    reg_id = (await succeed(server, CREATE, None, token))["registration"]["id"]
    await succeed(server, SAVE_TITLE, {"id": reg_id, **title}, token)
    if document:
        await succeed(server, SAVE_DOCUMENT, {"id": reg_id, **document}, token)
    await succeed(
        server, SAVE_SPECIALTY, {"id": reg_id, **(specialty or {"specialty": "给排水"})}, token
    )
    if photo:
        await succeed(server, PHOTO, {"id": reg_id, "photoBase64": photo_b64()}, token)
    return reg_id


async def submitted(server: Any, token: str, **steps: Any) -> str:
    reg_id = await draft_with(server, token, **steps)
    await succeed(server, SUBMIT, {"id": reg_id}, token)
    return reg_id


# -------------------------------------------------------------------------------- tests


async def test_newcomer_registers_and_gets_a_certificate_through_graphql_only(server):
    deps = server.deps
    await make_people(deps)  # a reviewer of 渝北区 (500112) and a signing key
    account = {"name": "周新人", "idNumber": NEWCOMER_ID, "mobile": "13512345678"}
    registered = await data_of(server, REGISTER, {"input": {**account, "password": PASSWORD}})
    assert registered["registerAccount"]["__typename"] == "RegisterAccountSuccess"
    token = await login(server, NEWCOMER_ID)

    ref = (await data_of(server, REFERENCE))["reference"]
    assert ref["yubei"]["code"] == "500112"
    assert "给排水" in {s["name"] for s in ref["specialties"]}

    reg = (await succeed(server, CREATE, None, token))["registration"]
    assert (reg["status"], reg["statusLabel"], reg["holderName"]) == ("DRAFT", "填写中", "周新人")
    step = await succeed(server, SAVE_TITLE, {"id": reg["id"], **OFFLINE_2023_TITLE}, token)
    assert "approvalDocument" in step["missing"] and "photo" in step["missing"]
    step = await succeed(server, SAVE_DOCUMENT, {"id": reg["id"], **OFFLINE_2023_DOCUMENT}, token)
    assert step["registration"]["authority"] == "500112"  # 渝北区职改办 → its bureau
    step = await succeed(server, SAVE_SPECIALTY, {"id": reg["id"], "specialty": "给排水"}, token)
    assert step["missing"] == ["photo"]
    photo = await succeed(server, PHOTO, {"id": reg["id"], "photoBase64": photo_b64()}, token)
    assert photo["registration"]["hasPhoto"] is True and photo["registration"]["missing"] == []
    sent = (await succeed(server, SUBMIT, {"id": reg["id"]}, token))["registration"]
    assert (sent["status"], sent["statusLabel"], sent["round"]) == ("SUBMITTED", "待审核", 1)

    reviewer = await login(server, REVIEWER_ID)
    queue = (await data_of(server, QUEUE, {"first": 10}, reviewer))["reviewQueue"]
    assert [e["node"]["id"] for e in queue["edges"]] == [reg["id"]]
    approved = await succeed(server, APPROVE, {"id": reg["id"]}, reviewer)
    assert approved["registration"] == {"status": "APPROVED", "statusLabel": "已生成"}

    certs = nodes((await data_of(server, MY_CERTS, token=token))["myCertificates"])
    assert len(certs) == 1, certs
    cert = certs[0]
    assert (cert["status"], cert["statusLabel"], cert["version"]) == ("VALID", "有效", 1)
    assert len(cert["number"]) == 15 and cert["number"].startswith("2023503"), cert["number"]
    assert cert["holderIdMasked"] != NEWCOMER_ID and cert["holderName"] == "周新人"
    assert (cert["specialty"], cert["authorityName"]) == ("给排水", "渝北区人力资源和社会保障局")
    mine = nodes((await data_of(server, MINE, token=token))["myRegistrations"])
    assert mine[0]["certificates"][0]["certId"] == cert["certId"]


async def test_absent_fields_are_kept_and_null_clears(server):
    await make_people(server.deps)
    token = await login(server, ID_MALE_1985)
    reg_id = (await succeed(server, CREATE, None, token))["registration"]["id"]
    await succeed(server, SAVE_TITLE, {"id": reg_id, **OFFLINE_2023_TITLE}, token)
    await succeed(server, SAVE_DOCUMENT, {"id": reg_id, **OFFLINE_2023_DOCUMENT}, token)

    # Only the issue date is sent: every other document field stays as saved.
    out = await succeed(server, SAVE_DOCUMENT, {"id": reg_id, "issuedOn": "2023-07-11"}, token)
    reg = out["registration"]
    assert (reg["issuedOn"], reg["obtainedOn"]) == ("2023-07-11", "2023-06-20")
    assert reg["approvalDocument"] == "渝北职改办〔2023〕5号"

    # An explicit null clears a field: the step then lacks it.
    errors = await refused(server, SAVE_DOCUMENT, {"id": reg_id, "issuedOn": None}, token)
    assert [e["code"] for e in errors] == ["ISSUED_ON_REQUIRED"]
    assert errors[0]["field"] == ["input", "issuedOn"]


async def test_photo_that_is_not_base64_is_refused_with_its_code(server):
    await make_people(server.deps)
    token = await login(server, ID_MALE_1985)
    reg_id = (await succeed(server, CREATE, None, token))["registration"]["id"]
    errors = await refused(
        server, PHOTO, {"id": reg_id, "photoBase64": "%%% not base64 %%%"}, token
    )
    assert [(e["code"], e["field"]) for e in errors] == [
        ("PHOTO_ENCODING", ["input", "photoBase64"])
    ]

    not_an_image = base64.b64encode(b"GIF89a" + b"\0" * 64).decode()
    errors = await refused(server, PHOTO, {"id": reg_id, "photoBase64": not_an_image}, token)
    assert errors[0]["code"] == "PHOTO_FORMAT"

    # A data: URL as browsers produce it is accepted.
    url = "data:image/jpeg;base64," + photo_b64()
    ok = await succeed(server, PHOTO, {"id": reg_id, "photoBase64": url}, token)
    assert ok["registration"]["hasPhoto"] is True


async def test_return_and_resubmission_keep_every_round_in_the_history(server):
    await make_people(server.deps)
    token = await login(server, ID_MALE_1985)
    reviewer = await login(server, REVIEWER_ID)
    reg_id = await submitted(
        server, token, title=OFFLINE_2023_TITLE, document=OFFLINE_2023_DOCUMENT
    )

    returned = await succeed(
        server,
        RETURN,
        {"id": reg_id, "reason": "PHOTO_UNCLEAR", "note": "人像过小"},
        reviewer,
    )
    assert returned["registration"]["statusLabel"] == "已退回"
    mine = nodes((await data_of(server, MINE, token=token))["myRegistrations"])[0]
    assert (mine["status"], mine["returnReason"], mine["returnNote"]) == (
        "RETURNED",
        {"code": "PHOTO_UNCLEAR", "name": "照片不清晰"},
        "人像过小",
    )
    assert (
        mine["statusDetail"].startswith("已退回：照片不清晰") and "人像过小" in mine["statusDetail"]
    )

    await succeed(server, PHOTO, {"id": reg_id, "photoBase64": photo_b64(3)}, token)
    again = (await succeed(server, SUBMIT, {"id": reg_id}, token))["registration"]
    assert (again["status"], again["round"], again["returnReason"]) == ("SUBMITTED", 2, None)
    await succeed(
        server, RETURN, {"id": reg_id, "reason": "OTHER", "note": "请核对批准文号"}, reviewer
    )
    await succeed(server, SUBMIT, {"id": reg_id}, token)
    await succeed(server, APPROVE, {"id": reg_id}, reviewer)

    entries = (await data_of(server, HISTORY, {"id": reg_id}, token))["registrationHistory"]
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
    by_reviewer = await data_of(server, HISTORY, {"id": reg_id}, reviewer)
    assert len(by_reviewer["registrationHistory"]) == len(entries)


async def test_second_registration_of_a_certificate_points_to_the_existing_one(server):
    await make_people(server.deps)
    token = await login(server, ID_MALE_1985)
    first = await submitted(server, token, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT)

    second = (await succeed(server, CREATE, None, token))["registration"]["id"]
    await succeed(server, SAVE_TITLE, {"id": second, **PAPER_2015_TITLE}, token)
    errors = await refused(server, SAVE_DOCUMENT, {"id": second, **PAPER_2015_DOCUMENT}, token)
    assert [(e["code"], e["ref"]) for e in errors] == [("SCOPE_ALREADY_REGISTERED", first)]
    assert first in errors[0]["message"]


async def test_my_registrations_lists_statuses_and_withdrawn_drafts_disappear(server):
    await make_people(server.deps)
    token = await login(server, ID_MALE_1985)
    draft = (await succeed(server, CREATE, None, token))["registration"]["id"]
    await succeed(server, SAVE_TITLE, {"id": draft, **OFFLINE_2023_TITLE}, token)
    sent = await submitted(server, token, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT)

    mine = {
        r["id"]: r for r in nodes((await data_of(server, MINE, token=token))["myRegistrations"])
    }
    assert (mine[draft]["statusLabel"], mine[sent]["statusLabel"]) == ("填写中", "待审核")
    labels = {m["field"]: m["label"] for m in mine[draft]["missing"]}
    assert labels["approvalDocument"] == "批准文号" and labels["photo"] == "个人照片"
    assert mine[sent]["certificateNumber"] == "011320150042"

    out = await succeed(server, WITHDRAW, {"id": draft}, token)
    assert out["registration"]["statusLabel"] == "已撤回"
    mine = nodes((await data_of(server, MINE, token=token))["myRegistrations"])
    assert [r["id"] for r in mine] == [sent]
    # A submitted registration cannot be withdrawn.
    errors = await refused(server, WITHDRAW, {"id": sent}, token)
    assert errors[0]["code"] == "REGISTRATION_NOT_WITHDRAWABLE"


async def test_my_registrations_page_newest_first_with_cursors(server):
    await make_people(server.deps)
    token = await login(server, ID_MALE_1985)
    ids = [(await succeed(server, CREATE, None, token))["registration"]["id"] for _ in range(3)]

    async def page(**variables: Any) -> dict[str, Any]:
        return (await data_of(server, MINE_PAGE, variables, token))["myRegistrations"]

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
    everything = nodes((await data_of(server, MINE, token=token))["myRegistrations"])
    assert [r["id"] for r in everything] == ids[::-1]


async def test_my_registrations_refuses_a_bad_cursor_and_page_size(server):
    await make_people(server.deps)
    token = await login(server, ID_MALE_1985)
    for variables, code in (
        ({"first": 0}, "PAGE_SIZE"),
        ({"first": 101}, "PAGE_SIZE"),
        ({"first": 1, "after": "garbage!"}, "CURSOR_INVALID"),
    ):
        body = await server.gql(MINE_PAGE, variables, token=token)
        assert body["data"] is None, body
        assert body["errors"][0]["extensions"]["code"] == code, body


async def test_someone_elses_registration_is_not_found(server):
    await make_people(server.deps)
    token = await login(server, ID_MALE_1985)
    reg_id = (await succeed(server, CREATE, None, token))["registration"]["id"]
    second = "500101199003070000"[:17]
    second += mod11_2_check_char(second)
    await make_applicant(server.deps, name="李四", id_number=second, mobile="13600001111")
    intruder = await login(server, second)
    body = await server.gql(ONE, {"id": reg_id}, token=intruder)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "REGISTRATION_NOT_FOUND"
    errors = await refused(server, SUBMIT, {"id": reg_id}, intruder)
    assert errors[0]["code"] == "REGISTRATION_NOT_FOUND"


async def test_a_photo_larger_than_a_megabyte_fits_through_the_transport(server):
    await make_people(server.deps)
    token = await login(server, ID_MALE_1985)
    reg_id = (await succeed(server, CREATE, None, token))["registration"]["id"]
    noise = Image.frombytes("RGB", (1100, 1450), random.Random(7).randbytes(1100 * 1450 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    assert 1_000_000 < len(data) < 2_000_000, len(data)  # above the old 1 MB body limit
    ok = await succeed(
        server, PHOTO, {"id": reg_id, "photoBase64": base64.b64encode(data).decode()}, token
    )
    assert ok["registration"]["hasPhoto"] is True
