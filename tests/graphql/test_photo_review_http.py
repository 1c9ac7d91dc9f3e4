"""Photo review (照片待审核) over real HTTP (both databases): a title-system result loaded
without a photo is 待完善; its holder uploads a photo and submits; the reviewer of its
authority sees the photo beside the record and approves (the certificate is issued) or
returns it (back to 待完善, with the reason)."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
from typing import Any

from schema.collection import COLUMNS
from schema.enums import Role
from schema.rules.iso7064 import mod11_2_check_char
from tests.support.factories import ID_MALE_1985, PASSWORD, make_applicant, make_staff
from tests.support.flows import ADMIN_ID, REVIEWER_ID, make_people, portrait_jpeg

IMPORTER_ID = "500112199001010017"
OTHER_REVIEWER_ID = "50010119850101001" + mod11_2_check_char("50010119850101001")  # 万州区
OTHER_APPLICANT_ID = "50011219880808003" + mod11_2_check_char("50011219880808003")

LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) { ... on LoginSuccess { token } } }"""
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

ROW = {
    "name": "张三",
    "idNumber": ID_MALE_1985,
    "level": "中级",
    "series": "工程技术人员",
    "titleName": "工程师",
    "wayObtained": "评审",
    "approvalDocument": "渝职改办〔2023〕88号",
    "obtainedOn": "2023-06-30",
    "issuedOn": "2023-08-01",
    "authority": "渝北区人力资源和社会保障局",
    "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
    "validityScope": "全市",
    "specialty": "给排水",
}


class Person:
    def __init__(self, server: Any, token: str) -> None:
        self.server, self.token = server, token

    async def data(self, query: str, variables: dict | None = None) -> dict[str, Any]:
        body = await self.server.gql(query, variables, token=self.token)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def payload(self, mutation: str, input: dict) -> dict[str, Any]:
        return next(iter((await self.data(mutation, {"input": input})).values()))

    async def ok(self, mutation: str, input: dict) -> dict[str, Any]:
        payload = await self.payload(mutation, input)
        assert payload["__typename"] != "UserErrors", payload
        return payload

    async def get(self, path: str) -> Any:
        return await self.server.client.get(path, headers={"Authorization": f"Bearer {self.token}"})


async def person(server: Any, id_number: str) -> Person:
    body = await server.gql(LOGIN, {"input": {"idNumber": id_number, "password": PASSWORD}})
    return Person(server, body["data"]["login"]["token"])


async def loaded_without_photo(server: Any, holder: Person) -> dict[str, Any]:
    """An importer uploads the title-system result (no photo ZIP); the job runs to the end;
    the holder's 待完善 record."""
    await make_staff(server.deps, role=Role.IMPORTER, id_number=IMPORTER_ID, name="钱归集")
    importer = await person(server, IMPORTER_ID)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(c.header for c in COLUMNS)
    writer.writerow(ROW.get(c.field, "") for c in COLUMNS)
    operations = {"query": START, "variables": {"input": {"kind": "TITLE_SYSTEM", "file": None}}}
    response = await server.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": '{"0": ["variables.input.file"]}'},
        files={"0": ("结果.csv", buffer.getvalue().encode(), "text/csv")},
        headers={"Authorization": f"Bearer {importer.token}"},
    )
    job_id = response.json()["data"]["startImport"]["job"]["id"]
    async with asyncio.timeout(30):
        while (job := (await importer.data(GET_JOB, {"id": job_id}))["importJob"])[
            "status"
        ] != "DONE":
            assert job["status"] != "FAILED"
            await asyncio.sleep(0.1)
    assert (job["incompleteCount"], job["issuedCount"]) == (1, 0)
    (record,) = [e["node"] for e in (await holder.data(MINE))["myRegistrations"]["edges"]]
    return record


def photo_input(reg_id: str, seed: int = 0) -> dict[str, str]:
    return {"id": reg_id, "photoBase64": base64.b64encode(portrait_jpeg(seed)).decode()}


async def everyone(server: Any) -> tuple[Person, Person, Person]:
    await make_people(server.deps)  # 张三, the 渝北 reviewer (500112), admin, signing key
    return (
        await person(server, ID_MALE_1985),
        await person(server, REVIEWER_ID),
        await person(server, ADMIN_ID),
    )


# -------------------------------------------------------------------------------- tests


async def test_holder_completes_the_photo_and_the_reviewer_approves_it(server):
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
    assert (await server.client.get(url)).status_code == 401
    await make_staff(
        server.deps, role=Role.REVIEWER, id_number=OTHER_REVIEWER_ID, authority_code="500101"
    )
    await make_applicant(
        server.deps, name="赵六", id_number=OTHER_APPLICANT_ID, mobile="13800001111"
    )
    for id_number in (OTHER_REVIEWER_ID, OTHER_APPLICANT_ID, IMPORTER_ID):
        got = await (await person(server, id_number)).get(url)
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


async def test_a_returned_photo_sends_the_record_back_to_be_completed(server):
    holder, reviewer, _ = await everyone(server)
    reg_id = (await loaded_without_photo(server, holder))["id"]
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
