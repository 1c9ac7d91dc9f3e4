"""The notice's nine questions and the Yubei batch, each as a scenario through GraphQL against
the real server (both databases): the right path succeeds, each wrong input is refused with
its own code."""

from __future__ import annotations

import base64
from typing import Any

from schema.enums import Role
from tests.support.client import ApiClient, Session
from tests.support.factories import ID_MALE_1985, make_staff
from tests.support.flows import (
    ADMIN_ID,
    PAPER_2015_DOCUMENT,
    PAPER_2015_TITLE,
    REVIEWER_ID,
    YUBEI_TITLE,
    make_people,
    portrait_jpeg,
)
from tests.support.import_jobs import RESULT_RECORD, finished_job

IMPORTER_ID = "500112199001010017"

# --------------------------------------------------------------------------- operations

ERRORS = "... on UserErrors { errors { code message field ref } }"
REG = """
  id status statusLabel statusDetail round source level series titleName wayObtained
  batch employerType approvalDocument obtainedOn issuedOn certificateNumber authority
  authorityName reviewBody validityScope validityScopeName specialty specialtyName
  localSpecialty hasPhoto missing { field label } warnings { code field }
"""
CREATE = f"""mutation {{ createRegistration {{
  __typename ... on RegistrationSuccess {{ registration {{ {REG} }} }} {ERRORS} }} }}"""
STEP = """mutation($input: Save{0}Input!) {{ save{0}(input: $input) {{
  __typename
  ... on SaveRegistrationStepSuccess {{ registration {{ {1} }} warnings {{ code field }} missing }}
  {2} }} }}"""
TITLE = STEP.format("RegistrationTitle", REG, ERRORS)
DOCUMENT = STEP.format("RegistrationDocument", REG, ERRORS)
SPECIALTY = STEP.format("RegistrationSpecialty", REG, ERRORS)
PHOTO = f"""mutation($input: UploadRegistrationPhotoInput!) {{ uploadRegistrationPhoto(input: $input) {{
  __typename ... on RegistrationSuccess {{ registration {{ {REG} }} }} {ERRORS} }} }}"""
SUBMIT = f"""mutation($input: RegistrationIdInput!) {{ submitRegistration(input: $input) {{
  __typename ... on RegistrationSuccess {{ registration {{ {REG} }} }} {ERRORS} }} }}"""
APPROVE = f"""mutation($input: ApproveRegistrationInput!) {{ approveRegistration(input: $input) {{
  __typename
  ... on ApproveRegistrationSuccess {{
    certificate {{ certId number version status specialty reviewBody authority }}
  }}
  {ERRORS} }} }}"""
APPROVE_PHOTO = APPROVE.replace("approveRegistration(", "approveRegistrationPhoto(")
IMPORT = f"""mutation($input: ImportTitleSystemResultsInput!) {{
  importTitleSystemResults(input: $input) {{
    __typename ... on ImportTitleSystemResultsSuccess {{ job {{ id }} }} {ERRORS} }} }}"""
IMPORT_JOB = "query($id: ID!) { importJob(id: $id) { status createdCount refusedCount } }"
MINE = f"{{ myRegistrations {{ edges {{ node {{ {REG} }} }} }} }}"
CERT = """certId number version status statusLabel specialty supersededBy"""
MY_CERTS = f"{{ myCertificates {{ edges {{ node {{ {CERT} }} }} }} }}"
CORRECTION = f"""
  id status statusLabel reason decisionNote changes {{ field label value }}
  certificate {{ {CERT} }} newCertificate {{ {CERT} }}
"""
REQUEST_CORRECTION = f"""mutation($input: RequestCorrectionInput!) {{
  requestCorrection(input: $input) {{
    __typename ... on RequestCorrectionSuccess {{ correctionRequest {{ {CORRECTION} }} }}
    {ERRORS} }} }}"""
CORRECTION_REQUESTS = f"{{ correctionRequests {{ edges {{ node {{ {CORRECTION} }} }} }} }}"
MY_CORRECTIONS = f"{{ myCorrectionRequests {{ edges {{ node {{ {CORRECTION} }} }} }} }}"
DECIDE = f"""mutation($input: DecideCorrectionInput!) {{ decideCorrection(input: $input) {{
  __typename ... on DecideCorrectionSuccess {{ correctionRequest {{ {CORRECTION} }} }}
  {ERRORS} }} }}"""
