"""The reviewing authority through GraphQL (both databases): the queue and its filters and
cursors, opening a registration with its photo (over real HTTP), another authority's reviewer
kept out, revocation and reinstatement audited, correction requests paged with cursors."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from schema.enums import Role
from schema.rules.iso7064 import mod11_2_check_char
from schema.services import corrections, review
from schema.services.reference import current_catalog
from tests.support.client import ApiClient, Session
from tests.support.factories import ID_MALE_1985, NOW, make_staff
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


async def error_code(session: Session, query: str, variables: dict[str, Any]) -> str:
    """The code of a query refused as a GraphQL error."""
    body = await session.execute(query, variables)
    assert body.get("errors"), f"expected an error, got {body}"
    return body["errors"][0]["extensions"]["code"]


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


async def test_queue_pages_with_cursors_oldest_first(api: ApiClient) -> None:
    people = await make_people(api.deps)
    ids = await yubei_submissions(api.deps, people.applicant)
    reviewer = await api.login(REVIEWER_ID)

    page = (await reviewer.data(QUEUE, {"first": 2}))["reviewQueue"]
    assert [e["node"]["id"] for e in page["edges"]] == ids[:2]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
    rest = await reviewer.data(QUEUE, {"first": 2, "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["id"] for e in rest["reviewQueue"]["edges"]] == ids[2:]
    assert rest["reviewQueue"]["pageInfo"]["hasNextPage"] is False
    # Every edge's cursor continues right after it.
    after_first = await reviewer.data(QUEUE, {"first": 5, "after": page["edges"][0]["cursor"]})
    assert [e["node"]["id"] for e in after_first["reviewQueue"]["edges"]] == ids[1:]

    body = await reviewer.execute(QUEUE, {"first": 2, "after": "garbage!"})
    assert body["errors"][0]["extensions"]["code"] == "CURSOR_INVALID"


async def test_queue_filters_by_status_level_series_and_submission_date(api: ApiClient) -> None:
    people = await make_people(api.deps)
    ids = await yubei_submissions(api.deps, people.applicant)
    reviewer = await api.login(REVIEWER_ID)
    returned = await reviewer.payload(RETURN, {"id": ids[0], "reason": "PHOTO_UNCLEAR"})
    assert returned["__typename"] == "ReturnRegistrationSuccess"

    async def queue_ids(filter: dict[str, Any] | None) -> list[str]:
        data = await reviewer.data(QUEUE, {"filter": filter, "first": 10})
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


async def test_reviewer_opens_registration_with_photo_and_history(server: ApiClient) -> None:
    people = await make_people(server.deps)
    reg = await fill_and_submit(server.deps, people.applicant, title=YUBEI_TITLE)
    reviewer = await server.login(REVIEWER_ID)

    opened = (await reviewer.data(OPEN, {"id": reg.public_id}))["reviewRegistration"]
    assert opened["registration"]["approvalDocument"] == "渝北职改办〔2022〕21号"
    assert opened["registration"]["holderIdMasked"] == "5001**********0238"
    prefix = "data:image/jpeg;base64,"
    assert opened["photoDataUrl"].startswith(prefix)
    jpeg = base64.b64decode(opened["photoDataUrl"][len(prefix) :])
    assert jpeg[:3] == b"\xff\xd8\xff"
    actions = [h["action"] for h in opened["history"]]
    assert actions[0] == "registration.created" and actions[-1] == "registration.submitted"
    assert "registration.photo" in actions


async def test_reviewer_of_another_authority_can_neither_see_nor_decide(api: ApiClient) -> None:
    people = await make_people(api.deps)
    await make_staff(
        api.deps, role=Role.REVIEWER, id_number=OTHER_REVIEWER_ID, authority_code="500101"
    )
    pending = await fill_and_submit(api.deps, people.applicant, title=YUBEI_TITLE)
    other = await api.login(OTHER_REVIEWER_ID)
    admin = await api.login(ADMIN_ID)

    queue = await other.data(QUEUE, {"filter": {"status": None}, "first": 10})
    assert queue["reviewQueue"]["edges"] == []
    assert await error_code(other, OPEN, {"id": pending.public_id}) == "REGISTRATION_NOT_FOUND"
    assert await error_code(other, HISTORY, {"id": pending.public_id}) == "REGISTRATION_NOT_FOUND"
    refused = await other.payload(APPROVE, {"id": pending.public_id})
    assert refused["errors"][0]["code"] == "REGISTRATION_NOT_FOUND"
    refused = await other.payload(RETURN, {"id": pending.public_id, "reason": "OTHER", "note": "x"})
    assert refused["errors"][0]["code"] == "REGISTRATION_NOT_FOUND"

    # The right reviewer approves; the other authority cannot revoke the certificate.
    reviewer = await api.login(REVIEWER_ID)
    approved = await reviewer.payload(APPROVE, {"id": pending.public_id})
    cert_id = approved["certificate"]["certId"]
    refused = await other.payload(REVOKE, {"certId": cert_id, "reason": "DUPLICATE"})
    assert refused["errors"][0]["code"] == "CERTIFICATE_NOT_FOUND"
    assert await error_code(other, CERT_HISTORY, {"certId": cert_id}) == "CERTIFICATE_NOT_FOUND"
    # An administrator sees every authority's work.
    everything = await admin.data(QUEUE, {"filter": {"status": None}, "first": 10})
    assert [e["node"]["id"] for e in everything["reviewQueue"]["edges"]] == [pending.public_id]


async def test_revocation_and_reinstatement_are_audited_and_the_note_stays_private(
    api: ApiClient,
) -> None:
    people = await make_people(api.deps)
    cert = await issue_yubei_certificate(api.deps, people)
    reviewer = await api.login(REVIEWER_ID)
    holder = await api.login(ID_MALE_1985)

    refused = await reviewer.payload(REVOKE, {"certId": cert.cert_id, "reason": "FRAUD"})
    assert [e["code"] for e in refused["errors"]] == ["REVOCATION_NOTE_REQUIRED"]
    note = "经核查，申报材料中的论文系抄袭"
    revoked = await reviewer.payload(
        REVOKE, {"certId": cert.cert_id, "reason": "FRAUD", "note": note}
    )
    assert revoked["certificate"]["status"] == "REVOKED"
    assert revoked["certificate"]["revocationReason"] == {"code": "FRAUD", "name": "弄虚作假取得"}

    mine = (await holder.data(MY_CERTS))["myCertificates"]["edges"]
    assert [(e["node"]["statusLabel"], e["node"]["revocationReason"]["code"]) for e in mine] == [
        ("已撤销", "FRAUD")
    ]
    # The note is not a field of Certificate at all: the category is all anyone else sees.
    fields = await api.data('{ __type(name: "Certificate") { fields { name } } }')
    assert not [f["name"] for f in fields["__type"]["fields"] if "note" in f["name"].lower()]

    refused = await reviewer.payload(REINSTATE, {"certId": cert.cert_id, "note": "误"})
    assert [e["code"] for e in refused["errors"]] == ["REINSTATE_NOTE_REQUIRED"]
    back = await reviewer.payload(
        REINSTATE, {"certId": cert.cert_id, "note": "复议决定撤销原处理决定"}
    )
    assert (
        back["certificate"]["status"] == "VALID" and back["certificate"]["revocationReason"] is None
    )

    entries = (await reviewer.data(CERT_HISTORY, {"certId": cert.cert_id}))["certificateHistory"]
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
            pii=deps.pii,
            now=NOW,
        )
        ids.append(request.public_id)
    return ids


async def test_correction_requests_page_oldest_first_with_cursors(api: ApiClient) -> None:
    people = await make_people(api.deps)
    ids = await pending_corrections(api.deps, people)
    reviewer = await api.login(REVIEWER_ID)

    first = (await reviewer.data(CORRECTIONS, {"first": 1}))["correctionRequests"]
    assert [e["node"]["id"] for e in first["edges"]] == ids[:1]
    assert first["edges"][0]["node"]["certificate"]["specialty"] == "给排水"
    assert first["pageInfo"] == {"endCursor": first["edges"][0]["cursor"], "hasNextPage": True}
    after = first["pageInfo"]["endCursor"]
    second = await reviewer.data(CORRECTIONS, {"first": 1, "after": after})
    assert [e["node"]["id"] for e in second["correctionRequests"]["edges"]] == ids[1:2]
    assert second["correctionRequests"]["pageInfo"]["hasNextPage"] is True
    rest = await reviewer.data(CORRECTIONS, {"first": 5, "after": after})
    assert [e["node"]["id"] for e in rest["correctionRequests"]["edges"]] == ids[1:]
    assert rest["correctionRequests"]["pageInfo"]["hasNextPage"] is False

    # Another authority's reviewer sees none of them.
    await make_staff(
        api.deps, role=Role.REVIEWER, id_number=OTHER_REVIEWER_ID, authority_code="500101"
    )
    other = await api.login(OTHER_REVIEWER_ID)
    nothing = (await other.data(CORRECTIONS, {"first": 5}))["correctionRequests"]
    assert nothing == {"edges": [], "pageInfo": {"endCursor": None, "hasNextPage": False}}

    # The holder's own list runs newest first.
    holder = await api.login(ID_MALE_1985)
    mine = (await holder.data(MY_CORRECTIONS, {"first": 2}))["myCorrectionRequests"]
    assert [e["node"]["id"] for e in mine["edges"]] == [ids[2], ids[1]]
    last = await holder.data(MY_CORRECTIONS, {"first": 2, "after": mine["pageInfo"]["endCursor"]})
    assert [e["node"]["id"] for e in last["myCorrectionRequests"]["edges"]] == [ids[0]]
    assert last["myCorrectionRequests"]["pageInfo"]["hasNextPage"] is False


async def test_correction_requests_refuse_a_bad_cursor_and_page_size(api: ApiClient) -> None:
    people = await make_people(api.deps)
    reg = await fill_and_submit(api.deps, people.applicant, title=YUBEI_TITLE)
    reviewer = await api.login(REVIEWER_ID)
    queue_cursor = (await reviewer.data(QUEUE, {"first": 1}))["reviewQueue"]["edges"][0]["cursor"]
    assert queue_cursor == review.queue_cursor(reg)
    for variables, code in (
        ({"first": 0}, "PAGE_SIZE"),
        ({"first": 101}, "PAGE_SIZE"),
        ({"first": 1, "after": "garbage!"}, "CURSOR_INVALID"),
        ({"first": 1, "after": queue_cursor}, "CURSOR_INVALID"),  # another list's cursor
    ):
        assert await error_code(reviewer, CORRECTIONS, variables) == code
