"""A wrong signing passphrase is found before anything changes: creating or rotating keys
is refused (the good key is never retired), and the signer reports it (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.actor import SYSTEM
from schema.errors import InvalidState
from schema.models import AuditRecord, SigningKey
from schema.services import signing_keys
from schema.services.signing_keys import Signer, SigningReadiness
from tests.support.factories import NOW

GOOD = b"the-deployment-passphrase"
WRONG = b"a-typo-in-the-secret-store"


async def _first_key() -> SigningKey:
    return await signing_keys.create_key(
        actor=SYSTEM, passphrase=GOOD, now=NOW - timedelta(days=30)
    )


async def _state() -> list[tuple[str, object, object]]:
    rows = await SigningKey.all().order_by("id")
    return [(r.kid, r.retired_at, r.revoked_at) for r in rows]


async def test_rotation_with_a_wrong_passphrase_changes_nothing(db: str) -> None:
    await _first_key()
    before, audits = await _state(), await AuditRecord.all().count()

    with pytest.raises(InvalidState) as refused:
        await signing_keys.rotate_key(actor=SYSTEM, passphrase=WRONG, now=NOW)

    assert refused.value.code == "SIGNING_PASSPHRASE_WRONG"
    assert "签名口令与现有签名密钥不符，未作任何更改" in refused.value.message
    assert await _state() == before  # the good key still signs; no new key
    assert await AuditRecord.all().count() == audits


async def test_creation_with_a_wrong_passphrase_is_refused(db: str) -> None:
    await _first_key()
    before = await _state()
    with pytest.raises(InvalidState, match="签名口令") as refused:
        await signing_keys.create_key(actor=SYSTEM, passphrase=WRONG, now=NOW)
    assert refused.value.code == "SIGNING_PASSPHRASE_WRONG" and await _state() == before


async def test_rotation_with_the_right_passphrase_retires_the_old_key(db: str) -> None:
    old = await _first_key()
    new = await signing_keys.rotate_key(actor=SYSTEM, passphrase=GOOD, now=NOW)
    assert new.kid != old.kid
    assert (await SigningKey.get(kid=old.kid)).retired_at is not None


async def test_first_key_takes_any_passphrase(db: str) -> None:
    row = await signing_keys.create_key(actor=SYSTEM, passphrase=WRONG, now=NOW)
    assert row.retired_at is None


async def test_a_lost_passphrase_is_recovered_by_retiring_then_creating(db: str) -> None:
    """The documented way out: retire what the old passphrase locked, then create."""
    old = await _first_key()
    await signing_keys.retire_key(actor=SYSTEM, kid=old.kid, now=NOW - timedelta(seconds=1))
    row = await signing_keys.create_key(actor=SYSTEM, passphrase=WRONG, now=NOW)
    assert row.kid != old.kid


async def test_signer_readiness_names_the_state(db: str) -> None:
    assert await Signer(GOOD).readiness(NOW) == (SigningReadiness.NO_KEY, None)
    key = await _first_key()
    assert await Signer(GOOD).readiness(NOW) == (SigningReadiness.OK, key.kid)
    locked = Signer(WRONG)
    assert await locked.readiness(NOW) == (SigningReadiness.LOCKED, key.kid)
    assert await locked.readiness(NOW) == (SigningReadiness.LOCKED, key.kid)  # remembered
