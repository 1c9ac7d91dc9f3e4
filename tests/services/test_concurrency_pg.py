"""Races, on PostgreSQL only: SQLite serialises writers and ignores ``select_for_update``, so
only PostgreSQL can show that the unique keys and the row locks do their job."""

from __future__ import annotations

import asyncio

import pytest

from schema.errors import Conflict
from schema.models import Registration, RegistrationKey, RegistrationStatus
from schema.services import review
from schema.services.reference import current_catalog
from tests.support.factories import NOW
from tests.support.flows import (
    PAPER_2015_DOCUMENT,
    PAPER_2015_TITLE,
    YUBEI_TITLE,
    fill_and_submit,
    make_people,
)

pytestmark = pytest.mark.pg_only

SPECIALTIES = ("给排水", "建筑工程", "市政工程", "结构工程", "暖通空调", "工程造价", "测绘", "地质")


async def test_two_identical_submissions_at_the_same_moment_make_one_record(db, deps):
    people = await make_people(deps)
    results = await asyncio.gather(
        *(
            fill_and_submit(
                deps, people.applicant, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT
            )
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    done = [r for r in results if isinstance(r, Registration)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert (len(done), len(refused)) == (1, 1), f"expected one record and one refusal: {results}"
    assert isinstance(refused[0], Conflict), f"refused with {refused[0]!r}, not the duplicate"
    assert (refused[0].code, refused[0].ref) == ("SCOPE_ALREADY_REGISTERED", done[0].public_id)
    assert await Registration.filter(certificate_number="011320150042").count() == 1
    assert await Registration.filter(status=RegistrationStatus.SUBMITTED).count() == 1
    assert await RegistrationKey.filter(key="N:011320150042").count() == 1
    assert not await Registration.filter(status=RegistrationStatus.DRAFT).exists(), (
        "the losing submission left an orphan draft"
    )


async def test_concurrent_approvals_draw_distinct_consecutive_numbers(db, deps):
    people = await make_people(deps)
    catalog = await current_catalog()
    regs = [
        await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE, specialty={"specialty": s})
        for s in SPECIALTIES
    ]
    certs = await asyncio.gather(
        *(
            review.approve_registration(
                actor=people.reviewer,
                registration_id=r.public_id,
                issuer=deps.issuer,
                catalog=catalog,
                now=NOW,
            )
            for r in regs
        ),
        return_exceptions=True,
    )
    failed = [c for c in certs if isinstance(c, BaseException)]
    assert not failed, f"concurrent approvals refused: {failed!r}"
    numbers = sorted(c.number for c in certs)  # type: ignore[union-attr]
    assert all(n.startswith("2021503") and len(n) == 15 for n in numbers), numbers
    assert [int(n[7:14]) for n in numbers] == list(range(1, len(regs) + 1)), numbers
    approved = await Registration.filter(status=RegistrationStatus.APPROVED).count()
    assert approved == len(regs)


async def test_twenty_concurrent_writers_make_one_unbroken_audit_chain(db, deps):
    """Each use case writes its audit rows inside its transaction, with other work between
    them: without the head lock two would read the same head and fork the chain."""
    from tortoise.transactions import in_transaction

    from schema.enums import AuditAction
    from schema.models import AuditRecord
    from schema.services.audit import write_audit
    from schema.services.audit_verify import verify_chain

    async def use_case(i: int) -> None:
        async with in_transaction() as conn:
            for step in range(2):
                await write_audit(
                    actor=None,
                    action=AuditAction.REGISTRATION_IMPORTED,
                    entity_type="registration",
                    entity_id=f"c{i}",
                    now=NOW,
                    after={"step": step},
                    using_db=conn,
                )
                await asyncio.sleep(0.01)

    before = await AuditRecord.all().count()
    results = await asyncio.gather(*(use_case(i) for i in range(20)), return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    records = await AuditRecord.all().order_by("seq")
    assert len(records) == before + 40
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    # A use case's two rows stay together: the second waits for nobody else's.
    mine = [r.entity_id for r in records[before:]]
    assert all(mine[k] == mine[k + 1] for k in range(0, 40, 2)), mine
    report = await verify_chain()
    assert report.problem is None, report.problem.line()
