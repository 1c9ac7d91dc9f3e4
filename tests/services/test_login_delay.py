"""Failed logins slow an account down but never lock its owner out (both databases).

An attacker's failures make the account wait longer between attempts (0, 0, 0, 1, 2, 4 … s,
capped) and, after five, ask for a second factor; the owner still gets in with the password
and a LOGIN code sent to their mobile. An address is slowed, never blocked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from schema.enums import Role, SmsPurpose
from schema.errors import InvalidInput, RateLimited
from schema.models import AuditRecord
from schema.services import login_backoff, sessions
from schema.services.login_backoff import ACCOUNT_BACKOFF, ADDRESS_BACKOFF
from schema.totp import TotpSealer, code_at_step, step_of
from tests.support.factories import (
    ID_FEMALE_1992,
    ID_MALE_1985,
    NOW,
    PASSWORD,
    make_applicant,
    make_staff,
    request_code,
)

TTL = timedelta(hours=12)
ATTACKER = "198.51.100.66"
OWNER = "203.0.113.7"
MOBILE = "13812341234"


async def _login(
    deps,
    *,
    password: str = PASSWORD,
    ip: str = OWNER,
    now: datetime = NOW,
    second_factor: str | None = None,
    id_number: str = ID_MALE_1985,
):
    return await sessions.login(
        pii=deps.pii,
        id_number=id_number,
        password=password,
        client_ip=ip,
        user_agent="t",
        ttl=TTL,
        now=now,
        second_factor=second_factor,
    )


async def _attacker_fails(deps, account_id: int, times: int, *, start: datetime) -> datetime:
    """``times`` wrong passwords from the attacker's address, each as soon as it is allowed;
    the time after the last one."""
    now = start
    for _ in range(times):
        wait = max(
            await login_backoff.seconds_to_wait(ACCOUNT_BACKOFF, account_id, now=now),
            await login_backoff.seconds_to_wait(ADDRESS_BACKOFF, ATTACKER, now=now),
        )
        now += timedelta(seconds=wait)
        with pytest.raises(InvalidInput):  # a bogus code too: the attacker tries everything
            await _login(
                deps, password="Wrong-pass-1", ip=ATTACKER, now=now, second_factor="000000"
            )
    return now


async def test_the_delay_grows_with_failures_and_is_reset_by_success(db, deps):
    account = (await make_applicant(deps)).account
    now, waits = NOW, []
    for _ in range(4):
        with pytest.raises(InvalidInput):
            await _login(deps, password="Wrong-pass-1", now=now)
        waits.append(await login_backoff.seconds_to_wait(ACCOUNT_BACKOFF, account.id, now=now))
        now += timedelta(seconds=waits[-1])
    assert waits == [0, 0, 0, 1]
    assert [ACCOUNT_BACKOFF.delay(n).total_seconds() for n in range(1, 12)] == [
        0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60,
    ]  # fmt: skip
    assert await _login(deps, now=now)  # four failures: the right password still suffices
    assert await login_backoff.recent_failures(ACCOUNT_BACKOFF, account.id, now=now) == 0
    assert await login_backoff.seconds_to_wait(ACCOUNT_BACKOFF, account.id, now=now) == 0


async def test_an_attempt_inside_the_delay_is_refused_and_not_counted(db, deps):
    account = (await make_applicant(deps)).account
    now = await _attacker_fails(deps, account.id, 4, start=NOW)
    with pytest.raises(RateLimited) as caught:
        await _login(deps, now=now)  # even the right password must wait its turn
    assert caught.value.code == "LOGIN_DELAYED"
    assert "1秒" in caught.value.message
    assert await login_backoff.recent_failures(ACCOUNT_BACKOFF, account.id, now=now) == 4
    assert await _login(deps, now=now + timedelta(seconds=1))


async def test_attacker_cannot_lock_the_owner_out(db, deps):
    """The old lock: five wrong passwords refused even the right one for 15 minutes."""
    account = (await make_applicant(deps)).account
    now = await _attacker_fails(deps, account.id, 12, start=NOW)
    # The account now waits the longest delay after each attacker attempt, and asks for a
    # second factor: the right password alone is not enough …
    with pytest.raises(InvalidInput) as caught:
        await _login(deps, now=now)
    assert caught.value.code == "SECOND_FACTOR_REQUIRED"
    # … but with a LOGIN code sent to the owner's mobile it is, at once (no delay).
    code = await request_code(deps, MOBILE, SmsPurpose.LOGIN, now=now, client_ip=OWNER)
    issued = await _login(deps, now=now, second_factor=code)
    assert issued.account.id == account.id
    assert await login_backoff.recent_failures(ACCOUNT_BACKOFF, account.id, now=now) == 0
    audit = await AuditRecord.filter(action="session.login").order_by("-id").first()
    assert audit is not None and audit.after["secondFactor"] is True


async def test_without_the_code_a_wrong_and_a_right_password_answer_alike(db, deps):
    """Once a second factor is needed, guessing the password teaches the attacker nothing."""
    account = (await make_applicant(deps)).account
    now = await _attacker_fails(deps, account.id, 5, start=NOW)
    answers = []
    for password in ("Wrong-pass-1", PASSWORD):
        with pytest.raises(InvalidInput) as caught:
            await _login(deps, password=password, ip=ATTACKER, now=now)
        answers.append((caught.value.code, caught.value.message))
    assert answers[0] == answers[1] and answers[0][0] == "SECOND_FACTOR_REQUIRED"


async def test_a_wrong_code_is_a_failure_and_the_code_is_single_use(db, deps):
    account = (await make_applicant(deps)).account
    now = await _attacker_fails(deps, account.id, 5, start=NOW)
    code = await request_code(deps, MOBILE, SmsPurpose.LOGIN, now=now, client_ip=OWNER)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidInput) as caught:
        await _login(deps, now=now, second_factor=wrong)
    assert caught.value.code == "INVALID_CREDENTIALS"
    assert await _login(deps, now=now, second_factor=code)
    # The code is spent; and the success reset the failures, so no factor is asked again.
    assert await _login(deps, now=now, second_factor=code)
    assert not await sessions.second_factor_required(account, now=now)


async def test_a_code_of_another_purpose_is_no_second_factor(db, deps):
    account = (await make_applicant(deps)).account
    now = await _attacker_fails(deps, account.id, 5, start=NOW)
    reset_code = await request_code(
        deps, MOBILE, SmsPurpose.RESET_PASSWORD, now=now, client_ip=OWNER
    )
    with pytest.raises(InvalidInput) as caught:
        await _login(deps, now=now, second_factor=reset_code)
    assert caught.value.code == "INVALID_CREDENTIALS"


async def test_failures_are_forgotten_after_a_quiet_day(db, deps):
    account = (await make_applicant(deps)).account
    now = await _attacker_fails(deps, account.id, 6, start=NOW)
    assert await sessions.second_factor_required(account, now=now)
    later = now + ACCOUNT_BACKOFF.forget_after
    assert not await sessions.second_factor_required(account, now=later)
    assert await _login(deps, now=later)


async def test_an_address_is_slowed_never_blocked(db, deps):
    """Many failures from one address (a NAT): the next attempt waits at most the cap, and
    someone else's right password from that address then succeeds."""
    await make_applicant(deps)
    now = NOW
    for _ in range(40):  # unknown ID numbers: only the address counts
        now += timedelta(
            seconds=await login_backoff.seconds_to_wait(ADDRESS_BACKOFF, ATTACKER, now=now)
        )
        with pytest.raises(InvalidInput):
            await _login(deps, id_number=ID_FEMALE_1992, password="x-Wrong-1", ip=ATTACKER, now=now)
    wait = await login_backoff.seconds_to_wait(ADDRESS_BACKOFF, ATTACKER, now=now)
    assert 0 < wait <= ADDRESS_BACKOFF.cap.total_seconds()
    with pytest.raises(RateLimited) as caught:
        await _login(deps, ip=ATTACKER, now=now)
    assert caught.value.code == "LOGIN_DELAYED"
    assert await _login(deps, ip=ATTACKER, now=now + timedelta(seconds=wait))
    assert await _login(deps, ip="192.0.2.200", now=now)  # another address was never slowed


