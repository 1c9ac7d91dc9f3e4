"""Real-name registration, one account per person, ID number protected at rest."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from schema.errors import Conflict, InvalidInput, RateLimited
from schema.models import Account, AuditRecord
from schema.services import accounts, otp
from schema.services.account_pii import account_birth_date, account_mobile
from tests.support.factories import (
    CLIENT_IP,
    ID_FEMALE_1992,
    ID_LEAP_DAY,
    ID_MALE_1985,
    ID_X_CHECK,
    NOW,
    PASSWORD,
    make_applicant,
    request_code,
    sent_code,
)


async def test_register_stores_id_number_only_sealed_and_hashed(db, deps):
    created = await make_applicant(deps)
    row = await Account.get(id=created.account.id)
    assert ID_MALE_1985 not in (row.id_number_cipher + row.id_number_hmac)
    assert row.id_number_masked == "5001**********0238"
    assert deps.pii.open(row.id_number_cipher) == ID_MALE_1985
    assert account_birth_date(row, deps.pii).isoformat() == "1985-03-12"
    assert row.password_hash.startswith("$argon2id$")


async def test_register_writes_audit_record_without_full_id(db, deps):
    created = await make_applicant(deps)
    audit = await AuditRecord.get(entity_id=created.account.public_id, action="account.registered")
    assert audit.after["idNumber"] == "5001**********0238"
    assert ID_MALE_1985 not in str(audit.after)


async def test_lower_case_x_is_accepted_and_normalised(db, deps):
    created = await make_applicant(deps, id_number=ID_X_CHECK.lower())
    assert created.id_number == ID_X_CHECK


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("500112198503120231", "ID_NUMBER_CHECKSUM"),
        ("500112198502300231", "ID_NUMBER_BIRTH_DATE"),
        ("50011219850312023", "ID_NUMBER_FORMAT"),
    ],
)
async def test_bad_id_number_is_refused_with_its_code(db, deps, id_number, code):
    with pytest.raises(InvalidInput) as caught:
        await make_applicant(deps, id_number=id_number)
    assert [(p.code, p.field) for p in caught.value.problems] == [(code, "idNumber")]


async def test_all_field_problems_reported_together(db, deps):
    with pytest.raises(InvalidInput) as caught:
        await accounts.register_account(
            pii=deps.pii,
            name="x",
            id_number="123",
            mobile="123",
            password="short",
            sms_code="000000",
            client_ip=CLIENT_IP,
            now=NOW,
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"name", "idNumber", "mobile", "password"}


async def test_second_account_for_same_person_is_refused(db, deps):
    await make_applicant(deps)
    with pytest.raises(Conflict) as caught:
        await make_applicant(deps, name="张三", mobile="13700000000")
    assert caught.value.code == "ACCOUNT_EXISTS"
    # The message names the two real paths: reset by SMS code, reclaim at the authority.
    assert "短信验证码" in caught.value.message and "审批机关窗口" in caught.value.message
    assert await Account.all().count() == 1


async def test_concurrent_duplicate_registrations_make_one_account(db, deps):
    results = await asyncio.gather(
        make_applicant(deps, mobile="13812341234"),
        make_applicant(deps, mobile="13912345678"),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "RegisteredAccount"]
    assert await Account.all().count() == 1


async def test_password_containing_birth_date_is_refused(db, deps):
    with pytest.raises(InvalidInput) as caught:
        await accounts.register_account(
            pii=deps.pii,
            name="王芳",
            id_number=ID_FEMALE_1992,
            mobile="13812341234",
            password="abc19921231xyz",
            sms_code=await request_code(deps, "13812341234"),
            client_ip=CLIENT_IP,
            now=NOW,
        )
    assert caught.value.problems[0].code == "PASSWORD_TOO_WEAK"


async def test_change_password_checks_old_password(db, deps):
    created = await make_applicant(deps)
    from schema.actor import Actor

    actor = Actor(created.account.id, created.account.public_id, "张三", created.account.role)
    with pytest.raises(InvalidInput) as caught:
        await accounts.change_password(
            actor=actor,
            pii=deps.pii,
            old_password="wrong-Password1",
            new_password=PASSWORD + "x",
            now=NOW,
        )
    assert caught.value.code == "WRONG_PASSWORD"


async def test_registration_needs_the_code_sent_to_that_mobile(db, deps):
    other = await request_code(deps, "13912345678")  # a code for another mobile
    for code in ("", "123456", other):
        with pytest.raises(InvalidInput) as caught:
            await _register(deps, sms_code=code)
        assert [(p.code, p.field) for p in caught.value.problems] == [
            ("SMS_CODE_INVALID", "smsCode")
        ]
    assert await Account.all().count() == 0
    created = await _register(deps, sms_code=await request_code(deps, "13812341234"))
    assert account_mobile(created.account, deps.pii) == "13812341234"


async def test_registration_attempts_are_limited_per_address(db, deps):
    limit = accounts.REGISTER_PER_ADDRESS.limit
    for n in range(limit):
        with pytest.raises(InvalidInput):
            await _register(deps, sms_code="000000", mobile=f"139{n:08d}")
    with pytest.raises(RateLimited) as caught:
        await _register(deps, sms_code=await request_code(deps, "13812341234"))
    assert caught.value.code == "REGISTER_RATE_LIMITED"
    assert await _register(
        deps, sms_code=sent_code(deps, "13812341234"), client_ip="198.51.100.1"
    )


async def test_registration_attempts_are_limited_per_mobile(db, deps):
    for n in range(accounts.REGISTER_PER_MOBILE.limit):
        with pytest.raises(InvalidInput):
            await _register(deps, sms_code="000000", client_ip=f"192.0.2.{n}")
    with pytest.raises(RateLimited) as caught:
        await _register(deps, sms_code="000000", client_ip="198.51.100.1")
    assert caught.value.code == "REGISTER_RATE_LIMITED"


async def _register(
    deps, *, sms_code: str, mobile: str = "13812341234", client_ip: str = CLIENT_IP
) -> accounts.RegisteredAccount:
    return await accounts.register_account(
        pii=deps.pii,
        name="张三",
        id_number=ID_MALE_1985,
        mobile=mobile,
        password=PASSWORD,
        sms_code=sms_code,
        client_ip=client_ip,
        now=NOW,
    )


async def test_one_mobile_binds_a_few_accounts_only(db, deps):
    """A squatter's one SIM card cannot register a crowd of ID numbers."""
    people = [ID_MALE_1985, ID_FEMALE_1992, ID_X_CHECK, ID_LEAP_DAY]
    for n, id_number in enumerate(people[: accounts.ACCOUNTS_PER_MOBILE]):
        at = NOW + n * otp.RESEND_COOLDOWN
        await make_applicant(deps, id_number=id_number, mobile="13812341234", now=at)
    with pytest.raises(Conflict) as caught:
        await make_applicant(
            deps, id_number=people[-1], mobile="13812341234", now=NOW + timedelta(hours=1)
        )
    assert (caught.value.code, caught.value.field) == ("MOBILE_ACCOUNTS_LIMIT", "mobile")
