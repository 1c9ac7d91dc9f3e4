"""Builders of real objects through the real services."""

from __future__ import annotations

from datetime import UTC, datetime

from schema.actor import SYSTEM
from schema.enums import Role
from schema.http_edge.deps import Deps
from schema.services import accounts

# Synthetic, valid ID numbers from REFERENCE.md §7 (tests only).
ID_MALE_1985 = "500112198503120238"
ID_FEMALE_1992 = "500243199212310562"
ID_X_CHECK = "50010319870615006X"
ID_LEAP_DAY = "500101198802290019"
PASSWORD = "Qiushi-2026!Cert"
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


async def make_applicant(
    deps: Deps, *, name: str = "张三", id_number: str = ID_MALE_1985, mobile: str = "13812341234"
) -> accounts.RegisteredAccount:
    return await accounts.register_account(
        pii=deps.pii, name=name, id_number=id_number, mobile=mobile, password=PASSWORD, now=NOW
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