CERT_HISTORY = "query($c: ID!) { certificateHistory(certId: $c) { action note } }"

OFFLINE_2023_TITLE = {
    "source": "OFFLINE_REVIEW",
    "level": "ZHONG",
    "series": "05",
    "titleName": "工程师",
    "wayObtained": "PS",
}
OFFLINE_2023_DOCUMENT = {
    "approvalDocument": "渝北职改办〔2023〕5号",
    "obtainedOn": "2023-06-20",
    "issuedOn": "2023-07-10",
    "authority": "渝北区人力资源和社会保障局",
    "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
    "validityScope": "全市",
}
# ------------------------------------------------------------------------------ helpers


async def draft(me: Session) -> str:
    """A new registration of ``me``; its id."""
    return (await me.ok(CREATE))["registration"]["id"]


async def everyone(server: ApiClient) -> tuple[Session, Session, Session]:
    """The applicant (张三), the reviewer of 渝北区 (500112) and an admin, logged in."""
    await make_people(server.deps)
    return (
        await server.login(ID_MALE_1985),
        await server.login(REVIEWER_ID),
        await server.login(ADMIN_ID),
    )


def photo() -> str:
    return base64.b64encode(portrait_jpeg()).decode()


async def complete(
    me: Session, reg_id: str, *, title: dict, document: dict | None, specialty: dict
) -> dict[str, Any]:
    """Fill the three steps and the photo, then submit; the submitted registration."""
    await me.ok(TITLE, {"id": reg_id, **title})
    if document is not None:
        await me.ok(DOCUMENT, {"id": reg_id, **document})
    await me.ok(SPECIALTY, {"id": reg_id, **specialty})
    await me.ok(PHOTO, {"id": reg_id, "photoBase64": photo()})
    return (await me.ok(SUBMIT, {"id": reg_id}))["registration"]


async def import_title_system_record(server: ApiClient, holder: Session, **overrides: Any) -> str:
    """A title-system result loaded in bulk by an importer (a job, run to the end): a 待完善
    record, found among the holder's registrations."""
    await make_staff(server.deps, role=Role.IMPORTER, id_number=IMPORTER_ID, name="钱归集")
    importer = await server.login(IMPORTER_ID)
    started = await importer.ok(IMPORT, {"records": [{**RESULT_RECORD, **overrides}]})
    job = await finished_job(importer, IMPORT_JOB, started["job"]["id"])
    assert (job["status"], job["createdCount"], job["refusedCount"]) == ("DONE", 1, 0), job
    loaded = [r for r in await holder.nodes(MINE) if r["source"] == "TITLE_SYSTEM"]
    assert len(loaded) == 1, loaded
    return loaded[0]["id"]


# -------------------------------------------------------------------------------- Q1


async def test_q1_title_system_titles_are_generated_not_registered(server: ApiClient) -> None:
    me, reviewer, _ = await everyone(server)
    reg_id = await draft(me)
    system = {**OFFLINE_2023_TITLE, "source": "TITLE_SYSTEM"}
    assert await me.codes(TITLE, {"id": reg_id, **system}) == ["SCOPE_TITLE_SYSTEM_AUTOMATIC"]
    junior = {**system, "level": "ZHULI", "titleName": "助理工程师"}
    assert await me.codes(TITLE, {"id": reg_id, **junior}) == ["SCOPE_TITLE_SYSTEM_AUTOMATIC"]

    # Its e-certificate failed (no photo): 待完善, completed by uploading a photo.
    record = await import_title_system_record(server, me)
    mine = {r["id"]: r for r in await me.nodes(MINE)}
    assert (mine[record]["statusLabel"], mine[record]["missing"]) == (
        "待完善",
        [{"field": "photo", "label": "个人照片"}],
    )
    assert mine[record]["statusDetail"] == "待完善：请完善个人照片"
    assert await me.codes(SUBMIT, {"id": record}) == ["PHOTO_REQUIRED"]
    await me.ok(PHOTO, {"id": record, "photoBase64": photo()})
    assert (await me.ok(SUBMIT, {"id": record}))["registration"]["statusLabel"] == "照片待审核"
    # Only its photo is reviewed: not in the 待审核 queue, approved from the photo queue.
    assert await reviewer.codes(APPROVE, {"id": record}) == ["REGISTRATION_NOT_SUBMITTED"]
    cert = (await reviewer.ok(APPROVE_PHOTO, {"id": record}))["certificate"]
    assert cert["number"].startswith("2023503") and len(cert["number"]) == 15


