"""The personal data an account keeps only sealed: its mobile number and its birth date.

Every reader and writer of an account's mobile number goes through this module. The
database holds ``mobile_cipher`` (AES-256-GCM), ``mobile_hmac`` (keyed lookup digest,
indexed) and ``mobile_masked`` (``138****5678``, for display). The birth date is not stored
at all: it is read from the (sealed) ID number when a rule needs it.
"""

from __future__ import annotations

from datetime import date

from schema import rules
from schema.models import Account
from schema.pii import PiiProtector

__all__ = [
    "account_birth_date",
    "account_mobile",
    "accounts_with_mobile",
    "mobile_columns",
]


def mobile_columns(pii: PiiProtector, mobile: str) -> dict[str, str]:
    """The account columns that hold a *normalised* mobile number."""
    return {
        "mobile_cipher": pii.seal_mobile(mobile),
        "mobile_hmac": pii.mobile_lookup_hash(mobile),
        "mobile_masked": rules.mask_mobile(mobile),
    }


def account_mobile(account: Account, pii: PiiProtector) -> str:
    """The account's full mobile number (for its owner's own checks and for sending codes)."""
    return pii.open_mobile(account.mobile_cipher)


def account_birth_date(account: Account, pii: PiiProtector) -> date:
    """The birth date encoded in the account's ID number (positions 7–14).

    The number was checked when the account was created, so the date is a real one."""
    id_number = pii.open(account.id_number_cipher)
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


async def accounts_with_mobile(pii: PiiProtector, mobile: str) -> list[Account]:
    """The accounts registered with this mobile number (any spelling ``normalize_mobile``
    accepts); none for a number that is not a valid mobile number."""
    try:
        clean = rules.normalize_mobile(mobile)
    except rules.RuleViolation:
        return []
    return await Account.filter(mobile_hmac=pii.mobile_lookup_hash(clean)).order_by("id")