async def test_a_staff_owner_gets_in_with_password_and_totp_while_someone_guesses(db, deps):
    """Staff always send a TOTP code; a valid one lifts the account's delay that an attacker's
    wrong passwords built up, as the SMS code does for applicants."""
    staff = (await make_staff(deps, role=Role.ADMIN, id_number=ID_FEMALE_1992)).account
    secret = TotpSealer(deps.pii).open(staff.totp_secret_cipher or "")
    now = NOW + timedelta(minutes=5)  # after the enrolment's step
    for _ in range(8):
        now += timedelta(
            seconds=await login_backoff.seconds_to_wait(ACCOUNT_BACKOFF, staff.id, now=now)
        )
        with pytest.raises(InvalidInput):
            await _login(
                deps, id_number=ID_FEMALE_1992, password="Wrong-pass-1", ip=ATTACKER, now=now
            )
    assert await login_backoff.seconds_to_wait(ACCOUNT_BACKOFF, staff.id, now=now) > 0
    assert not await sessions.second_factor_required(staff, now=now)  # TOTP is always asked

    def owner(code: str | None):
        return sessions.login(
            pii=deps.pii,
            id_number=ID_FEMALE_1992,
            password=PASSWORD,
            client_ip=OWNER,
            user_agent="t",
            ttl=TTL,
            now=now,
            totp_code=code,
            totp=TotpSealer(deps.pii),
        )

    with pytest.raises(RateLimited) as caught:  # the password alone waits out the delay
        await owner(None)
    assert caught.value.code == "LOGIN_DELAYED"
    issued = await owner(code_at_step(secret, step_of(now)))
    assert isinstance(issued, sessions.IssuedSession)