# -------------------------------------------------------------------------------- Q2


async def test_q2_submission_needs_the_photo_and_every_collected_field(server: ApiClient) -> None:
    me, _, _ = await everyone(server)
    reg_id = await draft(me)
    await me.ok(TITLE, {"id": reg_id, **OFFLINE_2023_TITLE})
    codes = await me.codes(SUBMIT, {"id": reg_id})
    for required in (
        "APPROVAL_DOCUMENT_REQUIRED",
        "OBTAINED_ON_REQUIRED",
        "ISSUED_ON_REQUIRED",
        "AUTHORITY_REQUIRED",
        "REVIEW_BODY_REQUIRED",
        "VALIDITY_SCOPE_REQUIRED",
        "SPECIALTY_REQUIRED",
        "PHOTO_REQUIRED",
    ):
        assert required in codes, f"{required} missing from {codes}"

    await me.ok(DOCUMENT, {"id": reg_id, **OFFLINE_2023_DOCUMENT})
    await me.ok(SPECIALTY, {"id": reg_id, "specialty": "给排水"})
    assert await me.codes(SUBMIT, {"id": reg_id}) == ["PHOTO_REQUIRED"]
    await me.ok(PHOTO, {"id": reg_id, "photoBase64": photo()})
    sent = (await me.ok(SUBMIT, {"id": reg_id}))["registration"]
    assert (sent["status"], sent["missing"]) == ("SUBMITTED", [])


# -------------------------------------------------------------------------------- Q3


async def test_q3_date_obtained_is_the_committee_date_and_not_after_the_issue_date(
    server: ApiClient,
) -> None:
    me, _, _ = await everyone(server)
    reg_id = await draft(me)
    await me.ok(TITLE, {"id": reg_id, **OFFLINE_2023_TITLE})
    late = {**OFFLINE_2023_DOCUMENT, "obtainedOn": "2023-08-01", "issuedOn": "2023-07-10"}
    errors = await me.refused(DOCUMENT, {"id": reg_id, **late})
    assert [e["code"] for e in errors] == ["OBTAINED_AFTER_ISSUED"]
    assert errors[0]["field"][0] == "input"
    bad_format = {**OFFLINE_2023_DOCUMENT, "issuedOn": "2023-13-45"}
    assert await me.codes(DOCUMENT, {"id": reg_id, **bad_format}) == ["DATE_FORMAT"]

    same_day = {**OFFLINE_2023_DOCUMENT, "obtainedOn": "2023-07-10"}
    saved = (await me.ok(DOCUMENT, {"id": reg_id, **same_day}))["registration"]
    assert (saved["obtainedOn"], saved["issuedOn"]) == ("2023-07-10", "2023-07-10")


# -------------------------------------------------------------------------------- Q4


async def test_q4_number_is_the_paper_one_before_2021_and_the_system_one_since(
    server: ApiClient,
) -> None:
    me, reviewer, admin = await everyone(server)
    # 2021 and later: no number may be entered; the system numbers it on approval.
    reg_2023 = await draft(me)
    await me.ok(TITLE, {"id": reg_2023, **OFFLINE_2023_TITLE})
    numbered = {**OFFLINE_2023_DOCUMENT, "certificateNumber": "0113 2023 0001"}
    assert await me.codes(DOCUMENT, {"id": reg_2023, **numbered}) == [
        "CERTIFICATE_NUMBER_NOT_ALLOWED"
    ]
    # Before 2021: the paper number is required and begins with 0113.
    paper = await draft(me)
    await me.ok(TITLE, {"id": paper, **PAPER_2015_TITLE})
    no_number = {k: v for k, v in PAPER_2015_DOCUMENT.items() if k != "certificateNumber"}
    assert await me.codes(DOCUMENT, {"id": paper, **no_number}) == ["CERTIFICATE_NUMBER_REQUIRED"]
    wrong = {**PAPER_2015_DOCUMENT, "certificateNumber": "0223 2015 0042"}
    assert await me.codes(DOCUMENT, {"id": paper, **wrong}) == ["CERTIFICATE_NUMBER_PREFIX"]

    sent_paper = await complete(
        me,
        paper,
        title=PAPER_2015_TITLE,
        document=PAPER_2015_DOCUMENT,
        specialty={"specialty": "给排水"},
    )
    assert sent_paper["certificateNumber"] == "011320150042"
    sent_2023 = await complete(
        me,
        reg_2023,
        title=OFFLINE_2023_TITLE,
        document=OFFLINE_2023_DOCUMENT,
        specialty={"specialty": "给排水"},
    )
    assert sent_2023["certificateNumber"] is None
    kept = (await admin.ok(APPROVE, {"id": paper}))["certificate"]  # senior: the municipal queue
    assert kept["number"] == "011320150042"
    drawn = (await reviewer.ok(APPROVE, {"id": reg_2023}))["certificate"]
    assert drawn["number"].startswith("2023503") and len(drawn["number"]) == 15


