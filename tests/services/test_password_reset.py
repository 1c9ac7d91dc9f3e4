"""Forgotten password: a RESET_PASSWORD code sent to the account's mobile sets a new one;
every session is revoked; a wrong ID number, mobile or code all answer alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.enums import SmsPurpose
from schema.errors import InvalidInput, RateLimited
from schema.models import AuditRecord
from schema.services import accounts, login_backoff, sessions
from schema.services.login_backoff import ACCOUNT_BACKOFF
from tests.support.factories import (
    ID_FEMALE_1992,
    ID_MALE_1985,
    NOW,
    PASSWORD,
    make_applicant,
    request_code,
)

MOBILE = "13812341234"
NEW_PASSWORD = "Another-Pass-2027"


async def _reset(deps, code: str, *, id_number=ID_MALE_1985, mobile=MOBILE, password=NEW_PASSWORD):
    return await accounts.reset_password(
        pii=deps.pii,
        id_number=id_number,
        mobile=mobile,
        code=code,
        new_password=password,
        client_ip="192.0.2.1",
        now=NOW,
    )


async def _login(deps, password: str):
    return await sessions.login(
        pii=deps.pii,
        id_number=ID_MALE_1985,
        password=password,
        client_ip="192.0.2.1",
        user_agent=None,
        ttl=timedelta(hours=1),
        now=NOW,
    )


async def test_reset_sets_the_password_and_revokes_every_session(db, deps):
    await make_applicant(deps)
    old = await _login(deps, PASSWORD)
    code = await request_code(deps, MOBILE, SmsPurpose.RESET_PASSWORD)
    assert await _reset(deps, code) == 1
    assert await sessions.authenticate(old.token, now=NOW) is None
    with pytest.raises(InvalidInput):
        await _login(deps, PASSWORD)
    assert await _login(deps, NEW_PASSWORD)
    audit = await AuditRecord.get(action="account.password_reset")
    assert audit.after["sessionsRevoked"] == 1 and audit.actor_id is None


async def test_reset_clears_the_failed_logins(db, deps):
    account = (await make_applicant(deps)).account
    for _ in range(3):
        with pytest.raises(InvalidInput):
            await _login(deps, "Wrong-pass-1")
    await _reset(deps, await request_code(deps, MOBILE, SmsPurpose.RESET_PASSWORD))
    assert await login_backoff.recent_failures(ACCOUNT_BACKOFF, account.id, now=NOW) == 0


@pytest.mark.parametrize("wrong", ["id_number", "mobile", "code"])
async def test_a_wrong_part_answers_like_any_other(db, deps, wrong):
    await make_applicant(deps)
    await make_applicant(deps, id_number=ID_FEMALE_1992, name="王芳", mobile="13912345678")
    code = await request_code(deps, MOBILE, SmsPurpose.RESET_PASSWORD)
    given = {"id_number": ID_MALE_1985, "mobile": MOBILE, "code": code}
    given[wrong] = {
        "id_number": ID_FEMALE_1992,  # another account, whose mobile is not this one
        "mobile": "13912345678",  # another account's mobile (no code was sent to it)
        "code": f"{(int(code) + 1) % 1_000_000:06d}",
    }[wrong]
    with pytest.raises(InvalidInput) as caught:
        await _reset(deps, given["code"], id_number=given["id_number"], mobile=given["mobile"])
    assert [(p.code, p.message) for p in caught.value.problems] == [
        ("RESET_REFUSED", "身份证号码、手机号码或短信验证码不正确，或验证码已失效")
    ]
    assert await _login(deps, PASSWORD)  # nothing changed


async def test_a_code_for_registration_does_not_reset(db, deps):
    await make_applicant(deps)
    code = await request_code(deps, MOBILE, SmsPurpose.REGISTER, now=NOW + timedelta(minutes=2))
    with pytest.raises(InvalidInput):
        await _reset(deps, code)


async def test_a_weak_new_password_is_refused_before_the_code_is_spent(db, deps):
    await make_applicant(deps)
    code = await request_code(deps, MOBILE, SmsPurpose.RESET_PASSWORD)
    with pytest.raises(InvalidInput) as caught:
        await _reset(deps, code, password="short")
    assert caught.value.problems[0].field == "newPassword"
    assert await _reset(deps, code) == 0


async def test_reset_attempts_per_address_are_limited(db, deps):
    for _ in range(accounts.RESET_PER_ADDRESS.limit):
        with pytest.raises(InvalidInput):
            await _reset(deps, "123456")
    with pytest.raises(RateLimited) as caught:
        await _reset(deps, "123456")
    assert caught.value.code == "RESET_RATE_LIMITED"
