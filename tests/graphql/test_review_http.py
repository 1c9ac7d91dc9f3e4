"""The reviewing authority over real HTTP (both databases): the queue and its filters and
cursors, opening a registration with its photo, another authority's reviewer kept out,
revocation and reinstatement audited, correction requests paged with cursors."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from schema.enums import Role
from schema.rules.iso7064 import mod11_2_check_char
from schema.services import corrections, review
from schema.services.reference import current_catalog
from tests.support.factories import ID_MALE_1985, NOW, PASSWORD, make_staff
from tests.support.flows import (
    REVIEWER_ID,
    YUBEI_TITLE,
    fill_and_submit,
    issue_yubei_certificate,
    make_people,
)

ADMIN_ID = "500101198802290019"
OTHER_REVIEWER_ID = "50010119850101001"  # 万州区 (500101); check character added below
OTHER_REVIEWER_ID += mod11_2_check_char(OTHER_REVIEWER_ID)

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { ... on LoginSuccess { token } ... on UserErrors { errors { code } } }
}"""
QUEUE = """
query($filter: ReviewQueueFilter, $first: Int!, $after: String) {
  reviewQueue(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id status level approvalDocument } }
    pageInfo { endCursor hasNextPage }
  }
}"""
OPEN = """
query($id: ID!) {
  reviewRegistration(id: $id) {
    registration { id status holderName holderIdMasked approvalDocument hasPhoto warnings { code } }
    photoDataUrl
    history { action actorRole }
  }
}"""
APPROVE = """
mutation($input: ApproveRegistrationInput!) { approveRegistration(input: $input) {
  __typename
  ... on ApproveRegistrationSuccess { certificate { certId number } }
  ... on UserErrors { errors { code message field } }
} }"""
RETURN = """
mutation($input: ReturnRegistrationInput!) { returnRegistration(input: $input) {
  __typename
  ... on ReturnRegistrationSuccess { registration { status } }
  ... on UserErrors { errors { code message field } }
} }"""
CERT_FIELDS = "certId status statusLabel revocationReason { code name } supersededBy"
REVOKE = f"""
mutation($input: RevokeCertificateInput!) {{ revokeCertificate(input: $input) {{
  __typename
  ... on CertificateSuccess {{ certificate {{ {CERT_FIELDS} }} }}
  ... on UserErrors {{ errors {{ code message field }} }}
}} }}"""
REINSTATE = f"""
mutation($input: ReinstateCertificateInput!) {{ reinstateCertificate(input: $input) {{
  __typename
  ... on CertificateSuccess {{ certificate {{ {CERT_FIELDS} }} }}
  ... on UserErrors {{ errors {{ code message field }} }}
}} }}"""
CERT_HISTORY = """
query($certId: ID!) {
  certificateHistory(certId: $certId) { action actionLabel actorRole before after note }
}"""
MY_CERTS = f"{{ myCertificates {{ edges {{ node {{ {CERT_FIELDS} }} }} }} }}"
HISTORY = "query($id: ID!) { registrationHistory(id: $id) { action } }"
CORRECTIONS = """
query($first: Int!, $after: String) {
  correctionRequests(first: $first, after: $after) {
    edges { cursor node { id status certificate { certId specialty } } }
    pageInfo { endCursor hasNextPage }
  }
}"""
MY_CORRECTIONS = """
query($first: Int!, $after: String) {
  myCorrectionRequests(first: $first, after: $after) {
    edges { node { id statusLabel } }
    pageInfo { endCursor hasNextPage }
  }
}"""


async def data_of(server: Any, query: str, variables: dict | None = None, token: str | None = None):
    body = await server.gql(query, variables, token=token)
    assert "errors" not in body, f"GraphQL errors: {body.get('errors')}"
    return body["data"]


async def payload_of(server: Any, query: str, input: dict, token: str) -> dict[str, Any]:
    data = await data_of(server, query, {"input": input}, token)
    return next(iter(data.values()))


async def error_code(server: Any, query: str, variables: dict, token: str) -> str:
    """The code of a query refused as a GraphQL error."""
    body = await server.gql(query, variables, token=token)
    assert body.get("errors"), f"expected an error, got {body}"
    return body["errors"][0]["extensions"]["code"]


async def login(server: Any, id_number: str) -> str:
    data = await data_of(server, LOGIN, {"input": {"idNumber": id_number, "password": PASSWORD}})
    return data["login"]["token"]


