"""Builders of real objects through the real services."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from schema import rules
from schema.actor import SYSTEM
from schema.enums import Role, SmsPurpose
from schema.errors import RateLimited
from schema.http_edge.deps import Deps
from schema.services import accounts
from schema.sms import LogSmsProvider

# Synthetic, valid ID numbers from REFERENCE.md §7 (tests only).
ID_MALE_1985 = "500112198503120238"
ID_FEMALE_1992 = "500243199212310562"
ID_X_CHECK = "50010319870615006X"
ID_LEAP_DAY = "500101198802290019"
PASSWORD = "Qiushi-2026!Cert"
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
CLIENT_IP = "203.0.113.50"


def sent_code(deps: Deps, mobile: str) -> str:
    """The code in the newest message the development SMS provider 'sent' to ``mobile``."""
    outbox = deps.sms
    assert isinstance(outbox, LogSmsProvider), f"tests use the development provider: {outbox!r}"
    sent = outbox.last_to(rules.normalize_mobile(mobile))  # messages go to the normalised number
    assert sent is not None, f"no SMS was sent to {mobile}"
    match = re.search(r"验证码(\d{6})", sent.text)
    assert match, sent.text
    return match.group(1)


async def request_code(
    deps: Deps,
    mobile: str,
    purpose: SmsPurpose = SmsPurpose.REGISTER,
    *,
    now: datetime = NOW,
    client_ip: str = CLIENT_IP,
) -> str:
    """Ask for a one-time code through the real service and read it from the outbox."""
    await accounts.request_sms_code(
        pii=deps.pii, sms=deps.sms, mobile=mobile, purpose=purpose, client_ip=client_ip, now=now
    )
    return sent_code(deps, mobile)


def default_mobile(id_number: str) -> str:
    """Each test person's own mobile: 13812341234 for ID_MALE_1985, else 139 + birth date."""
    return "13812341234" if id_number == ID_MALE_1985 else "139" + id_number[6:14]


async def make_applicant(
    deps: Deps,
    *,
    name: str = "张三",
    id_number: str = ID_MALE_1985,
    mobile: str | None = None,
    now: datetime = NOW,
) -> accounts.RegisteredAccount:
    """An applicant registered through the real path: a REGISTER code is requested for the
    mobile, read from the development provider's outbox and given back. Within the resend
    cooldown (the same mobile twice at one instant: a duplicate registration) the code
    already sent is given again."""
    mobile = mobile or default_mobile(id_number)
    try:
        code = await request_code(deps, mobile, now=now)
    except RateLimited as exc:
        if exc.code != "SMS_CODE_TOO_SOON":
            raise
        code = sent_code(deps, mobile)
    return await accounts.register_account(
        pii=deps.pii,
        name=name,
        id_number=id_number,
        mobile=mobile,
        password=PASSWORD,
        sms_code=code,
        client_ip=CLIENT_IP,
        now=now,
    )


async def make_staff(
    deps: Deps,
    *,
    role: Role,
    id_number: str,
    name: str = "李审核",
    authority_code: str | None = None,
    mobile: str = "13900001111",
    enrol: bool = True,
) -> accounts.RegisteredAccount:
    """A staff account, its TOTP enrolled as its owner would (``enrol=False``: not yet);
    ``tests.support.totp.login_code`` gives the code for its next login."""
    from schema.services.reference import authority_codes
    from tests.support.totp import enrol_totp

    created = await accounts.create_staff(
        actor=SYSTEM,
        pii=deps.pii,
        name=name,
        id_number=id_number,
        mobile=mobile,
        password=PASSWORD,
        role=role,
        authority_code=authority_code,
        known_authorities=await authority_codes(),
        now=NOW,
    )
    if enrol:
        await enrol_totp(deps, created.account, now=NOW)
        await created.account.refresh_from_db()
    return created
