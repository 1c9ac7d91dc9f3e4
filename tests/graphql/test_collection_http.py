"""Bulk collection (历史数据归集) over real HTTP (both databases): a file and a photo ZIP
uploaded as a GraphQL multipart request, the job polled to the end, its report read and
downloaded, the templates, who may see what, and the JSON mutation as a job."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from typing import Any
from urllib.parse import urlsplit

import httpx
from python_calamine import CalamineWorkbook

from schema.collection import COLUMNS
from schema.collection.report_files import REPORT_HEADERS
from schema.collection.templates import template_headers
from schema.enums import Role
from schema.models import Certificate
from schema.rules.iso7064 import mod11_2_check_char
from tests.support.factories import ID_MALE_1985, PASSWORD, make_staff
from tests.support.flows import ADMIN_ID, make_people, portrait_jpeg

IMPORTER_ID = "500112199001010017"
OTHER_IMPORTER_ID = "50011219910202002" + mod11_2_check_char("50011219910202002")
ZHAO_ID = "50011219880808003" + mod11_2_check_char("50011219880808003")
WANG_ID = "50011219860606004" + mod11_2_check_char("50011219860606004")
BAD_ID = ID_MALE_1985[:-1] + ("9" if ID_MALE_1985[-1] != "9" else "8")  # wrong check char

LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) { ... on LoginSuccess { token csrfToken } } }"""
ERRORS = "... on UserErrors { errors { code message field } }"
JOB = """id kind kindLabel status statusLabel fileName photosName totalRows rowsDone
  createdCount issuedCount incompleteCount existingCount refusedCount rowsPerSecond etaSeconds
  percent errorCode errorMessage createdAt startedAt finishedAt reportCsvUrl reportXlsxUrl"""
START = f"""mutation($input: StartImportInput!) {{ startImport(input: $input) {{
  __typename ... on StartImportSuccess {{ job {{ {JOB} }} }} {ERRORS} }} }}"""
IMPORT_JSON = f"""mutation($input: ImportTitleSystemResultsInput!) {{
  importTitleSystemResults(input: $input) {{
    __typename ... on ImportTitleSystemResultsSuccess {{ job {{ {JOB} }} }} {ERRORS} }} }}"""
GET_JOB = f"query($id: ID!) {{ importJob(id: $id) {{ {JOB} }} }}"
JOBS = "{ importJobs(first: 10) { edges { node { id fileName } } pageInfo { hasNextPage } } }"
REPORT = """query($id: ID!, $limit: Int! = 1000) { importReport(id: $id, limit: $limit) {
  job { id status } totalLines truncated
  lines { row column outcome outcomeLabel code message ref } } }"""
MINE = """{ myRegistrations { edges { node {
  id status statusLabel source incompleteReason hasPhoto missing { field } } } } }"""
MY_CERTS = "{ myCertificates { edges { node { certId number status } } } }"

# A title-system result as the title system exports it (names, not codes).
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
# The same as the API's JSON rows (codes).
JSON_ROW = {**ROW, "level": "ZHONG", "series": "05", "wayObtained": "PS"}


# ------------------------------------------------------------------------------ helpers


