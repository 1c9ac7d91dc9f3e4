"""Sessions: expiry, revocation on password change (the delay and the second factor after
failed logins: tests/services/test_login_delay.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.errors import InvalidInput
from schema.services import accounts, sessions
from tests.support.factories import ID_MALE_1985, NOW, PASSWORD, make_applicant

TTL = timedelta(hours=12)


async def _login(deps, *, password=PASSWORD, ip="203.0.113.7", id_number=ID_MALE_1985, now=NOW):
    return await sessions.login(
        pii=deps.pii,
        id_number=id_number,
        password=password,
        client_ip=ip,
        user_agent="t",
        ttl=TTL,
        now=now,
    )


async def test_token_is_stored_only_as_its_hash(db, deps):
    from schema.models import Session

    await make_applicant(deps)
    issued = await _login(deps)
    row = await Session.get(account_id=issued.account.id)
    assert row.token_hash == sessions.token_digest(issued.token) != issued.token


async def test_expired_session_does_not_authenticate(db, deps):
    await make_applicant(deps)
    issued = await _login(deps)
    assert await sessions.authenticate(issued.token, now=NOW + TTL - timedelta(seconds=1))
    assert await sessions.authenticate(issued.token, now=NOW + TTL) is None


async def test_password_change_revokes_every_session(db, deps):
    await make_applicant(deps)
    first, second = await _login(deps), await _login(deps)
    actor, _ = await sessions.authenticate(first.token, now=NOW)
    revoked = await accounts.change_password(
        actor=actor, pii=deps.pii, old_password=PASSWORD, new_password="Another-Pass-2027", now=NOW
    )
    assert revoked == 2
    assert await sessions.authenticate(second.token, now=NOW) is None
    assert await _login(deps, password="Another-Pass-2027")


async def test_failed_login_for_unknown_account_is_audited_by_address(db, deps):
    from schema.models import AuditRecord

    with pytest.raises(InvalidInput):
        await _login(deps, id_number="500243199212310562", password="Nope-12345x")
    audit = await AuditRecord.get(entity_type="client", entity_id="203.0.113.7")
    assert (audit.action, audit.after["failures"]) == ("session.login_failed", 1)


@pytest.mark.parametrize("id_number", ["\u0080", "五〇〇一一二", "", "5" * 400, "50011219850312023\x00"])
async def test_login_with_a_malformed_id_number_is_a_wrong_credential(db, deps, id_number):
    # Found by the fuzzer: a non-ASCII "ID number" reached the ASCII lookup hash and crashed.
    await make_applicant(deps)
    with pytest.raises(InvalidInput) as caught:
        await _login(deps, id_number=id_number)
    assert caught.value.code == "INVALID_CREDENTIALS"