async def yubei_submissions(deps: Any, applicant: Any) -> list[str]:
    """Three submitted registrations, one per employer type of the Yubei batch."""
    ids = []
    for i, employer in enumerate(("事业单位", "区属国有企业", "非公企业")):
        reg = await fill_and_submit(
            deps,
            applicant,
            title={**YUBEI_TITLE, "employerType": employer},
            specialty={"specialty": ("给排水", "建筑工程", "市政工程")[i]},
        )
        ids.append(reg.public_id)
    return ids


async def test_queue_pages_with_cursors_oldest_first(server):
    people = await make_people(server.deps)
    ids = await yubei_submissions(server.deps, people.applicant)
    reviewer = await login(server, REVIEWER_ID)

    page = (await data_of(server, QUEUE, {"first": 2}, reviewer))["reviewQueue"]
    assert [e["node"]["id"] for e in page["edges"]] == ids[:2]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
    rest = await data_of(
        server, QUEUE, {"first": 2, "after": page["pageInfo"]["endCursor"]}, reviewer
    )
    assert [e["node"]["id"] for e in rest["reviewQueue"]["edges"]] == ids[2:]
    assert rest["reviewQueue"]["pageInfo"]["hasNextPage"] is False
    # Every edge's cursor continues right after it.
    after_first = await data_of(
        server, QUEUE, {"first": 5, "after": page["edges"][0]["cursor"]}, reviewer
    )
    assert [e["node"]["id"] for e in after_first["reviewQueue"]["edges"]] == ids[1:]

    body = await server.gql(QUEUE, {"first": 2, "after": "garbage!"}, token=reviewer)
    assert body["errors"][0]["extensions"]["code"] == "CURSOR_INVALID"


async def test_queue_filters_by_status_level_series_and_submission_date(server):
    people = await make_people(server.deps)
    ids = await yubei_submissions(server.deps, people.applicant)
    reviewer = await login(server, REVIEWER_ID)
    returned = await payload_of(server, RETURN, {"id": ids[0], "reason": "PHOTO_UNCLEAR"}, reviewer)
    assert returned["__typename"] == "ReturnRegistrationSuccess"

    async def queue_ids(filter: dict[str, Any] | None) -> list[str]:
        data = await data_of(server, QUEUE, {"filter": filter, "first": 10}, reviewer)
        return [e["node"]["id"] for e in data["reviewQueue"]["edges"]]

    assert await queue_ids(None) == ids[1:]  # 待审核 by default
    assert await queue_ids({"status": "RETURNED"}) == ids[:1]
    assert await queue_ids({"status": None}) == ids  # every status but drafts
    assert await queue_ids({"level": "中级", "series": "工程技术"}) == ids[1:]
    assert await queue_ids({"level": "副高级"}) == []
    day = NOW.date()  # fill_and_submit stamps the tests' NOW
    assert await queue_ids({"submittedFrom": str(day), "submittedTo": str(day)}) == ids[1:]
    assert await queue_ids({"submittedFrom": str(day + timedelta(days=1))}) == []
    assert await queue_ids({"submittedTo": str(day - timedelta(days=1))}) == []


async def test_reviewer_opens_registration_with_photo_and_history(server):
    people = await make_people(server.deps)
    reg = await fill_and_submit(server.deps, people.applicant, title=YUBEI_TITLE)
    reviewer = await login(server, REVIEWER_ID)

    opened = (await data_of(server, OPEN, {"id": reg.public_id}, reviewer))["reviewRegistration"]
    assert opened["registration"]["approvalDocument"] == "渝北职改办〔2022〕21号"
    assert opened["registration"]["holderIdMasked"] == "5001**********0238"
    prefix = "data:image/jpeg;base64,"
    assert opened["photoDataUrl"].startswith(prefix)
    jpeg = base64.b64decode(opened["photoDataUrl"][len(prefix) :])
    assert jpeg[:3] == b"\xff\xd8\xff"
    actions = [h["action"] for h in opened["history"]]
    assert actions[0] == "registration.created" and actions[-1] == "registration.submitted"
    assert "registration.photo" in actions


