"""Registrations through the services (both databases): drafts, steps, identity keys, the
photo, submission, withdrawal, 我的证书."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from schema.errors import Conflict, Forbidden, InvalidInput, InvalidState, NotFound
from schema.models import AuditRecord, Registration, RegistrationKey, RegistrationStatus
from schema.registration_form import Step
from schema.rules.iso7064 import mod11_2_check_char
from schema.services import registrations, review
from schema.services.reference import current_catalog
from tests.support.factories import NOW, make_applicant
from tests.support.flows import (
    PAPER_2015_DOCUMENT,
    PAPER_2015_TITLE,
    YUBEI_TITLE,
    actor_of,
    fill_and_submit,
    make_people,
    portrait_jpeg,
)
from tests.support.settings import test_pii


async def _step(actor, reg_id, step, values):
    return await registrations.save_step(
        actor=actor,
        registration_id=reg_id,
        step=step,
        submitted=values,
        catalog=await current_catalog(),
        pii=test_pii(),
        now=NOW,
    )


async def _draft(actor):
    return (await registrations.create_registration(actor=actor, now=NOW)).public_id


async def test_only_an_applicant_starts_a_registration_and_it_is_audited(db, deps):
    people = await make_people(deps)
    with pytest.raises(Forbidden):
        await registrations.create_registration(actor=people.reviewer, now=NOW)
    reg = await registrations.create_registration(actor=people.applicant, now=NOW)
    assert (reg.status, reg.holder_name, reg.round) == (RegistrationStatus.DRAFT, "张三", 0)
    audit = await AuditRecord.get(entity_id=reg.public_id)
    assert (audit.action, audit.actor_role) == ("registration.created", "applicant")


async def test_absent_fields_are_unchanged_and_none_clears(db, deps):
    people = await make_people(deps)
    reg_id = await _draft(people.applicant)
    await _step(people.applicant, reg_id, Step.TITLE, PAPER_2015_TITLE)
    await _step(people.applicant, reg_id, Step.DOCUMENT, PAPER_2015_DOCUMENT)

    await _step(people.applicant, reg_id, Step.DOCUMENT, {"issuedOn": "2015-12-31"})
    reg = await Registration.get(public_id=reg_id)
    assert (str(reg.issued_on), reg.certificate_number) == ("2015-12-31", "011320150042")
    with pytest.raises(InvalidInput) as caught:
        await _step(people.applicant, reg_id, Step.DOCUMENT, {"certificateNumber": None})
    assert caught.value.code == "CERTIFICATE_NUMBER_REQUIRED"
    assert (await Registration.get(public_id=reg_id)).certificate_number == "011320150042"


async def test_refused_step_saves_nothing(db, deps):
    people = await make_people(deps)
    reg_id = await _draft(people.applicant)
    await _step(people.applicant, reg_id, Step.TITLE, PAPER_2015_TITLE)
    bad = {**PAPER_2015_DOCUMENT, "obtainedOn": "2016-01-05"}  # after the issue date
    with pytest.raises(InvalidInput) as caught:
        await _step(people.applicant, reg_id, Step.DOCUMENT, bad)
    assert caught.value.code == "OBTAINED_AFTER_ISSUED"
    reg = await Registration.get(public_id=reg_id)
    assert (reg.approval_document, reg.obtained_on) == (None, None)
    assert await RegistrationKey.filter(registration_id=reg.id).count() == 0


async def test_draft_claims_its_keys_and_withdrawal_releases_them(db, deps):
    people = await make_people(deps)
    first = await _draft(people.applicant)
    await _step(people.applicant, first, Step.TITLE, PAPER_2015_TITLE)
    await _step(people.applicant, first, Step.DOCUMENT, PAPER_2015_DOCUMENT)
    keys = await RegistrationKey.filter(registration__public_id=first).values_list("key", flat=True)
    assert keys == ["N:011320150042"]

    second = await _draft(people.applicant)
    await _step(people.applicant, second, Step.TITLE, PAPER_2015_TITLE)
    # Something the first record does not hold: the draft is the person's own work, kept.
    await _step(people.applicant, second, Step.SPECIALTY, {"specialty": "建筑工程"})
    with pytest.raises(Conflict) as caught:
        await _step(people.applicant, second, Step.DOCUMENT, PAPER_2015_DOCUMENT)
    assert (caught.value.code, caught.value.ref) == ("SCOPE_ALREADY_REGISTERED", first)
    assert first not in caught.value.message, "a raw record id reached the message"
    assert "高级工程师" in caught.value.message, "the message does not name the record"

    await registrations.withdraw_registration(
        actor=people.applicant, registration_id=first, now=NOW
    )
    await _step(people.applicant, second, Step.DOCUMENT, PAPER_2015_DOCUMENT)
    mine = await registrations.my_registrations(actor=people.applicant)
    assert [r.public_id for r in mine.items] == [second]


async def test_a_draft_identical_to_an_existing_record_is_withdrawn_when_refused(db, deps):
    """The lost race (or starting the same certificate again): the refused draft holds
    nothing the existing record lacks, so it does not stay behind as an orphan 填写中."""
    people = await make_people(deps)
    first = await _draft(people.applicant)
    await _step(people.applicant, first, Step.TITLE, PAPER_2015_TITLE)
    await _step(people.applicant, first, Step.DOCUMENT, PAPER_2015_DOCUMENT)

    second = await _draft(people.applicant)
    await _step(people.applicant, second, Step.TITLE, PAPER_2015_TITLE)
    with pytest.raises(Conflict) as caught:
        await _step(people.applicant, second, Step.DOCUMENT, PAPER_2015_DOCUMENT)

    assert (caught.value.code, caught.value.ref) == ("SCOPE_ALREADY_REGISTERED", first)
    assert "草稿已自动撤回" in caught.value.message, caught.value.message
    orphan = await Registration.get(public_id=second)
    assert orphan.status is RegistrationStatus.WITHDRAWN, f"left {orphan.status}"
    assert await AuditRecord.filter(entity_id=second, action="registration.withdrawn").exists(), (
        "the automatic withdrawal left no audit record"
    )
    mine = await registrations.my_registrations(actor=people.applicant)
    assert [r.public_id for r in mine.items] == [first]


async def test_submission_checks_everything_and_locks_the_registration(db, deps):
    people = await make_people(deps)
    catalog = await current_catalog()
    reg_id = await _draft(people.applicant)
    await _step(people.applicant, reg_id, Step.TITLE, YUBEI_TITLE)
    with pytest.raises(InvalidInput) as caught:
        await registrations.submit_registration(
            actor=people.applicant,
            registration_id=reg_id,
            catalog=catalog,
            pii=deps.pii,
            now=NOW,
        )
    assert {p.code for p in caught.value.problems} == {"SPECIALTY_REQUIRED", "PHOTO_REQUIRED"}

    reg = await fill_and_submit(
        deps, people.applicant, title={**YUBEI_TITLE, "employerType": "非公企业"}
    )
    assert (reg.status, reg.round, reg.missing) == (RegistrationStatus.SUBMITTED, 1, [])
    with pytest.raises(InvalidState) as caught:
        await _step(people.applicant, reg.public_id, Step.SPECIALTY, {"specialty": "建筑工程"})
    assert caught.value.code == "REGISTRATION_NOT_EDITABLE"
    with pytest.raises(InvalidState) as caught:
        await registrations.submit_registration(
            actor=people.applicant,
            registration_id=reg.public_id,
            catalog=catalog,
            pii=deps.pii,
            now=NOW,
        )
    assert caught.value.code == "REGISTRATION_NOT_EDITABLE"


async def test_photo_is_normalised_and_a_bad_one_refused(db, deps):
    people = await make_people(deps)
    catalog = await current_catalog()
    reg_id = await _draft(people.applicant)
    tiny = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 200, 200)).save(tiny, "PNG")
    with pytest.raises(InvalidInput) as caught:
        await registrations.attach_photo(
            actor=people.applicant,
            registration_id=reg_id,
            data=tiny.getvalue(),
            store=deps.store,
            catalog=catalog,
            now=NOW,
        )
    assert (caught.value.code, caught.value.field) == ("PHOTO_TOO_SMALL", "photo")

    reg = await registrations.attach_photo(
        actor=people.applicant,
        registration_id=reg_id,
        data=portrait_jpeg(),
        store=deps.store,
        catalog=catalog,
        now=NOW,
    )
    stored = await deps.store.get(reg.photo_sha256)
    assert stored[:3] == b"\xff\xd8\xff" and stored != portrait_jpeg()
    assert "photo" not in reg.missing


async def test_someone_elses_registration_does_not_exist_for_you(db, deps):
    people = await make_people(deps)
    other_id = "50010119900307000" + mod11_2_check_char("50010119900307000")
    other = actor_of(
        (await make_applicant(deps, name="李四", id_number=other_id, mobile="13600001111")).account
    )
    reg_id = await _draft(people.applicant)
    with pytest.raises(NotFound):
        await registrations.get_own_registration(actor=other, registration_id=reg_id)
    with pytest.raises(NotFound):
        await _step(other, reg_id, Step.TITLE, YUBEI_TITLE)


async def test_my_registrations_newest_first_without_withdrawn(db, deps):
    people = await make_people(deps)
    first = await _draft(people.applicant)
    await registrations.withdraw_registration(
        actor=people.applicant, registration_id=first, now=NOW
    )
    a = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    b = await fill_and_submit(
        deps, people.applicant, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT
    )
    mine = await registrations.my_registrations(actor=people.applicant)
    assert [r.public_id for r in mine.items] == [b.public_id, a.public_id]


async def test_my_registrations_page_newest_first_with_cursors(db, deps):
    people = await make_people(deps)
    ids = [await _draft(people.applicant) for _ in range(3)]

    async def page(first, after=None):
        return await registrations.my_registrations(
            actor=people.applicant, first=first, after=after
        )

    first = await page(1)
    assert ([r.public_id for r in first.items], first.has_next_page) == ([ids[2]], True)
    assert first.end_cursor == first.cursors[0]
    second = await page(1, first.end_cursor)
    assert ([r.public_id for r in second.items], second.has_next_page) == ([ids[1]], True)
    last = await page(1, second.end_cursor)
    assert ([r.public_id for r in last.items], last.has_next_page) == ([ids[0]], False)
    empty = await page(1, last.end_cursor)
    assert (empty.items, empty.end_cursor, empty.has_next_page) == ([], None, False)
    # Stable under inserts: a newer registration does not shift the pages already read.
    newer = await _draft(people.applicant)
    rest = await page(20, first.end_cursor)
    assert [r.public_id for r in rest.items] == [ids[1], ids[0]]
    assert [r.public_id for r in (await page(20)).items] == [newer, *reversed(ids)]


async def test_my_registrations_refuses_bad_cursors_and_page_sizes(db, deps):
    people = await make_people(deps)
    reg = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    for first in (0, -1, 101):
        with pytest.raises(InvalidInput) as caught:
            await registrations.my_registrations(actor=people.applicant, first=first)
        assert (caught.value.code, caught.value.problems[0].field) == ("PAGE_SIZE", "first")
    # Garbage, and a real cursor of another list (the review queue), are both refused.
    for cursor in ("garbage!", review.queue_cursor(reg)):
        with pytest.raises(InvalidInput) as caught:
            await registrations.my_registrations(actor=people.applicant, after=cursor)
        assert (caught.value.code, caught.value.problems[0].field) == ("CURSOR_INVALID", "after")