# -------------------------------------------------------------------------------- Q5


async def test_q5_senior_authority_is_fixed_and_title_offices_map_to_their_bureau(
    server: ApiClient,
) -> None:
    me, _, _ = await everyone(server)
    senior = await draft(me)
    await me.ok(TITLE, {"id": senior, **PAPER_2015_TITLE})
    chosen = {**PAPER_2015_DOCUMENT, "authority": "渝北区人力资源和社会保障局"}
    errors = await me.refused(DOCUMENT, {"id": senior, **chosen})
    assert [(e["code"], e["field"]) for e in errors] == [
        ("AUTHORITY_FIXED_FOR_SENIOR", ["input", "authority"])
    ]
    fixed = (await me.ok(DOCUMENT, {"id": senior, **PAPER_2015_DOCUMENT}))["registration"]
    assert (fixed["authority"], fixed["authorityName"]) == (
        "MUNICIPAL",
        "重庆市人力资源和社会保障局",
    )

    middle = await draft(me)
    await me.ok(TITLE, {"id": middle, **OFFLINE_2023_TITLE})
    alias = {**OFFLINE_2023_DOCUMENT, "authority": "渝北区职改办"}
    saved = (await me.ok(DOCUMENT, {"id": middle, **alias}))["registration"]
    assert (saved["authority"], saved["authorityName"]) == ("500112", "渝北区人力资源和社会保障局")
    edu = {
        **OFFLINE_2023_DOCUMENT,
        "authority": "市教委职改办",
        "approvalDocument": "渝教职改〔2023〕3号",
    }
    saved = (await me.ok(DOCUMENT, {"id": middle, **edu}))["registration"]
    assert saved["authority"] == "DEPT_EDU"
    unknown = {**OFFLINE_2023_DOCUMENT, "authority": "火星区职改办"}
    assert await me.codes(DOCUMENT, {"id": middle, **unknown}) == ["AUTHORITY_UNKNOWN"]
    # Below senior level the authority must be chosen.
    no_authority = {k: v for k, v in OFFLINE_2023_DOCUMENT.items() if k != "authority"}
    fresh = await draft(me)
    await me.ok(TITLE, {"id": fresh, **OFFLINE_2023_TITLE})
    assert await me.codes(DOCUMENT, {"id": fresh, **no_authority}) == ["AUTHORITY_REQUIRED"]


# -------------------------------------------------------------------------------- Q6


