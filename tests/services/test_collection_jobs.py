"""Collection jobs at the service layer, on both databases: reports, idempotence, claims,
resumption after a crash, and two workers on one job."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import xlsxwriter

from schema.errors import Forbidden, InvalidInput
from schema.models import (
    AuditRecord,
    ImportIssue,
    ImportJob,
    ImportKind,
    ImportStatus,
    Registration,
    RegistrationKey,
    RegistrationStatus,
)
from schema.services import registrations
from schema.services.collection_jobs import import_report, run_import_job
from schema.services.reference import current_catalog
from tests.support.collection import (
    HISTORICAL_ROW,
    TITLE_ROW,
    collector,
    importer,
    load,
    start,
    write_csv,
)
from tests.support.factories import ID_FEMALE_1992, ID_MALE_1985, NOW, make_applicant
from tests.support.flows import actor_of, fill_and_submit, make_people

BAD_ID = {**HISTORICAL_ROW, "公民身份号码": "500112198503120231"}


def _person(i: int) -> dict[str, str]:
    """A distinct certificate of the historical row's holder (one row each)."""
    return {**HISTORICAL_ROW, "证书编号": f"0113201800{i:02d}"}


async def test_historical_rows_load_as_incomplete_records_listing_what_is_missing(
    db, deps, tmp_path
):
    job = await load(deps, await importer(deps), write_csv(tmp_path / "a.csv", [HISTORICAL_ROW]))
    reg = await Registration.get(import_job_id=job.id)
    assert (job.status, job.created_count, reg.status, reg.source) == (
        ImportStatus.DONE,
        1,
        RegistrationStatus.INCOMPLETE,
        "PAPER",
    )
    assert reg.missing == [
        "wayObtained",
        "approvalDocument",
        "issuedOn",
        "authority",
        "reviewBody",
        "validityScope",
        "specialty",
        "photo",
    ]


async def test_a_refused_row_is_reported_with_its_file_row_column_and_reason(db, deps, tmp_path):
    path = write_csv(tmp_path / "a.csv", [_person(1), BAD_ID, _person(2)])
    job = await load(deps, await importer(deps), path)
    _, lines = await import_report(actor=await _admin(deps), job_id=job.public_id)
    assert (job.created_count, job.refused_count) == (2, 1)
    assert [(line.row, line.column, line.outcome, line.code) for line in lines] == [
        (3, "公民身份号码", "REFUSED", "ID_NUMBER_CHECKSUM")
    ]
    assert "校验位" in lines[0].message


async def test_duplicate_rows_are_numbered_by_their_rows_in_the_file(db, deps, tmp_path):
    # Row 2 is refused; rows 3 and 4 are the same certificate: row 4 points to row 3.
    path = write_csv(tmp_path / "a.csv", [BAD_ID, _person(1), _person(1)])
    job = await load(deps, await importer(deps), path)
    issue = await ImportIssue.get(job_id=job.id, outcome="EXISTING")
    first = await Registration.get(import_job_id=job.id)
    assert (issue.row, first.import_row, issue.ref) == (4, 3, first.public_id)
    assert "第3行" in issue.message and "第2行" not in issue.message


async def test_duplicates_across_chunks_name_the_earlier_row(db, deps, tmp_path):
    path = write_csv(tmp_path / "a.csv", [_person(1), _person(2), _person(1)])
    job = await load(deps, await importer(deps), path, chunk_rows=1)
    issue = await ImportIssue.get(job_id=job.id)
    assert (issue.row, issue.code, "第2行" in issue.message) == (4, "IMPORT_DUPLICATE_ROW", True)


async def test_loading_the_same_file_again_creates_nothing(db, deps, tmp_path):
    actor = await importer(deps)
    path = write_csv(tmp_path / "a.csv", [_person(1), {**_person(2), "证书编号": ""}])
    await load(deps, actor, path)
    before = await Registration.all().count(), await RegistrationKey.all().count()
    again = await load(deps, actor, path)
    assert (again.created_count, again.existing_count) == (0, 2)
    assert (await Registration.all().count(), await RegistrationKey.all().count()) == before


async def test_a_row_matching_a_hand_registration_is_reported_with_its_id(db, deps, tmp_path):
    from tests.support.flows import YUBEI_TITLE

    people = await make_people(deps)
    hand = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    row = {
        **TITLE_ROW,
        "批准文号": hand.approval_document,
        "取得时间": "2021-12-24",
        "发证时间": "2022-02-15",
        "评审专业": "给排水",
    }
    job = await load(deps, await importer(deps), write_csv(tmp_path / "a.csv", [row]))
    issue = await ImportIssue.get(job_id=job.id)
    assert (job.created_count, issue.code, issue.ref) == (
        0,
        "IMPORT_ALREADY_REGISTERED",
        hand.public_id,
    )