async def test_reviewer_of_another_authority_can_neither_see_nor_decide(server):
    people = await make_people(server.deps)
    await make_staff(
        server.deps, role=Role.REVIEWER, id_number=OTHER_REVIEWER_ID, authority_code="500101"
    )
    pending = await fill_and_submit(server.deps, people.applicant, title=YUBEI_TITLE)
    other = await login(server, OTHER_REVIEWER_ID)
    admin = await login(server, ADMIN_ID)

    queue = await data_of(server, QUEUE, {"filter": {"status": None}, "first": 10}, other)
    assert queue["reviewQueue"]["edges"] == []
    assert (
        await error_code(server, OPEN, {"id": pending.public_id}, other) == "REGISTRATION_NOT_FOUND"
    )
    assert (
        await error_code(server, HISTORY, {"id": pending.public_id}, other)
        == "REGISTRATION_NOT_FOUND"
    )
    refused = await payload_of(server, APPROVE, {"id": pending.public_id}, other)
    assert refused["errors"][0]["code"] == "REGISTRATION_NOT_FOUND"
    refused = await payload_of(
        server, RETURN, {"id": pending.public_id, "reason": "OTHER", "note": "x"}, other
    )
    assert refused["errors"][0]["code"] == "REGISTRATION_NOT_FOUND"

    # The right reviewer approves; the other authority cannot revoke the certificate.
    reviewer = await login(server, REVIEWER_ID)
    approved = await payload_of(server, APPROVE, {"id": pending.public_id}, reviewer)
    cert_id = approved["certificate"]["certId"]
    refused = await payload_of(server, REVOKE, {"certId": cert_id, "reason": "DUPLICATE"}, other)
    assert refused["errors"][0]["code"] == "CERTIFICATE_NOT_FOUND"
    assert (
        await error_code(server, CERT_HISTORY, {"certId": cert_id}, other)
        == "CERTIFICATE_NOT_FOUND"
    )
    # An administrator sees every authority's work.
    everything = await data_of(server, QUEUE, {"filter": {"status": None}, "first": 10}, admin)
    assert [e["node"]["id"] for e in everything["reviewQueue"]["edges"]] == [pending.public_id]


async def test_revocation_and_reinstatement_are_audited_and_the_note_stays_private(server):
    people = await make_people(server.deps)
    cert = await issue_yubei_certificate(server.deps, people)
    reviewer = await login(server, REVIEWER_ID)
    holder = await login(server, ID_MALE_1985)

    refused = await payload_of(
        server, REVOKE, {"certId": cert.cert_id, "reason": "FRAUD"}, reviewer
    )
    assert [e["code"] for e in refused["errors"]] == ["REVOCATION_NOTE_REQUIRED"]
    note = "经核查，申报材料中的论文系抄袭"
    revoked = await payload_of(
        server, REVOKE, {"certId": cert.cert_id, "reason": "FRAUD", "note": note}, reviewer
    )
    assert revoked["certificate"]["status"] == "REVOKED"
    assert revoked["certificate"]["revocationReason"] == {"code": "FRAUD", "name": "弄虚作假取得"}

    mine = (await data_of(server, MY_CERTS, token=holder))["myCertificates"]["edges"]
    assert [(e["node"]["statusLabel"], e["node"]["revocationReason"]["code"]) for e in mine] == [
        ("已撤销", "FRAUD")
    ]
    # The note is not a field of Certificate at all: the category is all anyone else sees.
    fields = await data_of(server, '{ __type(name: "Certificate") { fields { name } } }')
    assert not [f["name"] for f in fields["__type"]["fields"] if "note" in f["name"].lower()]

    refused = await payload_of(server, REINSTATE, {"certId": cert.cert_id, "note": "误"}, reviewer)
    assert [e["code"] for e in refused["errors"]] == ["REINSTATE_NOTE_REQUIRED"]
    back = await payload_of(
        server, REINSTATE, {"certId": cert.cert_id, "note": "复议决定撤销原处理决定"}, reviewer
    )
    assert (
        back["certificate"]["status"] == "VALID" and back["certificate"]["revocationReason"] is None
    )

    entries = (await data_of(server, CERT_HISTORY, {"certId": cert.cert_id}, reviewer))[
        "certificateHistory"
    ]
    assert [(e["action"], e["note"]) for e in entries] == [
        ("certificate.issued", None),
        ("certificate.revoked", note),
        ("certificate.reinstated", "复议决定撤销原处理决定"),
    ]
    assert entries[1]["after"] == {"status": "REVOKED", "reason": "FRAUD"}
    assert entries[2]["before"]["reason"] == "FRAUD" and entries[2]["actorRole"] == "REVIEWER"


