"""Title-system results arrive in bulk as 待完善 records; the holder completes them."""

from __future__ import annotations

import pytest

from schema.errors import Conflict, InvalidInput, InvalidState
from schema.models import Registration, RegistrationStatus
from schema.registration_form import Step
from schema.services import registrations, review
from schema.services.imports import import_title_system_results
from schema.services.reference import current_catalog
from tests.support.factories import ID_MALE_1985, NOW, make_staff
from tests.support.flows import make_people, portrait_jpeg

ROW = {
    "name": "张三",
    "idNumber": ID_MALE_1985,
    "level": "ZHONG",
    "series": "05",
    "titleName": "工程师",
    "wayObtained": "PS",
    "approvalDocument": "渝职改办〔2023〕88号",
    "obtainedOn": "2023-06-30",
    "issuedOn": "2023-08-01",
    "authority": "渝北区人力资源和社会保障局",
    "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
    "validityScope": "全市",
    "specialty": "给排水",
}


async def _importer(deps):
    from schema.enums import Role
    from tests.support.flows import actor_of

    staff = await make_staff(
        deps, role=Role.IMPORTER, id_number="500112199001010017", name="钱归集"
    )
    return actor_of(staff.account)


async def test_import_creates_incomplete_record_missing_photo(db, deps):
    importer = await _importer(deps)
    report = await import_title_system_results(
        actor=importer, pii=deps.pii, records=[ROW], catalog=await current_catalog(), now=NOW
    )
    reg = await Registration.get(public_id=report.registration_ids[0])
    assert (reg.status, reg.missing, reg.source) == (
        RegistrationStatus.INCOMPLETE,
        ["photo"],
        "TITLE_SYSTEM",
    )
    assert reg.authority_code == "500112" and reg.approval_document == "渝职改办〔2023〕88号"


async def test_one_bad_row_refuses_the_whole_batch(db, deps):
    importer = await _importer(deps)
    bad = {**ROW, "idNumber": "500112198503120231", "name": "李四"}
    with pytest.raises(InvalidInput) as caught:
        await import_title_system_results(
            actor=importer,
            pii=deps.pii,
            records=[ROW, bad],
            catalog=await current_catalog(),
            now=NOW,
        )
    assert caught.value.problems[0].field == "records[1].idNumber"
    assert await Registration.all().count() == 0


async def test_holder_completes_with_photo_and_gets_certificate(db, deps):
    people = await make_people(deps)  # the applicant holds ID_MALE_1985
    importer = await _importer(deps)
    catalog = await current_catalog()
    report = await import_title_system_results(
        actor=importer, pii=deps.pii, records=[ROW], catalog=catalog, now=NOW
    )
    reg_id = report.registration_ids[0]
    mine = await registrations.my_registrations(actor=people.applicant)
    assert [r.public_id for r in mine.items] == [reg_id]

    # Registering the same certificate again points to the 待完善 record.
    draft = await registrations.create_registration(actor=people.applicant, now=NOW)
    with pytest.raises(Conflict) as caught:
        await _register_same(people, draft.public_id, catalog)
    assert caught.value.code == "SCOPE_PENDING_COMPLETION" and caught.value.ref == reg_id

    with pytest.raises(InvalidState):
        await registrations.save_step(
            actor=people.applicant,
            registration_id=reg_id,
            step=Step.SPECIALTY,
            submitted={"specialty": "建筑工程"},
            catalog=catalog,
            now=NOW,
        )
    await registrations.attach_photo(
        actor=people.applicant,
        registration_id=reg_id,
        data=portrait_jpeg(),
        store=deps.store,
        catalog=catalog,
        now=NOW,
    )
    await registrations.submit_registration(
        actor=people.applicant, registration_id=reg_id, catalog=catalog, now=NOW
    )
    cert = await review.approve_registration(
        actor=people.reviewer,
        registration_id=reg_id,
        issuer=deps.issuer,
        catalog=catalog,
        now=NOW,
    )
    assert cert.provenance.value == "NATIVE" and cert.number.startswith("2023503")


async def _register_same(people, draft_id, catalog):
    """Fill a hand registration of the imported certificate (offline review, same document)."""
    await registrations.save_step(
        actor=people.applicant,
        registration_id=draft_id,
        step=Step.TITLE,
        submitted={k: ROW[k] for k in ("level", "series", "titleName", "wayObtained")}
        | {"source": "OFFLINE_REVIEW"},
        catalog=catalog,
        now=NOW,
    )
    await registrations.save_step(
        actor=people.applicant,
        registration_id=draft_id,
        step=Step.SPECIALTY,
        submitted={"specialty": "给排水"},
        catalog=catalog,
        now=NOW,
    )
    await registrations.save_step(
        actor=people.applicant,
        registration_id=draft_id,
        step=Step.DOCUMENT,
        submitted={
            k: ROW[k]
            for k in (
                "approvalDocument",
                "obtainedOn",
                "issuedOn",
                "authority",
                "reviewBody",
                "validityScope",
            )
        },
        catalog=catalog,
        now=NOW,
    )


async def test_rows_already_registered_refuse_the_batch_and_name_the_row(db, deps):
    importer = await _importer(deps)
    catalog = await current_catalog()
    await import_title_system_results(
        actor=importer, pii=deps.pii, records=[ROW], catalog=catalog, now=NOW
    )
    other = {**ROW, "idNumber": "500229198008080032", "name": "王五"}
    with pytest.raises(InvalidInput) as caught:
        await import_title_system_results(
            actor=importer, pii=deps.pii, records=[other, ROW], catalog=catalog, now=NOW
        )
    assert [(p.code, p.field) for p in caught.value.problems] == [
        ("IMPORT_ALREADY_REGISTERED", "records[1]")
    ]
    assert await Registration.all().count() == 1  # the valid row was not loaded either


async def test_the_same_row_twice_in_one_batch_is_refused(db, deps):
    importer = await _importer(deps)
    with pytest.raises(InvalidInput) as caught:
        await import_title_system_results(
            actor=importer,
            pii=deps.pii,
            records=[ROW, ROW],
            catalog=await current_catalog(),
            now=NOW,
        )
    assert {p.code for p in caught.value.problems} == {"IMPORT_DUPLICATE_ROW"}


async def test_every_imported_record_has_its_audit_row_and_keys(db, deps):
    from schema.models import AuditRecord, RegistrationKey

    importer = await _importer(deps)
    rows = [{**ROW, "approvalDocument": f"渝职改办〔2023〕{n}号"} for n in range(1, 4)]
    report = await import_title_system_results(
        actor=importer, pii=deps.pii, records=rows, catalog=await current_catalog(), now=NOW
    )
    audited = await AuditRecord.filter(action="registration.imported").values_list(
        "entity_id", flat=True
    )
    assert sorted(audited) == sorted(report.registration_ids)
    assert await RegistrationKey.all().count() == 3  # one document key each (no paper number)