def template_csv_file(rows: list[dict[str, str]], kind: str = "TITLE_SYSTEM") -> bytes:
    """A filled-in template: its header row (required columns marked *), one row each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(template_headers(kind))  # type: ignore[arg-type]
    for row in rows:
        writer.writerow(row.get(c.field, "") for c in COLUMNS)
    return buffer.getvalue().encode("utf-8-sig")


def photos_zip(**by_id_number: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for id_number, data in by_id_number.items():
            archive.writestr(f"照片/{id_number}.jpg", data)
    return buffer.getvalue()


async def login(server: Any, id_number: str, *, cookie: bool = False) -> dict[str, str]:
    body = await server.gql(
        LOGIN, {"input": {"idNumber": id_number, "password": PASSWORD, "setCookie": cookie}}
    )
    return body["data"]["login"]


async def token_of(server: Any, id_number: str) -> str:
    return (await login(server, id_number))["token"]


async def data(server: Any, query: str, variables: dict | None, token: str) -> dict[str, Any]:
    body = await server.gql(query, variables, token=token)
    assert "errors" not in body, body["errors"]
    return body["data"]


async def upload(
    client: httpx.AsyncClient,
    *,
    kind: str,
    file: tuple[str, bytes, str],
    photos: tuple[str, bytes, str] | None = None,
    headers: dict[str, str],
) -> httpx.Response:
    """startImport as a GraphQL multipart request."""
    variables: dict[str, Any] = {"input": {"kind": kind, "file": None, "photos": None}}
    file_map = {"0": ["variables.input.file"]}
    files = {"0": file}
    if photos is not None:
        file_map["1"] = ["variables.input.photos"]
        files["1"] = photos
    return await client.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": START, "variables": variables}),
            "map": json.dumps(file_map),
        },
        files=files,
        headers=headers,
    )


async def start(server: Any, token: str, **kwargs: Any) -> dict[str, Any]:
    response = await upload(server.client, headers={"Authorization": f"Bearer {token}"}, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["data"]["startImport"]


async def finished(server: Any, token: str, job_id: str) -> dict[str, Any]:
    """Poll importJob until the job is DONE or FAILED (30 s at most)."""
    async with asyncio.timeout(30):
        while True:
            job = (await data(server, GET_JOB, {"id": job_id}, token))["importJob"]
            if job["status"] in ("DONE", "FAILED"):
                return job
            assert job["statusLabel"] in ("排队中", "导入中")
            await asyncio.sleep(0.1)


async def importers(server: Any) -> tuple[str, str]:
    await make_staff(server.deps, role=Role.IMPORTER, id_number=IMPORTER_ID, name="钱归集")
    await make_staff(server.deps, role=Role.IMPORTER, id_number=OTHER_IMPORTER_ID, name="孙归集")
    return await token_of(server, IMPORTER_ID), await token_of(server, OTHER_IMPORTER_ID)


# -------------------------------------------------------------------------------- tests


async def test_upload_loads_good_rows_issues_with_photos_and_reports_the_rest(server):
    await make_people(server.deps)  # 张三 (applicant), the 渝北 reviewer, admin, signing key
    importer, _ = await importers(server)
    rows = [
        ROW,  # row 2: no photo in the ZIP → 待完善
        {**ROW, "name": "李四", "idNumber": BAD_ID},  # row 3: refused
        {**ROW, "name": "王五", "idNumber": WANG_ID, "obtainedOn": "2023-09-01"},  # row 4
        {**ROW, "name": "赵六", "idNumber": ZHAO_ID},  # row 5: photo → issued at once
    ]
    started = await start(
        server,
        importer,
        kind="TITLE_SYSTEM",
        file=("2023年职称评审结果.csv", template_csv_file(rows), "text/csv"),
        photos=("照片.zip", photos_zip(**{ZHAO_ID: portrait_jpeg(3)}), "application/zip"),
    )
    assert started["__typename"] == "StartImportSuccess", started
    job = started["job"]
    assert (job["kind"], job["kindLabel"], job["fileName"], job["photosName"]) == (
        "TITLE_SYSTEM",
        "职称系统评审结果",
        "2023年职称评审结果.csv",
        "照片.zip",
    )
    assert job["status"] in ("QUEUED", "RUNNING", "DONE")

    done = await finished(server, importer, job["id"])
    assert (done["status"], done["statusLabel"], done["percent"]) == ("DONE", "已完成", 100.0)
    counts = {
        k: done[k]
        for k in (
            "totalRows",
            "rowsDone",
            "createdCount",
            "issuedCount",
            "incompleteCount",
            "existingCount",
            "refusedCount",
        )
    }
    assert counts == {
        "totalRows": 4,
        "rowsDone": 4,
        "createdCount": 2,
        "issuedCount": 1,
        "incompleteCount": 1,
        "existingCount": 0,
        "refusedCount": 2,
    }
    assert done["finishedAt"] and done["startedAt"] and done["errorCode"] is None

    report = (await data(server, REPORT, {"id": job["id"]}, importer))["importReport"]
    refused = [line for line in report["lines"] if line["outcome"] == "REFUSED"]
    assert sorted({line["row"] for line in refused}) == [3, 4]
    by_row = {line["row"]: line for line in refused}
    assert "公民身份号码" in by_row[3]["column"]
    assert by_row[4]["column"] and (
        "取得时间" in by_row[4]["column"] or "发证" in by_row[4]["column"]
    )
    for line in refused:
        assert line["outcomeLabel"] == "未导入"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in line["message"]), line
    assert (report["totalLines"], report["truncated"]) == (len(report["lines"]), False)
    one = (await data(server, REPORT, {"id": job["id"], "limit": 1}, importer))["importReport"]
    assert (len(one["lines"]), one["truncated"]) == (1, report["totalLines"] > 1)

    # The report files, parsed back.
    auth = {"Authorization": f"Bearer {importer}"}
    got = await server.client.get(done["reportCsvUrl"], headers=auth)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["cache-control"] == "no-store"
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    assert "attachment" in got.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert tuple(table[0]) == REPORT_HEADERS
    assert {r[0] for r in table[1:] if r[2] == "未导入"} == {"3", "4"}
    got = await server.client.get(done["reportXlsxUrl"], headers=auth)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(got.content)).get_sheet_by_index(0)
    cells = sheet.to_python()
    assert tuple(cells[0]) == REPORT_HEADERS
    assert sorted(int(r[0]) for r in cells[1:] if r[2] == "未导入") == [3, 4]

    # The holder: the photo-less record is 待完善 with its reason; 赵六's was issued.
    mine = await data(server, MINE, None, await token_of(server, ID_MALE_1985))
    (record,) = [e["node"] for e in mine["myRegistrations"]["edges"]]
    assert (record["status"], record["source"], record["missing"]) == (
        "INCOMPLETE",
        "TITLE_SYSTEM",
        [{"field": "photo"}],
    )
    assert "电子证书生成失败，需重新上传电子照片" in record["incompleteReason"]

    # 赵六's certificate, generated with no registration and no review, verifies publicly.
    cert = await Certificate.get(holder_name="赵六")
    page = await server.client.get(
        urlsplit(cert.verification_url or "").path, headers={"Accept": "application/json"}
    )
    assert page.json()["state"] == "VALID"

    listed = (await data(server, JOBS, None, importer))["importJobs"]["edges"]
    assert [e["node"]["id"] for e in listed] == [job["id"]]


async def test_templates_are_public_downloads(server):
    xlsx = await server.client.get("/imports/template.xlsx", params={"kind": "TITLE_SYSTEM"})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = xlsx.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="title-system-template.xlsx"')
    assert "filename*=UTF-8''%E8%81%8C%E7%A7%B0" in disposition  # 职称…
    header = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0)
    assert "*公民身份号码" in header.to_python()[0]

    text = await server.client.get("/imports/template.csv", params={"kind": "HISTORICAL"})
    assert text.status_code == 200
    assert text.content.startswith(b"\xef\xbb\xbf")
    first = next(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert first[:2] == ["*姓名", "*公民身份号码"]

    for params in ({}, {"kind": "OTHER"}):
        refused = await server.client.get("/imports/template.csv", params=params)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "IMPORT_KIND_INVALID"


async def test_who_may_upload_and_see_a_job(server):
    await make_people(server.deps)
    importer, other = await importers(server)
    applicant = await token_of(server, ID_MALE_1985)
    admin = await token_of(server, ADMIN_ID)
    file = ("结果.csv", template_csv_file([ROW]), "text/csv")

    refused = await start(server, applicant, kind="TITLE_SYSTEM", file=file)
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    anonymous = await upload(
        server.client, kind="TITLE_SYSTEM", file=file, headers={"Authorization": "Bearer nope"}
    )
    assert anonymous.json()["data"]["startImport"]["errors"][0]["code"] == "UNAUTHENTICATED"

    job = (await start(server, importer, kind="HISTORICAL", file=file))["job"]
    await finished(server, importer, job["id"])
    body = await server.gql(GET_JOB, {"id": job["id"]}, token=other)
    assert body["errors"][0]["extensions"]["code"] == "IMPORT_JOB_NOT_FOUND"
    body = await server.gql(GET_JOB, {"id": job["id"]}, token=applicant)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await data(server, JOBS, None, other))["importJobs"]["edges"] == []
    seen_by_admin = (await data(server, GET_JOB, {"id": job["id"]}, admin))["importJob"]
    assert seen_by_admin["status"] == "DONE"

    url = job["reportCsvUrl"]
    assert (await server.client.get(url)).status_code == 401
    for token, status in ((other, 404), (applicant, 403), (admin, 200), (importer, 200)):
        got = await server.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == status, (token, got.text)


async def test_a_cookie_session_upload_needs_its_csrf_token(server):
    await importers(server)
    session = await login(server, IMPORTER_ID, cookie=True)
    assert server.client.cookies.get("ecert_session")
    file = ("结果.csv", template_csv_file([ROW], "HISTORICAL"), "text/csv")

    bare = await upload(server.client, kind="HISTORICAL", file=file, headers={})
    assert bare.status_code == 400  # a cross-site form could send this: refused unread
    forged = await upload(
        server.client, kind="HISTORICAL", file=file, headers={"X-CSRF-Token": "forged"}
    )
    assert forged.json()["data"]["startImport"]["errors"][0]["code"] == "CSRF_FAILED"
    ok = await upload(
        server.client, kind="HISTORICAL", file=file, headers={"X-CSRF-Token": session["csrfToken"]}
    )
    assert ok.json()["data"]["startImport"]["__typename"] == "StartImportSuccess", ok.text


async def test_a_file_that_can_never_load_is_refused_at_once(server):
    importer, _ = await importers(server)
    no_columns = f"姓名,公民身份号码\n张三,{ID_MALE_1985}\n".encode()
    refused = await start(
        server, importer, kind="TITLE_SYSTEM", file=("a.csv", no_columns, "text/csv")
    )
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("IMPORT_COLUMN_MISSING", ["input", "file"])
    ]
    assert "批准文号" in refused["errors"][0]["message"]
    pdf = await start(
        server, importer, kind="HISTORICAL", file=("a.pdf", b"%PDF-1.7 ...", "application/pdf")
    )
    assert pdf["__typename"] == "UserErrors"
    assert pdf["errors"][0]["field"] == ["input", "file"]
    assert (await data(server, JOBS, None, importer))["importJobs"]["edges"] == []


async def test_import_title_system_results_runs_as_a_job(server):
    await make_people(server.deps)
    importer, _ = await importers(server)
    records = [
        JSON_ROW,
        {**JSON_ROW, "name": "王五", "idNumber": WANG_ID, "obtainedOn": "2020-13-01"},
    ]
    payload = (await data(server, IMPORT_JSON, {"input": {"records": records}}, importer))[
        "importTitleSystemResults"
    ]
    assert payload["__typename"] == "ImportTitleSystemResultsSuccess", payload
    done = await finished(server, importer, payload["job"]["id"])
    assert (
        done["status"],
        done["createdCount"],
        done["incompleteCount"],
        done["refusedCount"],
    ) == (
        "DONE",
        1,
        1,
        1,
    )
    report = (await data(server, REPORT, {"id": done["id"]}, importer))["importReport"]
    assert [line["row"] for line in report["lines"] if line["outcome"] == "REFUSED"] == [3]

    # The same rows again: already on record, nothing loaded twice.
    again = (await data(server, IMPORT_JSON, {"input": {"records": records[:1]}}, importer))[
        "importTitleSystemResults"
    ]
    repeated = await finished(server, importer, again["job"]["id"])
    assert (repeated["createdCount"], repeated["existingCount"]) == (0, 1)

    for records, code in (
        ([], "IMPORT_EMPTY"),
        ([{**JSON_ROW, "photoBase64": "x"}], "IMPORT_FIELD_UNKNOWN"),
        (["not an object"], "IMPORT_RECORD_INVALID"),
        ([JSON_ROW] * 5001, "IMPORT_TOO_LARGE"),
    ):
        refused = (await data(server, IMPORT_JSON, {"input": {"records": records}}, importer))[
            "importTitleSystemResults"
        ]
        assert [e["code"] for e in refused["errors"]] == [code]