async def test_q6_review_body_is_the_committee_or_for_initial_and_confirmed_the_authority(
    server: ApiClient,
) -> None:
    me, _, _ = await everyone(server)
    # 初定 below senior: the approving authority itself, filled in when left empty.
    initial = await draft(me)
    title = {
        "source": "OFFLINE_INITIAL",
        "level": "ZHULI",
        "series": "05",
        "titleName": "助理工程师",
        "wayObtained": "初定",
    }
    await me.ok(TITLE, {"id": initial, **title})
    document = {
        "approvalDocument": "万州职改办〔2022〕7号",
        "obtainedOn": "2022-03-01",
        "issuedOn": "2022-03-15",
        "authority": "万州区职改办",
        "validityScope": "全市",
    }
    saved = (await me.ok(DOCUMENT, {"id": initial, **document}))["registration"]
    assert saved["reviewBody"] == "万州区人力资源和社会保障局"
    committee = {**document, "reviewBody": "重庆市工程技术中级职务渝北区评审委员会"}
    assert await me.codes(DOCUMENT, {"id": initial, **committee}) == ["REVIEW_BODY_MISMATCH"]
    office = {**document, "authority": "渝中区", "reviewBody": "渝中区职称改革办公室"}
    saved = (await me.ok(DOCUMENT, {"id": initial, **office}))["registration"]
    assert (saved["authority"], saved["reviewBody"]) == ("500103", "渝中区职称改革办公室")

    # 确认 of a senior title: 重庆市职称改革办公室.
    confirmed = await draft(me)
    senior = {**PAPER_2015_TITLE, "wayObtained": "确认"}
    await me.ok(TITLE, {"id": confirmed, **senior})
    paper = {k: v for k, v in PAPER_2015_DOCUMENT.items() if k != "reviewBody"}
    saved = (await me.ok(DOCUMENT, {"id": confirmed, **paper}))["registration"]
    assert saved["reviewBody"] == "重庆市职称改革办公室"
    district = {**paper, "reviewBody": "渝北区人力资源和社会保障局"}
    assert await me.codes(DOCUMENT, {"id": confirmed, **district}) == ["REVIEW_BODY_MISMATCH"]

    # 评审: the committee named in the approval document must be typed.
    reviewed = await draft(me)
    await me.ok(TITLE, {"id": reviewed, **OFFLINE_2023_TITLE})
    no_body = {k: v for k, v in OFFLINE_2023_DOCUMENT.items() if k != "reviewBody"}
    assert await me.codes(DOCUMENT, {"id": reviewed, **no_body}) == ["REVIEW_BODY_REQUIRED"]


# -------------------------------------------------------------------------------- Q7


async def test_q7_specialty_from_the_list_or_other_with_the_local_specialty(
    server: ApiClient,
) -> None:
    me, reviewer, _ = await everyone(server)
    reg_id = await draft(me)
    await me.ok(TITLE, {"id": reg_id, **OFFLINE_2023_TITLE})
    await me.ok(DOCUMENT, {"id": reg_id, **OFFLINE_2023_DOCUMENT})
    assert await me.codes(SPECIALTY, {"id": reg_id, "specialty": "其他"}) == [
        "LOCAL_SPECIALTY_REQUIRED"
    ]
    listed_and_local = {"specialty": "给排水", "localSpecialty": "智能建造"}
    assert await me.codes(SPECIALTY, {"id": reg_id, **listed_and_local}) == [
        "LOCAL_SPECIALTY_NOT_ALLOWED"
    ]
    other_but_listed = {"specialty": "其他", "localSpecialty": "给排水"}
    assert await me.codes(SPECIALTY, {"id": reg_id, **other_but_listed}) == [
        "LOCAL_SPECIALTY_LISTED"
    ]
    assert await me.codes(SPECIALTY, {"id": reg_id, "specialty": "量子建筑学"}) == [
        "SPECIALTY_UNKNOWN"
    ]

    chosen = (await me.ok(SPECIALTY, {"id": reg_id, "specialty": "给排水"}))["registration"]
    assert (chosen["specialty"], chosen["specialtyName"], chosen["localSpecialty"]) == (
        "05-004",
        "给排水",
        None,
    )
    other = {"specialty": "其他", "localSpecialty": "智能建造"}
    saved = (await me.ok(SPECIALTY, {"id": reg_id, **other}))["registration"]
    assert (saved["specialty"], saved["localSpecialty"]) == ("05-999", "智能建造")
    await me.ok(PHOTO, {"id": reg_id, "photoBase64": photo()})
    await me.ok(SUBMIT, {"id": reg_id})
    cert = (await reviewer.ok(APPROVE, {"id": reg_id}))["certificate"]
    assert cert["specialty"] == "智能建造"  # the certificate prints the local specialty


# -------------------------------------------------------------------------------- Q8


