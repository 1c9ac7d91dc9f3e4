"""Staff TOTP in tests: enrolment through the real services, codes computed with pyotp.

``enrol_totp`` does what a new staff member does (the login's enrolment ticket,
``begin_enrolment``, ``confirm_enrolment`` with the authenticator's code) and returns the
secret. ``login_code`` is the code an authenticator would show for the account's next
login: the secret read back from the database (sealed, opened with the real key) and the
first time-step after the last one accepted that the app will still take, waiting for the
next step when the account has already logged in twice in this one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from schema import rules
from schema.enums import TOTP_ROLES
from schema.http_edge.deps import Deps
from schema.models import Account
from schema.services import staff
from schema.totp import STEP_SECONDS, TotpSealer, code_at_step, step_of

__all__ = ["enrol_totp", "login_code", "sealer"]


def sealer(deps: Deps) -> TotpSealer:
    return TotpSealer(deps.pii)


async def enrol_totp(deps: Deps, account: Account, *, now: datetime) -> str:
    """Enrol ``account``'s TOTP as its owner would, at ``now``; the secret."""
    required = await staff.check_second_factor(account, code=None, sealer=None, now=now)
    assert required is not None, "the account is not a staff account awaiting enrolment"
    enrolment = await staff.begin_enrolment(token=required.token, sealer=sealer(deps), now=now)
    await staff.confirm_enrolment(
        token=required.token,
        code=code_at_step(enrolment.secret, step_of(now)),
        sealer=sealer(deps),
        now=now,
    )
    return enrolment.secret


async def login_code(deps: Deps, id_number: str) -> str | None:
    """The code for the next login of the staff account with ``id_number`` (None when it is
    no enrolled staff account). The app's clock (``deps.clock``) decides the step."""
    try:
        lookup = deps.pii.lookup_hash(rules.normalize_id_number(id_number))
    except rules.RuleViolation:
        return None
    account = await Account.get_or_none(id_number_hmac=lookup)
    if (
        account is None
        or account.role not in TOTP_ROLES
        or account.totp_secret_cipher is None
        or account.totp_enabled_at is None
    ):
        return None
    secret = sealer(deps).open(account.totp_secret_cipher)
    for _ in range(3):
        now = deps.clock()
        current = step_of(now)
        into_step = now.timestamp() - current * STEP_SECONDS
        # The app accepts current ± 1 when the request arrives. The step before is safe only
        # while the app's clock cannot reach the next step first.
        candidates = ([current - 1] if into_step < STEP_SECONDS - 5 else []) + [
            current,
            current + 1,
        ]
        for step in candidates:
            if step > account.totp_last_step:
                return code_at_step(secret, step)
        await asyncio.sleep(STEP_SECONDS - into_step + 0.1)
    raise AssertionError("no fresh TOTP step: is the app's clock fixed?")
