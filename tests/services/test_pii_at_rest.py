"""Personal data at rest: a dump of the account table shows no mobile and no birth date;
accounts are found by mobile through the keyed digest; the date rules still know the
holder's birth date (read from the sealed ID number)."""

from __future__ import annotations

import pytest
from tortoise import Tortoise

from schema.enums import Role
from schema.errors import InvalidInput
from schema.models import Account
from schema.registration_form import Step
from schema.rules import mod11_2_check_char
from schema.services import registrations
from schema.services.account_pii import (
    account_birth_date,
    account_mobile,
    accounts_with_mobile,
)
from schema.services.reference import current_catalog
from tests.support.factories import ID_MALE_1985, NOW, make_applicant, make_staff
from tests.support.flows import PAPER_2015_DOCUMENT, PAPER_2015_TITLE, actor_of

STAFF_ID = "500243199212310562"
BORN_2000 = "50011220000312023" + mod11_2_check_char("50011220000312023")


async def _dump_accounts() -> str:
    """Every column of every account row, as a database dump would show it."""
    _, rows = await Tortoise.get_connection("default").execute_query("SELECT * FROM account")
    return repr([dict(r) for r in rows])


async def test_account_dump_shows_no_mobile_no_birth_date_no_id_number(db, deps):
    await make_applicant(deps, mobile="+86 138-1234-1234")
    await make_staff(deps, role=Role.ADMIN, id_number=STAFF_ID, mobile="13900001111")
    dump = await _dump_accounts()
    for clear in (
        "13812341234",
        "13900001111",
        "1985-03-12",
        "19850312",
        "1992-12-31",
        "19921231",
        ID_MALE_1985,
        STAFF_ID,
    ):
        assert clear not in dump, clear
    assert "138****1234" in dump and "139****1111" in dump  # the masked forms, for display


async def test_mobile_is_sealed_and_opens_only_through_the_helper(db, deps):
    created = await make_applicant(deps, mobile="138 1234 1234")
    row = await Account.get(id=created.account.id)
    assert row.mobile_cipher.startswith(f"v2:{deps.pii.current_kid}:")
    assert account_mobile(row, deps.pii) == "13812341234"  # stored normalised
    assert row.mobile_masked == "138****1234"
    assert row.mobile_hmac == deps.pii.mobile_lookup_hash("13812341234")


async def test_accounts_are_found_by_mobile_in_any_spelling(db, deps):
    first = await make_applicant(deps, mobile="13812341234")
    staff = await make_staff(deps, role=Role.ADMIN, id_number=STAFF_ID, mobile="13812341234")
    await make_applicant(
        deps, name="李四", id_number=BORN_2000, mobile="13600001111"
    )  # another number
    found = await accounts_with_mobile(deps.pii, "+86 138-1234-1234")
    assert [a.public_id for a in found] == [first.account.public_id, staff.account.public_id]
    assert await accounts_with_mobile(deps.pii, "13700000000") == []
    assert await accounts_with_mobile(deps.pii, "not a number") == []


async def test_birth_date_comes_from_the_sealed_id_number(db, deps):
    created = await make_applicant(deps)
    row = await Account.get(id=created.account.id)
    assert account_birth_date(row, deps.pii).isoformat() == "1985-03-12"


async def test_title_obtained_before_adulthood_is_refused_with_the_birth_date_from_the_id(db, deps):
    """Born 2000-03-12, a title obtained 2015-11-20 (aged 15) is refused: the rule still has
    the birth date, although the account table no longer stores it."""
    created = await make_applicant(deps, id_number=BORN_2000, mobile="13600001111")
    actor = actor_of(created.account)
    catalog = await current_catalog()
    reg = await registrations.create_registration(actor=actor, now=NOW)
    await registrations.save_step(
        actor=actor,
        registration_id=reg.public_id,
        step=Step.TITLE,
        submitted=PAPER_2015_TITLE,
        catalog=catalog,
        pii=deps.pii,
        now=NOW,
    )
    with pytest.raises(InvalidInput) as caught:
        await registrations.save_step(
            actor=actor,
            registration_id=reg.public_id,
            step=Step.DOCUMENT,
            submitted=PAPER_2015_DOCUMENT,
            catalog=catalog,
            pii=deps.pii,
            now=NOW,
        )
    assert [(p.code, p.field) for p in caught.value.problems] == [
        ("OBTAINED_BEFORE_ADULTHOOD", "obtainedOn")
    ]
