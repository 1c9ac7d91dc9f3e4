"""The reviewing authority through the services (both databases): the queue, returning,
approving — numbered, all or nothing."""

from __future__ import annotations

import pytest

from schema.enums import Role
from schema.errors import InvalidInput, InvalidState, NotFound
from schema.models import (
    Certificate,
    CertificateNumberSeq,
    IssuedNumber,
    Registration,
    RegistrationStatus,
)
from schema.registration_form import Step
from schema.rules.iso7064 import mod11_2_check_char
from schema.services import registrations, review
from schema.services.reference import current_catalog
from tests.support.factories import NOW, make_applicant, make_staff
from tests.support.flows import (
    PAPER_2015_DOCUMENT,
    PAPER_2015_TITLE,
    YUBEI_TITLE,
    actor_of,
    fill_and_submit,
    make_people,
)

ZHULI_2022_TITLE = {
    "source": "OFFLINE_REVIEW",
    "level": "ZHULI",
    "series": "05",
    "titleName": "助理工程师",
    "wayObtained": "PS",
}
ZHULI_2022_DOCUMENT = {
    "approvalDocument": "渝北职改办〔2022〕40号",
    "obtainedOn": "2021-11-10",
    "issuedOn": "2022-01-05",
    "authority": "渝北区人力资源和社会保障局",
    "reviewBody": "重庆市工程技术初级职务渝北区评审委员会",
    "validityScope": "全市",
}


def _id(prefix17: str) -> str:
    return prefix17 + mod11_2_check_char(prefix17)


async def _approve(deps, actor, reg_id):
    return await review.approve_registration(
        actor=actor,
        registration_id=reg_id,
        issuer=deps.issuer,
        catalog=await current_catalog(),
        now=NOW,
    )


async def _return(actor, reg_id, reason, note=None):
    return await review.return_registration(
        actor=actor,
        registration_id=reg_id,
        reason_code=reason,
        note=note,
        catalog=await current_catalog(),
        now=NOW,
    )


async def test_system_numbers_count_per_year_and_level(db, deps):
    people = await make_people(deps)
    a = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    b = await fill_and_submit(
        deps, people.applicant, title={**YUBEI_TITLE, "employerType": "非公企业"}
    )
    c = await fill_and_submit(
        deps, people.applicant, title=ZHULI_2022_TITLE, document=ZHULI_2022_DOCUMENT
    )
    numbers = [(await _approve(deps, people.reviewer, r.public_id)).number for r in (a, b, c)]
    assert [n[:7] for n in numbers] == ["2021503", "2021503", "2021504"]
    assert [int(n[7:14]) for n in numbers] == [1, 2, 1]
    assert all(len(n) == 15 for n in numbers)


async def test_approval_is_all_or_nothing(db, deps):
    # No signing key exists: signing fails after the number was drawn.
    applicant = actor_of((await make_applicant(deps)).account)
    reviewer = actor_of(
        (
            await make_staff(
                deps,
                role=Role.REVIEWER,
                id_number="500243199212310562",
                authority_code="500112",
            )
        ).account
    )
    reg = await fill_and_submit(deps, applicant, title=YUBEI_TITLE)
    with pytest.raises(InvalidState) as caught:
        await _approve(deps, reviewer, reg.public_id)
    assert caught.value.code == "NO_SIGNING_KEY"
    assert (await Registration.get(id=reg.id)).status is RegistrationStatus.SUBMITTED
    assert await Certificate.all().count() == 0
    assert await IssuedNumber.all().count() == 0
    assert await CertificateNumberSeq.filter(last_value__gt=0).count() == 0


