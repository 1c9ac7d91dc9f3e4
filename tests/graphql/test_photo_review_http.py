"""Photo review (照片待审核) through the API (both databases): a title-system result loaded
without a photo is 待完善; its holder uploads a photo and submits; the reviewer of its
authority sees the photo beside the record and approves (the certificate is issued; over
real HTTP) or returns it (back to 待完善, with the reason)."""

from __future__ import annotations

import base64
from typing import Any

from schema.enums import Role
from schema.rules.iso7064 import mod11_2_check_char
from tests.support.client import ApiClient, Session
from tests.support.factories import ID_MALE_1985, make_applicant, make_staff
from tests.support.flows import ADMIN_ID, REVIEWER_ID, make_people, portrait_jpeg
from tests.support.import_jobs import RESULT_ROW, finished_job, start_import, template_csv

IMPORTER_ID = "500112199001010017"
OTHER_REVIEWER_ID = "50010119850101001" + mod11_2_check_char("50010119850101001")  # 万州区
OTHER_APPLICANT_ID = "50011219880808003" + mod11_2_check_char("50011219880808003")

ERRORS = "... on UserErrors { errors { code message field } }"
START = f"""mutation($input: StartImportInput!) {{ startImport(input: $input) {{
  __typename ... on StartImportSuccess {{ job {{ id }} }} {ERRORS} }} }}"""
GET_JOB = "query($id: ID!) { importJob(id: $id) { status incompleteCount issuedCount } }"
REG = """id status statusLabel statusDetail source incompleteReason hasPhoto photoUrl
  missing { field } returnNote"""
MINE = f"{{ myRegistrations {{ edges {{ node {{ {REG} }} }} }} }}"
PHOTO = f"""mutation($input: UploadRegistrationPhotoInput!) {{
  uploadRegistrationPhoto(input: $input) {{
    __typename ... on RegistrationSuccess {{ registration {{ {REG} }} }} {ERRORS} }} }}"""
SUBMIT = f"""mutation($input: RegistrationIdInput!) {{ submitRegistration(input: $input) {{
  __typename ... on RegistrationSuccess {{ registration {{ {REG} }} }} {ERRORS} }} }}"""
QUEUE = f"""query($filter: ReviewQueueFilter) {{
  reviewQueue(filter: $filter, first: 20) {{ edges {{ node {{ {REG} holderName }} }} }} }}"""
APPROVE_PHOTO = f"""mutation($input: ApproveRegistrationInput!) {{
  approveRegistrationPhoto(input: $input) {{
    __typename
    ... on ApproveRegistrationSuccess {{
      certificate {{ certId number status version }} registration {{ {REG} }}
    }}
    {ERRORS} }} }}"""
RETURN_PHOTO = f"""mutation($input: ReturnRegistrationInput!) {{
  returnRegistrationPhoto(input: $input) {{
    __typename ... on ReturnRegistrationSuccess {{ registration {{ {REG} }} }} {ERRORS} }} }}"""
MY_CERTS = "{ myCertificates { edges { node { certId number status statusLabel } } } }"
HISTORY = "query($id: ID!) { registrationHistory(id: $id) { action actionLabel } }"


async def loaded_without_photo(api: ApiClient, holder: Session) -> dict[str, Any]:
    """An importer uploads the title-system result (no photo ZIP); the job runs to the end;
    the holder's 待完善 record."""
    await make_staff(api.deps, role=Role.IMPORTER, id_number=IMPORTER_ID, name="钱归集")
    importer = await api.login(IMPORTER_ID)
    file = ("结果.csv", template_csv([RESULT_ROW]), "text/csv")
    started = await start_import(importer, START, kind="TITLE_SYSTEM", file=file)
    job = await finished_job(importer, GET_JOB, started["job"]["id"])
    assert (job["status"], job["incompleteCount"], job["issuedCount"]) == ("DONE", 1, 0)
    (record,) = await holder.nodes(MINE)
    return record


def photo_input(reg_id: str, seed: int = 0) -> dict[str, str]:
    return {"id": reg_id, "photoBase64": base64.b64encode(portrait_jpeg(seed)).decode()}


async def everyone(api: ApiClient) -> tuple[Session, Session, Session]:
    await make_people(api.deps)  # 张三, the 渝北 reviewer (500112), admin, signing key
    return (
        await api.login(ID_MALE_1985),
        await api.login(REVIEWER_ID),
        await api.login(ADMIN_ID),
    )


# -------------------------------------------------------------------------------- tests


