"""An ID number registered by someone else is taken back at the authority's counter.

The squatting account is disabled, its sessions revoked and its ID binding released (its
record stays for the audit); what it registered stays with it and never reaches the real
person silently; the real person's account is bound to the checked mobile and gets its
password through a reset code.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.actor import Actor
from schema.enums import CertificateStatus, RegistrationStatus, SmsPurpose
from schema.errors import Forbidden, InvalidInput, NotFound
from schema.models import Account, AuditRecord, Certificate, Registration
from schema.services import accounts, holder_certificates, registrations, sessions
from schema.services.account_pii import account_mobile
from tests.support.factories import (
    ID_MALE_1985,
    NOW,
    PASSWORD,
    make_applicant,
    request_code,
)
from tests.support.flows import (
    PAPER_2015_DOCUMENT,
    PAPER_2015_TITLE,
    YUBEI_TITLE,
    People,
    actor_of,
    fill_and_submit,
    issue_yubei_certificate,
    make_people,
)

REAL_MOBILE = "13600001234"
OTHER_ID = "500112198001010012"  # valid, and not one of make_people's staff
TTL = timedelta(hours=12)


async def _reclaim(deps, actor: Actor, *, id_number: str = ID_MALE_1985, note: str = "核验身份证原件"):
    return await accounts.reclaim_identity(
        actor=actor,
        pii=deps.pii,
        id_number=id_number,
        name="张三",
        mobile=REAL_MOBILE,
        note=note,
        now=NOW,
    )


async def _login(deps, password: str = PASSWORD, *, id_number: str = ID_MALE_1985):
    return await sessions.login(
        pii=deps.pii,
        id_number=id_number,
        password=password,
        client_ip="192.0.2.1",
        user_agent=None,
        ttl=TTL,
        now=NOW,
    )


async def test_reclaim_disables_the_squatter_and_binds_the_real_person(db, deps):
    people: People = await make_people(deps)  # its applicant registered ID_MALE_1985 first
    squatter_session = await _login(deps)
    done = await _reclaim(deps, people.reviewer)

    squatter = await Account.get(public_id=people.applicant.public_id)
    assert not squatter.is_active
    assert squatter.id_number_hmac == accounts.RELEASED_PREFIX + squatter.public_id
    assert deps.pii.open(squatter.id_number_cipher) == ID_MALE_1985  # kept for the audit
    assert await sessions.authenticate(squatter_session.token, now=NOW) is None
    assert done.sessions_revoked == 1

    real = await Account.get(id_number_hmac=deps.pii.lookup_hash(ID_MALE_1985))
    assert real.id == done.account.id != squatter.id
    assert (account_mobile(real, deps.pii), real.is_active) == (REAL_MOBILE, True)
    with pytest.raises(InvalidInput):
        await _login(deps)  # the squatter's password opens nothing any more

    audit = await AuditRecord.get(action="account.identity_reclaimed")
    assert (audit.actor_id, audit.note) == (people.reviewer.account_id, "核验身份证原件")
    assert audit.after["disabledAccount"] == squatter.public_id
    assert audit.after["newAccount"] == real.public_id
    assert ID_MALE_1985 not in str(audit.after)


async def test_the_real_person_sets_a_password_with_a_code_to_the_checked_mobile(db, deps):
    people = await make_people(deps)
    await _reclaim(deps, people.admin)
    code = await request_code(deps, REAL_MOBILE, SmsPurpose.RESET_PASSWORD)
    await accounts.reset_password(
        pii=deps.pii,
        id_number=ID_MALE_1985,
        mobile=REAL_MOBILE,
        code=code,
        new_password="Real-Owner-2026",
        client_ip="192.0.2.1",
        now=NOW,
    )
    issued = await _login(deps, "Real-Owner-2026")
    assert account_mobile(issued.account, deps.pii) == REAL_MOBILE


async def test_the_squatters_records_stay_with_it(db, deps):
    """Nothing the squatter registered reaches the real person: its issued certificate and
    its submission are detached (the submission withdrawn from the queue); the certificate
    stays valid until the authority examines it, and is listed for that."""
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    pending = await fill_and_submit(
        deps, people.applicant, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT
    )
    done = await _reclaim(deps, people.reviewer)

    assert done.detached_certificates == [cert.cert_id]
    assert done.withdrawn_registrations == [pending.public_id]
    assert len(done.detached_registrations) == 2
    kept = await Certificate.get(id=cert.id)
    assert (kept.status, kept.holder_id) == (CertificateStatus.VALID, people.applicant.account_id)
    withdrawn = await Registration.get(id=pending.id)
    assert withdrawn.status is RegistrationStatus.WITHDRAWN

    real = actor_of(done.account)
    assert (await registrations.my_registrations(actor=real)).items == []
    assert (await holder_certificates.my_certificates(actor=real)).items == []
    # The real person can register the same certificate themselves (no duplicate refusal).
    again = await fill_and_submit(deps, real, title=YUBEI_TITLE)
    assert again.status is RegistrationStatus.SUBMITTED


async def test_only_reviewers_and_admins_reclaim(db, deps):
    people = await make_people(deps)
    other = (await make_applicant(deps, id_number=OTHER_ID, mobile="13912345678")).account
    for actor in (actor_of(other), people.signer):
        with pytest.raises(Forbidden):
            await _reclaim(deps, actor)
    assert (await Account.get(public_id=people.applicant.public_id)).is_active


async def test_an_unregistered_id_number_needs_no_reclaim(db, deps):
    people = await make_people(deps)
    with pytest.raises(NotFound) as caught:
        await _reclaim(deps, people.reviewer, id_number=OTHER_ID)
    assert caught.value.code == "ID_NOT_REGISTERED"


async def test_a_note_is_required(db, deps):
    people = await make_people(deps)
    with pytest.raises(InvalidInput) as caught:
        await _reclaim(deps, people.reviewer, note="  ")
    assert caught.value.code == "RECLAIM_NOTE_REQUIRED"