async def test_a_paper_number_in_use_by_another_holder_is_refused(db, deps):
    people = await make_people(deps)
    other = actor_of(
        (
            await make_applicant(
                deps, name="李四", id_number=_id("50010119900307000"), mobile="13600001111"
            )
        ).account
    )
    mine = await fill_and_submit(
        deps, people.applicant, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT
    )
    theirs = await fill_and_submit(
        deps, other, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT
    )
    await _approve(deps, people.admin, mine.public_id)
    with pytest.raises(InvalidState) as caught:
        await _approve(deps, people.admin, theirs.public_id)
    assert caught.value.code == "CERTIFICATE_NUMBER_TAKEN"
    assert (await Registration.get(id=theirs.id)).status is RegistrationStatus.SUBMITTED
    assert await Certificate.filter(registration_id=theirs.id).count() == 0


async def test_only_submitted_registrations_are_decided(db, deps):
    people = await make_people(deps)
    reg = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    await _approve(deps, people.reviewer, reg.public_id)
    for decide in (
        lambda: _approve(deps, people.reviewer, reg.public_id),
        lambda: _return(people.reviewer, reg.public_id, "PHOTO_UNCLEAR"),
    ):
        with pytest.raises(InvalidState) as caught:
            await decide()
        assert caught.value.code == "REGISTRATION_NOT_SUBMITTED"


async def test_return_needs_a_listed_reason_and_a_note_for_other(db, deps):
    people = await make_people(deps)
    reg = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    with pytest.raises(InvalidInput) as caught:
        await _return(people.reviewer, reg.public_id, "BECAUSE")
    assert caught.value.code == "RETURN_REASON_UNKNOWN"
    with pytest.raises(InvalidInput) as caught:
        await _return(people.reviewer, reg.public_id, "OTHER", "   ")
    assert caught.value.code == "RETURN_NOTE_REQUIRED"

    returned = await _return(people.reviewer, reg.public_id, "SPECIALTY_WRONG", "应为建筑工程")
    assert (returned.status, returned.return_reason_code, returned.return_note) == (
        RegistrationStatus.RETURNED,
        "SPECIALTY_WRONG",
        "应为建筑工程",
    )
    # The applicant edits and resubmits: a new round, the reason cleared on approval.
    await registrations.save_step(
        actor=people.applicant,
        registration_id=reg.public_id,
        step=Step.SPECIALTY,
        submitted={"specialty": "建筑工程"},
        catalog=await current_catalog(),
        now=NOW,
    )
    again = await registrations.submit_registration(
        actor=people.applicant,
        registration_id=reg.public_id,
        catalog=await current_catalog(),
        now=NOW,
    )
    assert again.round == 2
    await _approve(deps, people.reviewer, reg.public_id)
    done = await Registration.get(id=reg.id)
    assert (done.status, done.return_reason_code, done.return_note) == (
        RegistrationStatus.APPROVED,
        None,
        None,
    )


async def test_queue_belongs_to_the_authority_and_admins_may_narrow_it(db, deps):
    people = await make_people(deps)
    yubei = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    senior = await fill_and_submit(
        deps, people.applicant, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT
    )
    wanzhou = actor_of(
        (
            await make_staff(
                deps,
                role=Role.REVIEWER,
                id_number=_id("50010119850101001"),
                authority_code="500101",
                mobile="13900002222",
            )
        ).account
    )

    async def ids(actor, **filters):
        page = await review.review_queue(actor=actor, filters=review.QueueFilter(**filters))
        return [r.public_id for r in page.items]

    assert await ids(people.reviewer) == [yubei.public_id]
    assert await ids(wanzhou) == []
    assert await ids(people.admin) == [yubei.public_id, senior.public_id]
    assert await ids(people.admin, authority_code="MUNICIPAL") == [senior.public_id]
    # A reviewer cannot widen the queue to another authority.
    assert await ids(people.reviewer, authority_code="MUNICIPAL") == [yubei.public_id]
    with pytest.raises(NotFound):
        await review.open_registration(actor=wanzhou, registration_id=yubei.public_id)
    with pytest.raises(InvalidInput) as caught:
        await review.review_queue(actor=people.admin, filters=review.QueueFilter(), first=0)
    assert caught.value.code == "PAGE_SIZE"