async def pending_corrections(deps: Any, people: Any) -> list[str]:
    """Three certificates of the holder, each with a pending correction request."""
    catalog = await current_catalog()
    ids = []
    for specialty, corrected in (
        ("给排水", "岩土工程"),
        ("建筑工程", "工程造价"),
        ("市政工程", "工程管理"),
    ):
        reg = await fill_and_submit(
            deps, people.applicant, title=YUBEI_TITLE, specialty={"specialty": specialty}
        )
        cert = await review.approve_registration(
            actor=people.reviewer,
            registration_id=reg.public_id,
            issuer=deps.issuer,
            catalog=catalog,
            now=NOW,
        )
        request = await corrections.request_correction(
            actor=people.applicant,
            cert_id=cert.cert_id,
            reason="登记时专业选择有误，以评审表为准",
            changes={"specialty": corrected},
            catalog=catalog,
            now=NOW,
        )
        ids.append(request.public_id)
    return ids


async def test_correction_requests_page_oldest_first_with_cursors(server):
    people = await make_people(server.deps)
    ids = await pending_corrections(server.deps, people)
    reviewer = await login(server, REVIEWER_ID)

    first = (await data_of(server, CORRECTIONS, {"first": 1}, reviewer))["correctionRequests"]
    assert [e["node"]["id"] for e in first["edges"]] == ids[:1]
    assert first["edges"][0]["node"]["certificate"]["specialty"] == "给排水"
    assert first["pageInfo"] == {"endCursor": first["edges"][0]["cursor"], "hasNextPage": True}
    after = first["pageInfo"]["endCursor"]
    second = await data_of(server, CORRECTIONS, {"first": 1, "after": after}, reviewer)
    assert [e["node"]["id"] for e in second["correctionRequests"]["edges"]] == ids[1:2]
    assert second["correctionRequests"]["pageInfo"]["hasNextPage"] is True
    rest = await data_of(server, CORRECTIONS, {"first": 5, "after": after}, reviewer)
    assert [e["node"]["id"] for e in rest["correctionRequests"]["edges"]] == ids[1:]
    assert rest["correctionRequests"]["pageInfo"]["hasNextPage"] is False

    # Another authority's reviewer sees none of them.
    await make_staff(
        server.deps, role=Role.REVIEWER, id_number=OTHER_REVIEWER_ID, authority_code="500101"
    )
    other = await login(server, OTHER_REVIEWER_ID)
    nothing = (await data_of(server, CORRECTIONS, {"first": 5}, other))["correctionRequests"]
    assert nothing == {"edges": [], "pageInfo": {"endCursor": None, "hasNextPage": False}}

    # The holder's own list runs newest first.
    holder = await login(server, ID_MALE_1985)
    mine = (await data_of(server, MY_CORRECTIONS, {"first": 2}, holder))["myCorrectionRequests"]
    assert [e["node"]["id"] for e in mine["edges"]] == [ids[2], ids[1]]
    last = await data_of(
        server, MY_CORRECTIONS, {"first": 2, "after": mine["pageInfo"]["endCursor"]}, holder
    )
    assert [e["node"]["id"] for e in last["myCorrectionRequests"]["edges"]] == [ids[0]]
    assert last["myCorrectionRequests"]["pageInfo"]["hasNextPage"] is False


async def test_correction_requests_refuse_a_bad_cursor_and_page_size(server):
    people = await make_people(server.deps)
    reg = await fill_and_submit(server.deps, people.applicant, title=YUBEI_TITLE)
    reviewer = await login(server, REVIEWER_ID)
    queue_cursor = (await data_of(server, QUEUE, {"first": 1}, reviewer))["reviewQueue"]["edges"][
        0
    ]["cursor"]
    assert queue_cursor == review.queue_cursor(reg)
    for variables, code in (
        ({"first": 0}, "PAGE_SIZE"),
        ({"first": 101}, "PAGE_SIZE"),
        ({"first": 1, "after": "garbage!"}, "CURSOR_INVALID"),
        ({"first": 1, "after": queue_cursor}, "CURSOR_INVALID"),  # another list's cursor
    ):
        assert await error_code(server, CORRECTIONS, variables, reviewer) == code