async def test_q8_a_pending_record_is_completed_not_registered_again(server: ApiClient) -> None:
    me, _, _ = await everyone(server)
    record = await import_title_system_record(server, me)

    again = await draft(me)
    hand = {**OFFLINE_2023_TITLE}
    await me.ok(TITLE, {"id": again, **hand})
    await me.ok(SPECIALTY, {"id": again, "specialty": "给排水"})
    same = {
        k: RESULT_RECORD[k]
        for k in ("approvalDocument", "obtainedOn", "issuedOn", "authority", "reviewBody")
    }
    errors = await me.refused(DOCUMENT, {"id": again, **same, "validityScope": "全市"})
    assert [(e["code"], e["ref"]) for e in errors] == [("SCOPE_PENDING_COMPLETION", record)]
    assert "待完善" in errors[0]["message"]

    # Completing: only the photo (the record's data came from the title system).
    assert await me.codes(SPECIALTY, {"id": record, "specialty": "建筑工程"}) == [
        "REGISTRATION_FROM_TITLE_SYSTEM"
    ]
    await me.ok(PHOTO, {"id": record, "photoBase64": photo()})
    completed = (await me.ok(SUBMIT, {"id": record}))["registration"]
    assert (completed["id"], completed["statusLabel"]) == (record, "照片待审核")
    pending = [r for r in await me.nodes(MINE) if r["status"] != "DRAFT"]
    assert [r["id"] for r in pending] == [record]


# -------------------------------------------------------------------------------- Q9


async def test_q9_correction_on_application_issues_a_new_version(server: ApiClient) -> None:
    me, reviewer, _ = await everyone(server)
    reg_id = await draft(me)
    await complete(me, reg_id, title=YUBEI_TITLE, document=None, specialty={"specialty": "给排水"})
    old = (await reviewer.ok(APPROVE, {"id": reg_id}))["certificate"]

    base = {"certId": old["certId"], "reason": "评审表专业为建筑工程，登记时选错"}
    change = [{"field": "specialty", "value": "建筑工程"}]
    assert await me.codes(REQUEST_CORRECTION, {**base, "reason": "错", "changes": change}) == [
        "CORRECTION_REASON_REQUIRED"
    ]
    assert await me.codes(REQUEST_CORRECTION, {**base, "changes": []}) == [
        "CORRECTION_CHANGES_REQUIRED"
    ]
    source = [{"field": "source", "value": "PAPER"}]
    assert await me.codes(REQUEST_CORRECTION, {**base, "changes": source}) == [
        "CORRECTION_FIELD_NOT_ALLOWED"
    ]
    bad_value = [{"field": "specialty", "value": "量子建筑学"}]
    assert await me.codes(REQUEST_CORRECTION, {**base, "changes": bad_value}) == [
        "SPECIALTY_UNKNOWN"
    ]
    asked = (await me.ok(REQUEST_CORRECTION, {**base, "changes": change}))["correctionRequest"]
    assert (asked["statusLabel"], asked["changes"]) == (
        "待处理",
        [{"field": "specialty", "label": "评审专业", "value": "建筑工程"}],
    )
    assert await me.codes(REQUEST_CORRECTION, {**base, "changes": change}) == ["CORRECTION_PENDING"]

    queue = await reviewer.nodes(CORRECTION_REQUESTS)
    assert [c["id"] for c in queue] == [asked["id"]]
    decided = (await reviewer.ok(DECIDE, {"id": asked["id"], "approve": True}))["correctionRequest"]
    new = decided["newCertificate"]
    assert (decided["statusLabel"], new["version"], new["number"], new["specialty"]) == (
        "已更正",
        2,
        old["number"],
        "建筑工程",
    )
    certs = {c["certId"]: c for c in await me.nodes(MY_CERTS)}
    assert (certs[old["certId"]]["status"], certs[old["certId"]]["statusLabel"]) == (
        "SUPERSEDED",
        "已更正",
    )
    assert certs[old["certId"]]["supersededBy"] == new["certId"]
    assert (certs[new["certId"]]["statusLabel"], certs[new["certId"]]["supersededBy"]) == (
        "有效",
        None,
    )
    # The superseded version can no longer be corrected.
    assert await me.codes(REQUEST_CORRECTION, {**base, "changes": change}) == [
        "CERTIFICATE_NOT_VALID"
    ]


