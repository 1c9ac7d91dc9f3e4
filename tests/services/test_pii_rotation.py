"""Rotating the PII encryption key: every ciphertext re-sealed in audited batches, every row
readable during and after, an interrupted run continued by running again."""

from __future__ import annotations

import pytest

from schema.enums import AuditAction, Role
from schema.models import Account, AuditRecord
from schema.pii import PiiProtector
from schema.rules import mod11_2_check_char
from schema.services.account_pii import account_mobile, accounts_with_mobile
from schema.services.accounts import own_account
from schema.services.pii_rotation import PiiRotationError, rotate_pii_key, stale_ciphertexts
from schema.totp import TotpSealer
from tests.support.factories import ID_MALE_1985, NOW, make_applicant, make_staff
from tests.support.flows import actor_of

# The test settings' keys (tests/support/settings.py): HMAC 0x01…, encryption 0x02….
HMAC_KEY, OLD_KEY, NEW_KEY, LOST_KEY = (bytes([b]) * 32 for b in (1, 2, 3, 4))


def _id(body: str) -> str:
    return body + mod11_2_check_char(body)


PEOPLE = [  # (ID number, mobile) in creation (id) order
    (ID_MALE_1985, "13812341234"),
    (_id("50011219900307001"), "13600001111"),
    (_id("50011219911111002"), "13700002222"),
    (_id("50011219750505003"), "13900003333"),
]


def _rotating() -> PiiProtector:
    return PiiProtector(
        hmac_key=HMAC_KEY, encryption_key=NEW_KEY, previous_encryption_keys=[OLD_KEY]
    )


def _new_only() -> PiiProtector:
    return PiiProtector(hmac_key=HMAC_KEY, encryption_key=NEW_KEY)


async def _people(deps) -> list[Account]:
    for n, (id_number, mobile) in enumerate(PEOPLE[:-1]):
        await make_applicant(deps, name=f"张{'三四五'[n]}", id_number=id_number, mobile=mobile)
    id_number, mobile = PEOPLE[-1]
    await make_staff(deps, role=Role.ADMIN, id_number=id_number, mobile=mobile)
    return await Account.all().order_by("id")


def _opened(pii: PiiProtector, row: Account) -> tuple[str, str]:
    return pii.open(row.id_number_cipher), account_mobile(row, pii)


async def test_rotation_reseals_everything_in_audited_batches(db, deps):
    await _people(deps)
    report = await rotate_pii_key(pii=_rotating(), now=NOW, batch_size=3)
    assert (report.kid, report.accounts, report.batches) == (_new_only().current_kid, 4, 2)
    # The old key can go: the new key alone opens every ID number and mobile number.
    rows = await Account.all().order_by("id")
    assert [_opened(_new_only(), r) for r in rows] == PEOPLE
    assert await stale_ciphertexts(_new_only()) == 0
    audits = await AuditRecord.filter(action=AuditAction.PII_KEY_ROTATED.value).order_by("id")
    assert [(a.entity_id, a.after["rows"]) for a in audits] == [
        (report.kid, 3),
        (report.kid, 1),
    ]


async def test_lookups_and_own_account_work_after_rotation(db, deps):
    rows = await _people(deps)
    await rotate_pii_key(pii=_rotating(), now=NOW)
    found = await accounts_with_mobile(_new_only(), "13700002222")
    assert [a.id for a in found] == [rows[2].id]
    account, id_number = await own_account(actor=actor_of(rows[0]), pii=_new_only())
    assert (id_number, account.mobile_masked, account.id_number_masked) == (
        ID_MALE_1985,
        "138****1234",
        "5001**********0238",
    )


async def test_running_again_after_a_complete_rotation_changes_nothing(db, deps):
    await _people(deps)
    await rotate_pii_key(pii=_rotating(), now=NOW)
    before = [(r.id_number_cipher, r.mobile_cipher) for r in await Account.all().order_by("id")]
    again = await rotate_pii_key(pii=_rotating(), now=NOW)
    assert (again.accounts, again.batches) == (0, 0)
    after = [(r.id_number_cipher, r.mobile_cipher) for r in await Account.all().order_by("id")]
    assert after == before


async def test_a_failed_rotation_leaves_every_row_readable_and_resumes(db, deps):
    rows = await _people(deps)
    # The last account's mobile was sealed with a key the operator did not configure.
    lost = PiiProtector(hmac_key=HMAC_KEY, encryption_key=LOST_KEY)
    await Account.filter(id=rows[3].id).update(mobile_cipher=lost.seal_mobile(PEOPLE[3][1]))

    with pytest.raises(PiiRotationError, match=rows[3].public_id):
        await rotate_pii_key(pii=_rotating(), now=NOW, batch_size=2)

    after = await Account.all().order_by("id")
    # The first batch is committed; the failing batch (rows 3 and 4) is rolled back whole.
    assert [_rotating().is_current(r.mobile_cipher) for r in after] == [True, True, False, False]
    # Every row sealed with a configured key still opens, rotated or not.
    assert [_opened(_rotating(), r) for r in after[:3]] == PEOPLE[:3]
    assert await AuditRecord.filter(action=AuditAction.PII_KEY_ROTATED.value).count() == 1

    # With the missing key configured as a previous key, running again finishes the job.
    fixed = PiiProtector(
        hmac_key=HMAC_KEY, encryption_key=NEW_KEY, previous_encryption_keys=[OLD_KEY, LOST_KEY]
    )
    report = await rotate_pii_key(pii=fixed, now=NOW, batch_size=2)
    assert report.accounts == 2
    assert [_opened(_new_only(), r) for r in await Account.all().order_by("id")] == PEOPLE


async def test_rotation_reseals_staff_totp_secrets(db, deps):
    """A staff member's authenticator keeps working after the old key is removed."""
    await _people(deps)
    admin = await Account.get(role=Role.ADMIN)
    secret = TotpSealer(deps.pii).open(admin.totp_secret_cipher or "")
    await rotate_pii_key(pii=_rotating(), now=NOW)
    await admin.refresh_from_db()
    assert TotpSealer(_new_only()).open(admin.totp_secret_cipher or "") == secret
    assert await stale_ciphertexts(_new_only()) == 0
