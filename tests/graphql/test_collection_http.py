"""Bulk collection (历史数据归集) through the API (both databases): a file and a photo ZIP
uploaded as a GraphQL multipart request (over real HTTP), the job polled to the end, its report
read and downloaded, the templates, who may see what, and the JSON mutation as a job."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlsplit

from python_calamine import CalamineWorkbook

from schema.collection.report_files import REPORT_HEADERS
from schema.enums import Role
from schema.models import Certificate
from schema.rules.iso7064 import mod11_2_check_char
from tests.support.client import ApiClient, Session
from tests.support.factories import ID_MALE_1985, make_staff
from tests.support.flows import ADMIN_ID, make_people, portrait_jpeg
from tests.support.import_jobs import (
    RESULT_RECORD,
    RESULT_ROW,
    finished_job,
    photos_zip,
    start_import,
    template_csv,
)

IMPORTER_ID = "500112199001010017"
OTHER_IMPORTER_ID = "50011219910202002" + mod11_2_check_char("50011219910202002")
ZHAO_ID = "50011219880808003" + mod11_2_check_char("50011219880808003")
WANG_ID = "50011219860606004" + mod11_2_check_char("50011219860606004")
BAD_ID = ID_MALE_1985[:-1] + ("9" if ID_MALE_1985[-1] != "9" else "8")  # wrong check char

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

# ------------------------------------------------------------------------------ helpers


def _file_only(kind: str) -> dict[str, Any]:
    """startImport's variables for a file with no photo ZIP."""
    return {"input": {"kind": kind, "file": None}}


async def start(importer: Session, **kwargs: Any) -> dict[str, Any]:
    return await start_import(importer, START, **kwargs)


async def finished(importer: Session, job_id: str) -> dict[str, Any]:
    return await finished_job(importer, GET_JOB, job_id)


async def importers(api: ApiClient) -> tuple[Session, Session]:
    await make_staff(api.deps, role=Role.IMPORTER, id_number=IMPORTER_ID, name="钱归集")
    await make_staff(api.deps, role=Role.IMPORTER, id_number=OTHER_IMPORTER_ID, name="孙归集")
    return await api.login(IMPORTER_ID), await api.login(OTHER_IMPORTER_ID)


# -------------------------------------------------------------------------------- tests


async def test_upload_loads_good_rows_issues_with_photos_and_reports_the_rest(
    server: ApiClient,
) -> None:
    await make_people(server.deps)  # 张三 (applicant), the 渝北 reviewer, admin, signing key
    importer, _ = await importers(server)
    rows = [
        RESULT_ROW,  # row 2: no photo in the ZIP → 待完善
        {**RESULT_ROW, "name": "李四", "idNumber": BAD_ID},  # row 3: refused
        {**RESULT_ROW, "name": "王五", "idNumber": WANG_ID, "obtainedOn": "2023-09-01"},  # row 4
        {**RESULT_ROW, "name": "赵六", "idNumber": ZHAO_ID},  # row 5: photo → issued at once
    ]
    started = await start(
        importer,
        kind="TITLE_SYSTEM",
        file=("2023年职称评审结果.csv", template_csv(rows), "text/csv"),
        photos=("照片.zip", photos_zip({ZHAO_ID: portrait_jpeg(3)}), "application/zip"),
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

    done = await finished(importer, job["id"])
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

    report = (await importer.data(REPORT, {"id": job["id"]}))["importReport"]
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
    one = (await importer.data(REPORT, {"id": job["id"], "limit": 1}))["importReport"]
    assert (len(one["lines"]), one["truncated"]) == (1, report["totalLines"] > 1)

    # The report files, parsed back.
    got = await importer.get(done["reportCsvUrl"])
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["cache-control"] == "no-store"
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    assert "attachment" in got.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert tuple(table[0]) == REPORT_HEADERS
    assert {r[0] for r in table[1:] if r[2] == "未导入"} == {"3", "4"}
    got = await importer.get(done["reportXlsxUrl"])
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(got.content)).get_sheet_by_index(0)
    cells = sheet.to_python()
    assert tuple(cells[0]) == REPORT_HEADERS
    assert sorted(int(r[0]) for r in cells[1:] if r[2] == "未导入") == [3, 4]

    # The holder: the photo-less record is 待完善 with its reason; 赵六's was issued.
    mine = await (await server.login(ID_MALE_1985)).data(MINE)
    (record,) = [e["node"] for e in mine["myRegistrations"]["edges"]]
    assert (record["status"], record["source"], record["missing"]) == (
        "INCOMPLETE",
        "TITLE_SYSTEM",
        [{"field": "photo"}],
    )
    assert "电子证书生成失败，需重新上传电子照片" in record["incompleteReason"]

    # 赵六's certificate, generated with no registration and no review, verifies publicly.
    cert = await Certificate.get(holder_name="赵六")
    page = await server.http.get(
        urlsplit(cert.verification_url or "").path, headers={"Accept": "application/json"}
    )
    assert page.json()["state"] == "VALID"

    listed = (await importer.data(JOBS))["importJobs"]["edges"]
    assert [e["node"]["id"] for e in listed] == [job["id"]]