async def test_records_wait_for_their_holder_and_nobody_else_sees_them(db, deps, tmp_path):
    await load(deps, await importer(deps), write_csv(tmp_path / "a.csv", [HISTORICAL_ROW]))
    holder = actor_of((await make_applicant(deps, name="李四", id_number=ID_FEMALE_1992)).account)
    other = actor_of((await make_applicant(deps, id_number=ID_MALE_1985)).account)
    mine = await registrations.my_registrations(actor=holder)
    assert [r.holder_name for r in mine.items] == ["李四"]
    assert (await registrations.my_registrations(actor=other)).items == []


async def test_a_holder_with_an_account_gets_the_record_at_once(db, deps, tmp_path):
    account = (await make_applicant(deps, name="李四", id_number=ID_FEMALE_1992)).account
    job = await load(deps, await importer(deps), write_csv(tmp_path / "a.csv", [HISTORICAL_ROW]))
    reg = await Registration.get(import_job_id=job.id)
    assert reg.applicant_id == account.id


async def test_the_holder_completes_a_historical_record_and_submits_it(db, deps, tmp_path):
    from schema.registration_form import Step
    from tests.support.flows import portrait_jpeg

    await load(deps, await importer(deps), write_csv(tmp_path / "a.csv", [HISTORICAL_ROW]))
    holder = actor_of((await make_applicant(deps, name="李四", id_number=ID_FEMALE_1992)).account)
    reg = (await registrations.my_registrations(actor=holder)).items[0]
    catalog = await current_catalog()
    document = {
        "wayObtained": "评审",
        "approvalDocument": "渝北职改办〔2018〕45号",
        "issuedOn": "2018-12-28",
        "authority": "渝北区人力资源和社会保障局",
        "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
        "validityScope": "全市",
    }
    await registrations.save_step(
        actor=holder,
        registration_id=reg.public_id,
        step=Step.TITLE,
        submitted={"wayObtained": document.pop("wayObtained")},
        catalog=catalog,
        pii=deps.pii,
        now=NOW,
    )
    for step, values in ((Step.DOCUMENT, document), (Step.SPECIALTY, {"specialty": "给排水"})):
        await registrations.save_step(
            actor=holder,
            registration_id=reg.public_id,
            step=step,
            submitted=values,
            catalog=catalog,
            pii=deps.pii,
            now=NOW,
        )
    await registrations.attach_photo(
        actor=holder,
        registration_id=reg.public_id,
        data=portrait_jpeg(),
        store=deps.store,
        catalog=catalog,
        now=NOW,
    )
    done = await registrations.submit_registration(
        actor=holder, registration_id=reg.public_id, catalog=catalog, pii=deps.pii, now=NOW
    )
    assert done.status is RegistrationStatus.SUBMITTED


async def test_every_loaded_record_has_an_audit_row_naming_the_job(db, deps, tmp_path):
    path = write_csv(tmp_path / "a.csv", [_person(1), _person(2)])
    job = await load(deps, await importer(deps), path)
    audits = await AuditRecord.filter(action="registration.imported").values_list("note", flat=True)
    assert audits == [f"import:{job.public_id}"] * 2


async def test_gb18030_csv_and_xlsx_give_the_same_records_as_utf8(db, deps, tmp_path):
    actor = await importer(deps)
    gbk = await load(deps, actor, write_csv(tmp_path / "gbk.csv", [_person(1)], encoding="gb18030"))
    path = tmp_path / "a.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    row = _person(2)
    for col, (header, value) in enumerate(row.items()):
        sheet.write_string(0, col, header)
        sheet.write_string(1, col, value)
    sheet.write_string(2, 0, "合计")
    workbook.close()
    xlsx = await load(deps, actor, path)
    assert (gbk.created_count, xlsx.created_count) == (1, 1)
    assert [r.certificate_number for r in await Registration.all().order_by("id")] == [
        "011320180001",
        "011320180002",
    ]
    notes = await ImportIssue.filter(job_id=xlsx.id, outcome="NOTE").values_list("code", flat=True)
    assert notes == ["TOTAL_ROW_IGNORED"]


async def test_only_importers_and_admins_start_jobs(db, deps, tmp_path):
    applicant = actor_of((await make_applicant(deps)).account)
    with pytest.raises(Forbidden):
        await start(deps, applicant, write_csv(tmp_path / "a.csv", [HISTORICAL_ROW]))