async def test_holder_completes_the_photo_and_the_reviewer_approves_it(server: ApiClient) -> None:
    holder, reviewer, admin = await everyone(server)
    record = await loaded_without_photo(server, holder)
    assert (record["status"], record["statusLabel"], record["source"]) == (
        "INCOMPLETE",
        "待完善",
        "TITLE_SYSTEM",
    )
    assert "电子证书生成失败，需重新上传电子照片" in record["incompleteReason"]
    assert (record["hasPhoto"], record["photoUrl"]) == (False, None)
    reg_id = record["id"]

    with_photo = (await holder.ok(PHOTO, photo_input(reg_id)))["registration"]
    assert with_photo["photoUrl"] == f"/registrations/{reg_id}/photo.jpg"
    sent = (await holder.ok(SUBMIT, {"id": reg_id}))["registration"]
    assert (sent["status"], sent["statusLabel"], sent["incompleteReason"]) == (
        "PHOTO_REVIEW",
        "照片待审核",
        None,
    )

    # The reviewer's photo queue holds it; the 待审核 queue does not.
    photo_queue = (await reviewer.data(QUEUE, {"filter": {"status": "PHOTO_REVIEW"}}))[
        "reviewQueue"
    ]["edges"]
    assert [(e["node"]["id"], e["node"]["holderName"]) for e in photo_queue] == [(reg_id, "张三")]
    assert (await reviewer.data(QUEUE, {"filter": {}}))["reviewQueue"]["edges"] == []

    # The photo beside the record: its holder, its reviewers and admins; nobody else.
    url = photo_queue[0]["node"]["photoUrl"]
    for who in (reviewer, holder, admin):
        got = await who.get(url)
        assert got.status_code == 200
        assert got.headers["content-type"] == "image/jpeg"
        assert got.headers["cache-control"] == "no-store"
        assert got.content.startswith(b"\xff\xd8")
    assert (await server.http.get(url)).status_code == 401
    await make_staff(
        server.deps, role=Role.REVIEWER, id_number=OTHER_REVIEWER_ID, authority_code="500101"
    )
    await make_applicant(
        server.deps, name="赵六", id_number=OTHER_APPLICANT_ID, mobile="13800001111"
    )
    for id_number in (OTHER_REVIEWER_ID, OTHER_APPLICANT_ID, IMPORTER_ID):
        got = await (await server.login(id_number)).get(url)
        assert got.status_code == 404, id_number
    assert (await reviewer.get("/registrations/nope/photo.jpg")).status_code == 404

    approved = await reviewer.ok(APPROVE_PHOTO, {"id": reg_id})
    cert = approved["certificate"]
    assert cert["number"].startswith("2023503") and len(cert["number"]) == 15
    assert (cert["status"], cert["version"]) == ("VALID", 1)
    assert (approved["registration"]["status"], approved["registration"]["statusLabel"]) == (
        "APPROVED",
        "已生成",
    )
    mine = [e["node"] for e in (await holder.data(MY_CERTS))["myCertificates"]["edges"]]
    assert [(c["certId"], c["statusLabel"]) for c in mine] == [(cert["certId"], "有效")]
    history = (await holder.data(HISTORY, {"id": reg_id}))["registrationHistory"]
    assert ("registration.photo_approved", "照片审核通过") in [
        (h["action"], h["actionLabel"]) for h in history
    ]


async def test_a_returned_photo_sends_the_record_back_to_be_completed(api: ApiClient) -> None:
    holder, reviewer, _ = await everyone(api)
    reg_id = (await loaded_without_photo(api, holder))["id"]
    await holder.ok(PHOTO, photo_input(reg_id))
    await holder.ok(SUBMIT, {"id": reg_id})

    refused = await reviewer.payload(RETURN_PHOTO, {"id": reg_id, "reason": "NOT_A_REASON"})
    assert refused["__typename"] == "UserErrors"
    returned = (
        await reviewer.ok(
            RETURN_PHOTO, {"id": reg_id, "reason": "PHOTO_UNCLEAR", "note": "照片模糊，请重新拍摄"}
        )
    )["registration"]
    assert (returned["status"], returned["statusLabel"], returned["hasPhoto"]) == (
        "INCOMPLETE",
        "待完善",
        False,
    )
    (seen,) = [e["node"] for e in (await holder.data(MINE))["myRegistrations"]["edges"]]
    assert "照片不清晰" in seen["incompleteReason"]
    assert "重新上传" in seen["incompleteReason"]
    assert seen["missing"] == [{"field": "photo"}]
    assert seen["returnNote"] == "照片模糊，请重新拍摄"

    # Nothing left to decide until the holder sends a new photo.
    again = await reviewer.payload(APPROVE_PHOTO, {"id": reg_id})
    assert [e["code"] for e in again["errors"]] == ["REGISTRATION_NOT_IN_PHOTO_REVIEW"]
    await holder.ok(PHOTO, photo_input(reg_id, seed=5))
    assert (await holder.ok(SUBMIT, {"id": reg_id}))["registration"]["status"] == "PHOTO_REVIEW"
    cert = (await reviewer.ok(APPROVE_PHOTO, {"id": reg_id}))["certificate"]
    assert cert["status"] == "VALID"