async def test_templates_are_public_downloads(api: ApiClient) -> None:
    xlsx = await api.http.get("/imports/template.xlsx", params={"kind": "TITLE_SYSTEM"})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = xlsx.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="title-system-template.xlsx"')
    assert "filename*=UTF-8''%E8%81%8C%E7%A7%B0" in disposition  # 职称…
    header = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0)
    assert "*公民身份号码" in header.to_python()[0]

    text = await api.http.get("/imports/template.csv", params={"kind": "HISTORICAL"})
    assert text.status_code == 200
    assert text.content.startswith(b"\xef\xbb\xbf")
    first = next(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert first[:2] == ["*姓名", "*公民身份号码"]

    for params in ({}, {"kind": "OTHER"}):
        refused = await api.http.get("/imports/template.csv", params=params)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "IMPORT_KIND_INVALID"


async def test_who_may_upload_and_see_a_job(api: ApiClient) -> None:
    await make_people(api.deps)
    importer, other = await importers(api)
    applicant = await api.login(ID_MALE_1985)
    admin = await api.login(ADMIN_ID)
    file = ("结果.csv", template_csv([RESULT_ROW]), "text/csv")

    refused = await start(applicant, kind="TITLE_SYSTEM", file=file)
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    anonymous = await api.upload(
        START, _file_only("TITLE_SYSTEM"), {"input.file": file}, token="nope"
    )
    assert anonymous.json()["data"]["startImport"]["errors"][0]["code"] == "UNAUTHENTICATED"

    job = (await start(importer, kind="HISTORICAL", file=file))["job"]
    await finished(importer, job["id"])
    body = await other.execute(GET_JOB, {"id": job["id"]})
    assert body["errors"][0]["extensions"]["code"] == "IMPORT_JOB_NOT_FOUND"
    body = await applicant.execute(GET_JOB, {"id": job["id"]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await other.data(JOBS))["importJobs"]["edges"] == []
    seen_by_admin = (await admin.data(GET_JOB, {"id": job["id"]}))["importJob"]
    assert seen_by_admin["status"] == "DONE"

    url = job["reportCsvUrl"]
    assert (await api.http.get(url)).status_code == 401
    for who, status in ((other, 404), (applicant, 403), (admin, 200), (importer, 200)):
        got = await who.get(url)
        assert got.status_code == status, (who.token, got.text)


async def test_a_cookie_session_upload_needs_its_csrf_token(api: ApiClient) -> None:
    await importers(api)
    session = await api.login(IMPORTER_ID, cookie=True)
    assert api.http.cookies.get("ecert_session")
    variables = _file_only("HISTORICAL")
    files = {"input.file": ("结果.csv", template_csv([RESULT_ROW], "HISTORICAL"), "text/csv")}

    bare = await api.upload(START, variables, files)
    assert bare.status_code == 400  # a cross-site form could send this: refused unread
    forged = await api.upload(START, variables, files, headers={"X-CSRF-Token": "forged"})
    assert forged.json()["data"]["startImport"]["errors"][0]["code"] == "CSRF_FAILED"
    ok = await api.upload(START, variables, files, headers={"X-CSRF-Token": session.csrf_token})
    assert ok.json()["data"]["startImport"]["__typename"] == "StartImportSuccess", ok.text


async def test_a_file_that_can_never_load_is_refused_at_once(api: ApiClient) -> None:
    importer, _ = await importers(api)
    no_columns = f"姓名,公民身份号码\n张三,{ID_MALE_1985}\n".encode()
    refused = await start(importer, kind="TITLE_SYSTEM", file=("a.csv", no_columns, "text/csv"))
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("IMPORT_COLUMN_MISSING", ["input", "file"])
    ]
    assert "批准文号" in refused["errors"][0]["message"]
    pdf = await start(
        importer, kind="HISTORICAL", file=("a.pdf", b"%PDF-1.7 ...", "application/pdf")
    )
    assert pdf["__typename"] == "UserErrors"
    assert pdf["errors"][0]["field"] == ["input", "file"]
    assert (await importer.data(JOBS))["importJobs"]["edges"] == []


async def test_import_title_system_results_runs_as_a_job(api: ApiClient) -> None:
    await make_people(api.deps)
    importer, _ = await importers(api)
    records = [
        RESULT_RECORD,
        {**RESULT_RECORD, "name": "王五", "idNumber": WANG_ID, "obtainedOn": "2020-13-01"},
    ]
    payload = (await importer.data(IMPORT_JSON, {"input": {"records": records}}))[
        "importTitleSystemResults"
    ]
    assert payload["__typename"] == "ImportTitleSystemResultsSuccess", payload
    done = await finished(importer, payload["job"]["id"])
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
    report = (await importer.data(REPORT, {"id": done["id"]}))["importReport"]
    assert [line["row"] for line in report["lines"] if line["outcome"] == "REFUSED"] == [3]

    # The same rows again: already on record, nothing loaded twice.
    again = (await importer.data(IMPORT_JSON, {"input": {"records": records[:1]}}))[
        "importTitleSystemResults"
    ]
    repeated = await finished(importer, again["job"]["id"])
    assert (repeated["createdCount"], repeated["existingCount"]) == (0, 1)

    for records, code in (
        ([], "IMPORT_EMPTY"),
        ([{**RESULT_RECORD, "photoBase64": "x"}], "IMPORT_FIELD_UNKNOWN"),
        (["not an object"], "IMPORT_RECORD_INVALID"),
        ([RESULT_RECORD] * 5001, "IMPORT_TOO_LARGE"),
    ):
        refused = (await importer.data(IMPORT_JSON, {"input": {"records": records}}))[
            "importTitleSystemResults"
        ]
        assert [e["code"] for e in refused["errors"]] == [code]