async def test_q9_a_rejected_correction_keeps_its_reason(server: ApiClient) -> None:
    me, reviewer, _ = await everyone(server)
    reg_id = await draft(me)
    await complete(me, reg_id, title=YUBEI_TITLE, document=None, specialty={"specialty": "给排水"})
    cert = (await reviewer.ok(APPROVE, {"id": reg_id}))["certificate"]
    asked = (
        await me.ok(
            REQUEST_CORRECTION,
            {
                "certId": cert["certId"],
                "reason": "单位名称变更后专业应为市政工程",
                "changes": [{"field": "specialty", "value": "市政工程"}],
            },
        )
    )["correctionRequest"]

    assert await reviewer.codes(DECIDE, {"id": asked["id"], "approve": False}) == [
        "CORRECTION_REJECT_REASON"
    ]
    reason = "评审表所载专业为给排水，与证书一致，不予更正"
    rejected = (await reviewer.ok(DECIDE, {"id": asked["id"], "approve": False, "note": reason}))[
        "correctionRequest"
    ]
    assert (rejected["status"], rejected["decisionNote"], rejected["newCertificate"]) == (
        "REJECTED",
        reason,
        None,
    )
    assert await reviewer.codes(DECIDE, {"id": asked["id"], "approve": True}) == [
        "CORRECTION_DECIDED"
    ]
    mine = await me.nodes(MY_CORRECTIONS)
    assert [(c["statusLabel"], c["decisionNote"]) for c in mine] == [("已驳回", reason)]
    certs = await me.nodes(MY_CERTS)
    assert [(c["version"], c["statusLabel"], c["specialty"]) for c in certs] == [
        (1, "有效", "给排水")
    ]
    history = (await reviewer.data(CERT_HISTORY, {"c": cert["certId"]}))["certificateHistory"]
    assert ("correction.rejected", reason) in [(h["action"], h["note"]) for h in history]


# ----------------------------------------------------------------------------- Yubei


async def test_yubei_batch_fills_the_document_and_refuses_contradictions(server: ApiClient) -> None:
    me, reviewer, _ = await everyone(server)
    reg_id = await draft(me)
    picked = await me.ok(TITLE, {"id": reg_id, **YUBEI_TITLE})
    reg = picked["registration"]
    assert {
        k: reg[k]
        for k in (
            "approvalDocument",
            "obtainedOn",
            "issuedOn",
            "reviewBody",
            "authority",
            "validityScopeName",
            "certificateNumber",
            "level",
            "series",
            "wayObtained",
        )
    } == {
        "approvalDocument": "渝北职改办〔2022〕21号",
        "obtainedOn": "2021-12-24",
        "issuedOn": "2022-02-15",
        "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
        "authority": "500112",
        "validityScopeName": "全市",
        "certificateNumber": None,
        "level": "ZHONG",
        "series": "05",
        "wayObtained": "PS",
    }
    assert picked["missing"] == ["specialty", "photo"]
    for employer, document in (("事业单位", "20"), ("非公企业", "22")):
        other = await me.ok(TITLE, {"id": reg_id, **YUBEI_TITLE, "employerType": employer})
        assert other["registration"]["approvalDocument"] == f"渝北职改办〔2022〕{document}号"
    await me.ok(TITLE, {"id": reg_id, **YUBEI_TITLE})

    errors = await me.refused(DOCUMENT, {"id": reg_id, "issuedOn": "2022-03-01"})
    assert [(e["code"], e["field"]) for e in errors] == [("BATCH_CONFLICT", ["input", "issuedOn"])]
    assert await me.codes(DOCUMENT, {"id": reg_id, "obtainedOn": "2021-12-20"}) == [
        "BATCH_CONFLICT"
    ]
    assert await me.codes(TITLE, {"id": reg_id, **YUBEI_TITLE, "employerType": "外资企业"}) == [
        "BATCH_EMPLOYER_TYPE_UNKNOWN"
    ]
    # Typing the batch's document without picking the batch is held to the batch as well.
    typed = await draft(me)
    await me.ok(TITLE, {"id": typed, **OFFLINE_2023_TITLE})
    by_hand = {
        **OFFLINE_2023_DOCUMENT,
        "approvalDocument": "渝北职改办〔2022〕20号",
        "obtainedOn": "2021-12-24",
        "issuedOn": "2022-02-16",
    }
    assert "BATCH_CONFLICT" in await me.codes(DOCUMENT, {"id": typed, **by_hand})

    await me.ok(SPECIALTY, {"id": reg_id, "specialty": "给排水"})
    await me.ok(PHOTO, {"id": reg_id, "photoBase64": photo()})
    await me.ok(SUBMIT, {"id": reg_id})
    cert = (await reviewer.ok(APPROVE, {"id": reg_id}))["certificate"]
    assert cert["number"].startswith("2021503") and len(cert["number"]) == 15
    assert cert["reviewBody"] == "重庆市工程技术中级职务渝北区评审委员会"
