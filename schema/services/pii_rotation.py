"""Re-sealing every PII ciphertext under the current encryption key (``ecert rotate-pii-key``).

The columns sealed with ``ECERT_PII_ENCRYPTION_KEY`` are the account's ID number
(``id_number_cipher``), mobile number (``mobile_cipher``) and, for staff, the TOTP secret
(``totp_secret_cipher``); nothing else in the database
is sealed with it (registrations and certificates keep only the lookup digest and the
masked number). Rows are taken in id order, a batch at a time: each batch is one
transaction that re-seals the rows not yet under the current key and writes one audit
record. An interrupted run leaves every row readable (each envelope names its key, and the
protector still holds the previous keys), and running again continues where it stopped,
since a row already under the current key is never selected again.

The HMAC lookup key is not rotated here: registrations and certificates loaded in bulk for
people who have no account keep only ``holder_id_hmac``, never the ID number, so their
digests cannot be recomputed (see docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schema.actor import SYSTEM
from schema.enums import AuditAction
from schema.models import Account
from schema.pii import PiiProtector, Purpose
from schema.services.audit import write_audit

__all__ = ["PiiRotationError", "RotationReport", "rotate_pii_key", "stale_ciphertexts"]

# Every column sealed with the PII encryption key, with what it holds.
SEALED_COLUMNS: tuple[tuple[str, Purpose], ...] = (
    ("id_number_cipher", Purpose.ID_NUMBER),
    ("mobile_cipher", Purpose.MOBILE),
    ("totp_secret_cipher", Purpose.TOTP_SECRET),  # staff only: NULL for everyone else
)


class PiiRotationError(Exception):
    """A ciphertext does not open with any configured key (one line, names the account)."""


@dataclass(frozen=True)
class RotationReport:
    kid: str  # the current key id, which every ciphertext now names
    accounts: int  # accounts re-sealed by this run
    batches: int


def _stale(pii: PiiProtector) -> Q:
    """Accounts with at least one ciphertext not sealed with the current key."""
    prefix = f"v2:{pii.current_kid}:"
    return reduce(
        or_,
        (
            ~Q(**{f"{column}__startswith": prefix}) & ~Q(**{column: ""})
            for column, _ in SEALED_COLUMNS
        ),
    )


async def stale_ciphertexts(pii: PiiProtector) -> int:
    """How many accounts still hold a ciphertext that is not under the current key."""
    return await Account.filter(_stale(pii)).count()


async def rotate_pii_key(
    *,
    pii: PiiProtector,
    now: datetime,
    batch_size: int = 500,
    on_batch: Callable[[int], object] | None = None,
) -> RotationReport:
    """Re-seal, batch by batch, every ciphertext that is not under ``pii``'s current key.

    ``pii`` must hold the key(s) the data were sealed with as previous keys. Raises
    :class:`PiiRotationError` on a ciphertext no key opens: the batches committed before it
    stay committed (and readable), the failing batch is rolled back."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    stale = _stale(pii)
    last_id = 0
    total = batches = 0
    while True:
        async with in_transaction() as conn:
            rows = (
                await Account.filter(stale, id__gt=last_id)
                .select_for_update()
                .using_db(conn)
                .order_by("id")
                .limit(batch_size)
            )
            if not rows:
                break
            for row in rows:
                changed = _reseal(pii, row)
                await row.save(update_fields=changed, using_db=conn)
            await write_audit(
                actor=SYSTEM,
                action=AuditAction.PII_KEY_ROTATED,
                entity_type="pii_key",
                entity_id=pii.current_kid,
                now=now,
                after={
                    "table": "account",
                    "rows": len(rows),
                    "firstId": rows[0].id,
                    "lastId": rows[-1].id,
                },
                using_db=conn,
            )
        last_id = rows[-1].id
        total += len(rows)
        batches += 1
        if on_batch is not None:
            on_batch(total)
    return RotationReport(kid=pii.current_kid, accounts=total, batches=batches)


def _reseal(pii: PiiProtector, row: Account) -> list[str]:
    changed: list[str] = []
    for column, purpose in SEALED_COLUMNS:
        token: str | None = getattr(row, column)
        if not token or pii.is_current(token):
            continue
        try:
            setattr(row, column, pii.reseal(token, purpose))
        except ValueError as exc:
            raise PiiRotationError(f"account {row.public_id}: {column}: {exc}") from None
        changed.append(column)
    return changed