async def test_a_file_without_the_required_columns_is_refused_at_once(db, deps, tmp_path):
    path = write_csv(tmp_path / "a.csv", [{"姓名": "张三", "职称级别": "中级"}])
    with pytest.raises(InvalidInput) as refused:
        await start(deps, await importer(deps), path)
    assert refused.value.code == "HEADER_REQUIRED_MISSING"


async def test_a_title_system_file_must_carry_every_column(db, deps, tmp_path):
    row = {k: v for k, v in TITLE_ROW.items() if k != "批准文号"}
    with pytest.raises(InvalidInput) as refused:
        await start(
            deps,
            await importer(deps),
            write_csv(tmp_path / "a.csv", [row]),
            kind=ImportKind.TITLE_SYSTEM,
        )
    assert refused.value.code == "IMPORT_COLUMN_MISSING"


async def test_a_crashed_worker_is_taken_over_and_each_good_row_loads_once(db, deps, tmp_path):
    rows = [_person(i) for i in range(1, 9)] + [BAD_ID]
    job = await start(deps, await importer(deps), write_csv(tmp_path / "a.csv", rows))

    class Crash(Exception):
        pass

    def crash_after_first_chunk(progress: ImportJob) -> None:
        if progress.rows_done >= 3:
            raise Crash  # as if the process died right after its first commit

    with pytest.raises(Crash):
        await run_import_job(
            job_id=job.public_id,
            owner="first",
            collector=collector(deps, chunk_rows=3),
            catalog=current_catalog,
            clock=lambda: NOW,
            on_progress=crash_after_first_chunk,
        )
    # Within the lease nobody else may take it; after it, the next worker finishes.
    blocked = await run_import_job(
        job_id=job.public_id,
        owner="second",
        collector=collector(deps),
        catalog=current_catalog,
        clock=lambda: NOW + timedelta(seconds=30),
    )
    done = await run_import_job(
        job_id=job.public_id,
        owner="second",
        collector=collector(deps),
        catalog=current_catalog,
        clock=lambda: NOW + timedelta(minutes=2),
    )
    assert blocked is None and done is not None
    assert (done.status, done.rows_done, done.created_count, done.refused_count) == (
        ImportStatus.DONE,
        9,
        8,
        1,
    )
    assert await Registration.all().count() == 8


async def test_two_workers_on_one_job_process_each_row_once(db, deps, tmp_path):
    rows = [_person(i) for i in range(1, 21)]
    job = await start(deps, await importer(deps), write_csv(tmp_path / "a.csv", rows))

    async def worker(owner: str) -> ImportJob | None:
        return await run_import_job(
            job_id=job.public_id,
            owner=owner,
            collector=collector(deps, chunk_rows=2),
            catalog=current_catalog,
            clock=lambda: NOW,
        )

    results = await asyncio.gather(worker("a"), worker("b"))
    assert sum(r is not None for r in results) == 1
    assert await Registration.all().count() == 20
    assert (await ImportJob.get(id=job.id)).rows_done == 20


async def _admin(deps):
    from schema.enums import Role
    from tests.support.factories import make_staff

    staff = await make_staff(deps, role=Role.ADMIN, id_number="500101198802290019", name="王管理")
    return actor_of(staff.account)


async def test_rows_checked_in_a_child_process_give_the_same_outcome(db, deps, tmp_path):
    rows = [_person(1), BAD_ID, _person(2), _person(1), {**_person(3), "姓名": ""}]
    path = write_csv(tmp_path / "a.csv", rows)
    job = await load(deps, await importer(deps), path, chunk_rows=2, process_rows=0)
    issues = await ImportIssue.filter(job_id=job.id).order_by("row").values_list("row", "code")
    assert (job.created_count, job.existing_count, job.refused_count) == (2, 1, 2)
    assert issues == [
        (3, "ID_NUMBER_CHECKSUM"),
        (5, "IMPORT_DUPLICATE_ROW"),
        (6, "NAME_FORMAT"),
    ]


async def test_an_overlong_text_refuses_its_row_and_the_job_finishes(db, deps, tmp_path):
    long_body = {**_person(2), "评审机构": "重庆市" * 40 + "评审委员会"}
    job = await load(
        deps, await importer(deps), write_csv(tmp_path / "a.csv", [long_body, _person(1)])
    )
    issue = await ImportIssue.get(job_id=job.id)
    assert (job.status, job.created_count, issue.row, issue.column, issue.code) == (
        ImportStatus.DONE,
        1,
        2,
        "评审机构",
        "FIELD_TOO_LONG",
    )
