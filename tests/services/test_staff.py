"""Staff second factor (TOTP) and staff administration, through the services on both
databases. Codes are computed with pyotp from the secret enrolment handed out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pyotp
import pytest

from schema.actor import SYSTEM, Actor
from schema.enums import AuditAction, Role
from schema.errors import Forbidden, InvalidInput, InvalidState, NotFound
from schema.models import Account, AuditRecord, Session
from schema.services import sessions, staff
from schema.services.reference import authority_codes
from schema.totp import STEP_SECONDS, step_of
from tests.support.factories import (
    ID_FEMALE_1992,
    ID_LEAP_DAY,
    ID_MALE_1985,
    ID_X_CHECK,
    NOW,
    PASSWORD,
    make_applicant,
    make_staff,
)
from tests.support.flows import actor_of
from tests.support.totp import enrol_totp, sealer

TTL = timedelta(hours=12)
STEP = timedelta(seconds=STEP_SECONDS)


def _code(secret: str, at: datetime) -> str:
    """What an authenticator app shows at ``at`` (pyotp, independent of schema.totp)."""
    return pyotp.TOTP(secret).at(at)


async def _login(deps: Any, id_number: str, *, code: str | None = None, now: datetime = NOW):
    return await sessions.login(
        pii=deps.pii,
        id_number=id_number,
        password=PASSWORD,
        client_ip="203.0.113.7",
        user_agent="t",
        ttl=TTL,
        now=now,
        totp_code=code,
        totp=sealer(deps),
    )


async def _unenrolled(deps: Any, role: Role = Role.SIGNER, id_number: str = ID_X_CHECK) -> Account:
    return (await make_staff(deps, role=role, id_number=id_number, enrol=False)).account


async def _enrolled(deps: Any, role: Role = Role.SIGNER, id_number: str = ID_X_CHECK):
    account = await _unenrolled(deps, role, id_number)
    secret = await enrol_totp(deps, account, now=NOW)
    return account, secret


# --------------------------------------------------------------------------- enrolment


async def test_staff_without_totp_gets_an_enrolment_ticket_and_no_session(db, deps):
    account = await _unenrolled(deps)
    answer = await _login(deps, ID_X_CHECK)
    assert isinstance(answer, staff.EnrolmentRequired)
    assert answer.expires_at == NOW + staff.ENROLMENT_TTL
    assert await Session.filter(account_id=account.id).count() == 0
    assert await sessions.authenticate(answer.token, now=NOW) is None  # not a session token


async def test_enrolment_gives_a_provisioning_uri_and_confirming_enables_totp(db, deps):
    account = await _unenrolled(deps)
    ticket = await _login(deps, ID_X_CHECK)
    assert isinstance(ticket, staff.EnrolmentRequired)
    enrolment = await staff.begin_enrolment(token=ticket.token, sealer=sealer(deps), now=NOW)
    parsed = pyotp.parse_uri(enrolment.provisioning_uri)
    assert (parsed.secret, parsed.issuer) == (enrolment.secret, "ecert")
    assert enrolment.qr_svg.startswith("<svg")
    confirmed = await staff.confirm_enrolment(
        token=ticket.token, code=_code(enrolment.secret, NOW), sealer=sealer(deps), now=NOW
    )
    assert confirmed.totp_enabled_at == NOW
    await account.refresh_from_db()
    assert account.totp_enabled_at == NOW and account.totp_enrolment_hash is None


async def test_the_secret_is_sealed_at_rest_with_its_own_associated_data(db, deps):
    account, secret = await _enrolled(deps)
    await account.refresh_from_db()
    assert account.totp_secret_cipher and secret not in account.totp_secret_cipher
    assert sealer(deps).open(account.totp_secret_cipher) == secret
    with pytest.raises(ValueError):
        deps.pii.open("v1:" + account.totp_secret_cipher.removeprefix("t1:"))


async def test_a_wrong_confirmation_code_enables_nothing(db, deps):
    account = await _unenrolled(deps)
    ticket = await _login(deps, ID_X_CHECK)
    assert isinstance(ticket, staff.EnrolmentRequired)
    enrolment = await staff.begin_enrolment(token=ticket.token, sealer=sealer(deps), now=NOW)
    wrong = _code(enrolment.secret, NOW + 5 * STEP)
    with pytest.raises(staff.SecondFactorInvalid) as caught:
        await staff.confirm_enrolment(token=ticket.token, code=wrong, sealer=sealer(deps), now=NOW)
    assert caught.value.code == "TOTP_INVALID"
    await account.refresh_from_db()
    assert account.totp_enabled_at is None


async def test_confirming_before_beginning_is_refused(db, deps):
    await _unenrolled(deps)
    ticket = await _login(deps, ID_X_CHECK)
    assert isinstance(ticket, staff.EnrolmentRequired)
    with pytest.raises(InvalidState) as caught:
        await staff.confirm_enrolment(
            token=ticket.token, code="123456", sealer=sealer(deps), now=NOW
        )
    assert caught.value.code == "TOTP_ENROLMENT_NOT_BEGUN"


async def test_beginning_again_replaces_the_secret(db, deps):
    await _unenrolled(deps)
    ticket = await _login(deps, ID_X_CHECK)
    assert isinstance(ticket, staff.EnrolmentRequired)
    first = await staff.begin_enrolment(token=ticket.token, sealer=sealer(deps), now=NOW)
    second = await staff.begin_enrolment(token=ticket.token, sealer=sealer(deps), now=NOW)
    assert first.secret != second.secret
    with pytest.raises(staff.SecondFactorInvalid):
        await staff.confirm_enrolment(
            token=ticket.token, code=_code(first.secret, NOW), sealer=sealer(deps), now=NOW
        )


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: token[:-2] + "xx", id="altered"),
        pytest.param(lambda token: "nobody." + token.partition(".")[2], id="other-account"),
        pytest.param(lambda token: "", id="empty"),
    ],
)
async def test_a_wrong_enrolment_token_is_refused(db, deps, tamper):
    await _unenrolled(deps)
    ticket = await _login(deps, ID_X_CHECK)
    assert isinstance(ticket, staff.EnrolmentRequired)
    with pytest.raises(InvalidInput) as caught:
        await staff.begin_enrolment(token=tamper(ticket.token), sealer=sealer(deps), now=NOW)
    assert caught.value.code == "ENROLMENT_TOKEN_INVALID"


async def test_the_enrolment_token_expires(db, deps):
    await _unenrolled(deps)
    ticket = await _login(deps, ID_X_CHECK)
    assert isinstance(ticket, staff.EnrolmentRequired)
    with pytest.raises(InvalidInput) as caught:
        await staff.begin_enrolment(token=ticket.token, sealer=sealer(deps), now=ticket.expires_at)
    assert caught.value.code == "ENROLMENT_TOKEN_INVALID"


async def test_the_enrolment_token_is_used_up_by_confirmation(db, deps):
    await _unenrolled(deps)
    ticket = await _login(deps, ID_X_CHECK)
    assert isinstance(ticket, staff.EnrolmentRequired)
    enrolment = await staff.begin_enrolment(token=ticket.token, sealer=sealer(deps), now=NOW)
    await staff.confirm_enrolment(
        token=ticket.token, code=_code(enrolment.secret, NOW), sealer=sealer(deps), now=NOW
    )
    with pytest.raises(InvalidInput) as caught:
        await staff.begin_enrolment(token=ticket.token, sealer=sealer(deps), now=NOW)
    assert caught.value.code == "ENROLMENT_TOKEN_INVALID"


async def test_enrolment_steps_are_audited(db, deps):
    account, _ = await _enrolled(deps)
    actions = await AuditRecord.filter(entity_id=account.public_id).values_list("action", flat=True)
    assert [a for a in actions if "totp" in a] == [
        AuditAction.TOTP_ENROLMENT_REQUIRED.value,
        AuditAction.TOTP_ENROLMENT_BEGUN.value,
        AuditAction.TOTP_ENABLED.value,
    ]


# --------------------------------------------------------------------------- login


async def test_an_enrolled_staff_login_needs_the_code(db, deps):
    await _enrolled(deps)
    with pytest.raises(InvalidInput) as caught:
        await _login(deps, ID_X_CHECK, now=NOW + STEP)
    assert (caught.value.code, caught.value.field) == ("TOTP_REQUIRED", "totpCode")


async def test_an_enrolled_staff_logs_in_with_password_and_code(db, deps):
    account, secret = await _enrolled(deps)
    later = NOW + 2 * STEP
    issued = await _login(deps, ID_X_CHECK, code=_code(secret, later), now=later)
    assert isinstance(issued, sessions.IssuedSession)
    found = await sessions.authenticate(issued.token, now=later)
    assert found is not None and found[0].account_id == account.id


async def test_a_wrong_code_is_refused_and_counted_as_a_failed_login(db, deps):
    account, secret = await _enrolled(deps)
    later = NOW + 2 * STEP
    with pytest.raises(staff.SecondFactorInvalid) as caught:
        await _login(deps, ID_X_CHECK, code=_code(secret, later + 10 * STEP), now=later)
    assert caught.value.code == "TOTP_INVALID"
    assert await Session.filter(account_id=account.id).count() == 0
    assert await AuditRecord.exists(
        action=AuditAction.LOGIN_FAILED.value, entity_id=account.public_id
    )


async def test_a_code_is_never_accepted_twice(db, deps):
    _, secret = await _enrolled(deps)
    later = NOW + 2 * STEP
    assert await _login(deps, ID_X_CHECK, code=_code(secret, later), now=later)
    with pytest.raises(staff.SecondFactorInvalid):
        await _login(deps, ID_X_CHECK, code=_code(secret, later), now=later + STEP)


async def test_an_older_code_after_a_newer_one_is_refused(db, deps):
    _, secret = await _enrolled(deps)
    later = NOW + 4 * STEP
    assert await _login(deps, ID_X_CHECK, code=_code(secret, later), now=later)
    with pytest.raises(staff.SecondFactorInvalid):
        await _login(deps, ID_X_CHECK, code=_code(secret, later - STEP), now=later)


async def test_the_confirmation_code_does_not_log_in(db, deps):
    _, secret = await _enrolled(deps)  # confirmed with the code of NOW
    with pytest.raises(staff.SecondFactorInvalid):
        await _login(deps, ID_X_CHECK, code=_code(secret, NOW), now=NOW)


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (1, True), (2, False)])
async def test_codes_one_step_either_side_are_accepted(db, deps, offset, accepted):
    _, secret = await _enrolled(deps)
    later = NOW + 10 * STEP
    code = _code(secret, later + offset * STEP)
    if accepted:
        assert await _login(deps, ID_X_CHECK, code=code, now=later)
    else:
        with pytest.raises(staff.SecondFactorInvalid):
            await _login(deps, ID_X_CHECK, code=code, now=later)


async def test_a_code_with_a_space_is_accepted(db, deps):
    _, secret = await _enrolled(deps)
    later = NOW + 2 * STEP
    code = _code(secret, later)
    assert await _login(deps, ID_X_CHECK, code=f"{code[:3]} {code[3:]}", now=later)


async def test_the_wrong_password_is_refused_before_the_code_is_looked_at(db, deps):
    account, secret = await _enrolled(deps)
    later = NOW + 2 * STEP
    with pytest.raises(InvalidInput) as caught:
        await sessions.login(
            pii=deps.pii,
            id_number=ID_X_CHECK,
            password="Wrong-Pass-2026",
            client_ip="203.0.113.7",
            user_agent=None,
            ttl=TTL,
            now=later,
            totp_code=_code(secret, later),
            totp=sealer(deps),
        )
    assert caught.value.code == "INVALID_CREDENTIALS"
    await account.refresh_from_db()
    assert account.totp_last_step == step_of(NOW)  # the code was not used up


async def test_applicants_log_in_without_a_code(db, deps):
    await make_applicant(deps)
    assert isinstance(await _login(deps, ID_MALE_1985), sessions.IssuedSession)


async def test_a_staff_session_without_totp_does_not_authenticate(db, deps):
    """A session row of a staff account without TOTP (opened before the second factor
    existed) is refused, whatever its expiry."""
    account = await _unenrolled(deps)
    await Session.create(
        token_hash=sessions.token_digest("old-token"),
        csrf_hash="x",
        account=account,
        created_at=NOW,
        expires_at=NOW + TTL,
    )
    assert await sessions.authenticate("old-token", now=NOW) is None


# --------------------------------------------------------------------------- administration


async def _admin(deps: Any, id_number: str = ID_LEAP_DAY) -> Actor:
    created = await make_staff(deps, role=Role.ADMIN, id_number=id_number, name="王管理")
    return actor_of(created.account)


async def _reviewer(deps: Any) -> Account:
    created = await make_staff(
        deps, role=Role.REVIEWER, id_number=ID_FEMALE_1992, authority_code="500112"
    )
    return created.account


async def _signer_session(deps: Any, secret: str) -> str:
    """A session of the enrolled signer (ID_X_CHECK): its token."""
    later = NOW + 2 * STEP
    issued = await _login(deps, ID_X_CHECK, code=_code(secret, later), now=later)
    assert isinstance(issued, sessions.IssuedSession)
    return issued.token


async def test_the_staff_list_shows_staff_only_with_filters(db, deps):
    admin = await _admin(deps)
    reviewer = await _reviewer(deps)
    await make_applicant(deps)
    signer, _ = await _enrolled(deps)
    everyone = await staff.list_staff(
        actor=admin, role=None, authority_code=None, active=None, first=10, after=None
    )
    assert [a.public_id for a in everyone.items] == [
        admin.public_id,
        reviewer.public_id,
        signer.public_id,
    ]
    reviewers = await staff.list_staff(
        actor=admin, role=Role.REVIEWER, authority_code="500112", active=True, first=10, after=None
    )
    assert [a.public_id for a in reviewers.items] == [reviewer.public_id]
    none = await staff.list_staff(
        actor=admin, role=None, authority_code="500101", active=None, first=10, after=None
    )
    assert none.items == []


async def test_the_staff_list_pages(db, deps):
    admin = await _admin(deps)
    await _reviewer(deps)
    first = await staff.list_staff(
        actor=admin, role=None, authority_code=None, active=None, first=1, after=None
    )
    rest = await staff.list_staff(
        actor=admin, role=None, authority_code=None, active=None, first=1, after=first.end_cursor
    )
    assert first.has_next_page and not rest.has_next_page
    assert rest.items[0].public_id != first.items[0].public_id


async def test_deactivation_revokes_sessions_and_is_audited(db, deps):
    admin = await _admin(deps)
    signer, secret = await _enrolled(deps)
    token = await _signer_session(deps, secret)
    account, revoked = await staff.deactivate_staff(
        actor=admin, account_id=signer.public_id, reason="  调离岗位  ", now=NOW
    )
    assert (account.is_active, revoked) == (False, 1)
    assert await sessions.authenticate(token, now=NOW + 3 * STEP) is None
    record = await AuditRecord.get(
        action=AuditAction.STAFF_DEACTIVATED.value, entity_id=signer.public_id
    )
    assert (record.actor_id, record.note, record.after) == (
        admin.account_id,
        "调离岗位",
        {"active": False, "sessionsRevoked": 1},
    )


async def test_a_deactivated_staff_cannot_log_in(db, deps):
    admin = await _admin(deps)
    signer, secret = await _enrolled(deps)
    await staff.deactivate_staff(actor=admin, account_id=signer.public_id, reason="离职", now=NOW)
    later = NOW + 2 * STEP
    with pytest.raises(InvalidInput) as caught:
        await _login(deps, ID_X_CHECK, code=_code(secret, later), now=later)
    assert caught.value.code == "INVALID_CREDENTIALS"


async def test_an_admin_cannot_deactivate_themselves(db, deps):
    admin = await _admin(deps)
    await _admin(deps, ID_FEMALE_1992)
    with pytest.raises(InvalidState) as caught:
        await staff.deactivate_staff(
            actor=admin, account_id=admin.public_id, reason="测试", now=NOW
        )
    assert caught.value.code == "STAFF_SELF_DEACTIVATION"


async def test_the_last_active_admin_cannot_be_deactivated(db, deps):
    admin = await _admin(deps)
    other = await _admin(deps, ID_FEMALE_1992)
    await staff.deactivate_staff(actor=admin, account_id=other.public_id, reason="离职", now=NOW)
    # The command line (acting as the system) is the only one left who could try.
    with pytest.raises(InvalidState) as caught:
        await staff.deactivate_staff(
            actor=SYSTEM, account_id=admin.public_id, reason="离职", now=NOW
        )
    assert caught.value.code == "STAFF_LAST_ADMIN"


async def test_another_admin_can_be_deactivated_while_one_remains(db, deps):
    admin = await _admin(deps)
    other = await _admin(deps, ID_FEMALE_1992)
    account, _ = await staff.deactivate_staff(
        actor=admin, account_id=other.public_id, reason="离职", now=NOW
    )
    assert not account.is_active


async def test_deactivation_needs_a_reason(db, deps):
    admin = await _admin(deps)
    signer, _ = await _enrolled(deps)
    with pytest.raises(InvalidInput) as caught:
        await staff.deactivate_staff(actor=admin, account_id=signer.public_id, reason=" ", now=NOW)
    assert (caught.value.code, caught.value.field) == ("STAFF_REASON_REQUIRED", "reason")


async def test_an_applicant_is_no_staff_account(db, deps):
    admin = await _admin(deps)
    applicant = (await make_applicant(deps)).account
    with pytest.raises(NotFound) as caught:
        await staff.deactivate_staff(
            actor=admin, account_id=applicant.public_id, reason="测试", now=NOW
        )
    assert caught.value.code == "STAFF_NOT_FOUND"


async def test_reactivation(db, deps):
    admin = await _admin(deps)
    signer, _ = await _enrolled(deps)
    with pytest.raises(InvalidState) as caught:
        await staff.reactivate_staff(actor=admin, account_id=signer.public_id, now=NOW)
    assert caught.value.code == "STAFF_ALREADY_ACTIVE"
    await staff.deactivate_staff(actor=admin, account_id=signer.public_id, reason="休假", now=NOW)
    account = await staff.reactivate_staff(actor=admin, account_id=signer.public_id, now=NOW)
    assert account.is_active and account.totp_enabled_at is not None
    assert await AuditRecord.exists(
        action=AuditAction.STAFF_REACTIVATED.value, entity_id=signer.public_id
    )


async def test_a_reviewer_moves_to_another_authority(db, deps):
    admin = await _admin(deps)
    reviewer = await _reviewer(deps)
    account = await staff.change_staff_authority(
        actor=admin,
        account_id=reviewer.public_id,
        authority_code="500101",
        known_authorities=await authority_codes(),
        now=NOW,
    )
    assert account.authority_code == "500101"
    record = await AuditRecord.get(
        action=AuditAction.STAFF_AUTHORITY_CHANGED.value, entity_id=reviewer.public_id
    )
    assert (record.before, record.after) == ({"authority": "500112"}, {"authority": "500101"})


@pytest.mark.parametrize(
    ("code", "error"),
    [("999999", "AUTHORITY_UNKNOWN"), ("500112", "AUTHORITY_UNCHANGED")],
)
async def test_an_authority_change_needs_a_new_known_authority(db, deps, code, error):
    admin = await _admin(deps)
    reviewer = await _reviewer(deps)
    with pytest.raises((InvalidInput, InvalidState)) as caught:
        await staff.change_staff_authority(
            actor=admin,
            account_id=reviewer.public_id,
            authority_code=code,
            known_authorities=await authority_codes(),
            now=NOW,
        )
    assert caught.value.code == error


async def test_only_reviewers_have_an_authority(db, deps):
    admin = await _admin(deps)
    signer, _ = await _enrolled(deps)
    with pytest.raises(InvalidState) as caught:
        await staff.change_staff_authority(
            actor=admin,
            account_id=signer.public_id,
            authority_code="500101",
            known_authorities=await authority_codes(),
            now=NOW,
        )
    assert caught.value.code == "STAFF_NOT_REVIEWER"


async def test_a_totp_reset_closes_sessions_and_asks_for_enrolment_again(db, deps):
    admin = await _admin(deps)
    signer, secret = await _enrolled(deps)
    token = await _signer_session(deps, secret)
    account, revoked = await staff.reset_staff_totp(
        actor=admin, account_id=signer.public_id, now=NOW + 3 * STEP
    )
    assert (account.totp_enabled_at, account.totp_secret_cipher, revoked) == (None, None, 1)
    assert await sessions.authenticate(token, now=NOW + 3 * STEP) is None
    answer = await _login(deps, ID_X_CHECK, now=NOW + 4 * STEP)
    assert isinstance(answer, staff.EnrolmentRequired)
    assert await AuditRecord.exists(action=AuditAction.TOTP_RESET.value, entity_id=signer.public_id)


def _admin_operations(target: str) -> list[Callable[[Actor], Awaitable[Any]]]:
    async def known() -> frozenset[str]:
        return await authority_codes()

    async def change(actor: Actor) -> Any:
        return await staff.change_staff_authority(
            actor=actor,
            account_id=target,
            authority_code="500101",
            known_authorities=await known(),
            now=NOW,
        )

    return [
        lambda actor: staff.list_staff(
            actor=actor, role=None, authority_code=None, active=None, first=10, after=None
        ),
        lambda actor: staff.deactivate_staff(actor=actor, account_id=target, reason="x", now=NOW),
        lambda actor: staff.reactivate_staff(actor=actor, account_id=target, now=NOW),
        change,
        lambda actor: staff.reset_staff_totp(actor=actor, account_id=target, now=NOW),
    ]


@pytest.mark.parametrize("operation", range(5))
async def test_only_admins_administer_staff(db, deps, operation):
    reviewer = await _reviewer(deps)
    signer, _ = await _enrolled(deps)
    call = _admin_operations(reviewer.public_id)[operation]
    for actor in (actor_of(reviewer), actor_of(signer)):
        with pytest.raises(Forbidden) as caught:
            await call(actor)
        assert caught.value.message == staff.ADMIN_ONLY


# --------------------------------------------------------------------------- races (PostgreSQL)


@pytest.mark.pg_only
async def test_two_logins_with_one_code_at_the_same_moment_open_one_session(db, deps):
    account, secret = await _enrolled(deps)
    later = NOW + 2 * STEP
    results = await asyncio.gather(
        *(_login(deps, ID_X_CHECK, code=_code(secret, later), now=later) for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["IssuedSession", "SecondFactorInvalid"]
    assert await Session.filter(account_id=account.id).count() == 1


@pytest.mark.pg_only
async def test_two_admins_deactivating_each_other_leave_one_active(db, deps):
    first = await _admin(deps)
    second = await _admin(deps, ID_FEMALE_1992)
    results = await asyncio.gather(
        staff.deactivate_staff(actor=first, account_id=second.public_id, reason="x", now=NOW),
        staff.deactivate_staff(actor=second, account_id=first.public_id, reason="x", now=NOW),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, InvalidState)]
    assert [r.code for r in refused] == ["STAFF_LAST_ADMIN"]
    assert await Account.filter(role=Role.ADMIN, is_active=True).count() == 1


@pytest.mark.parametrize("account_id", ["\x00", "a" * 40, "no such id"])
async def test_an_impossible_account_id_is_a_missing_staff_account(db, deps, account_id):
    admin = await _admin(deps)
    with pytest.raises(NotFound):
        await staff.reset_staff_totp(actor=admin, account_id=account_id, now=NOW)
    with pytest.raises(InvalidInput):
        await staff.begin_enrolment(token=account_id + ".x", sealer=sealer(deps), now=NOW)
    listed = await staff.list_staff(
        actor=admin, role=None, authority_code=account_id, active=None, first=5, after=None
    )
    assert listed.items == []
