"""Employer accounts (用人单位): created by an administrator, one per operator (经办人).

An employer account is an ordinary real-name account of the operator (name, ID number,
mobile, password) with role ``EMPLOYER`` and the organisation it acts for (``Employer``:
name and 统一社会信用代码, checked by GB 32100-2015). It logs in exactly as staff do, with a
TOTP second factor enrolled at its first login (``schema.services.staff``). It may only run
batch checks (``schema.services.verification_batches``): every other use case refuses its
role, and it sees nothing of a holder beyond each line's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from schema import rules
from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import Forbidden, InvalidInput, Problem
from schema.models import Account, Employer
from schema.pii import PiiProtector
from schema.rules.text import is_storable
from schema.services import accounts

__all__ = [
    "EMPLOYER_ONLY",
    "ORGANISATION_NAME_MAX",
    "CreatedEmployer",
    "create_employer",
    "employer_of",
    "require_employer",
]

ORGANISATION_NAME_MAX = 100
EMPLOYER_ONLY = "只有用人单位账户可以进行此操作"


@dataclass(frozen=True)
class CreatedEmployer:
    account: Account
    employer: Employer


def require_employer(actor: Actor) -> Actor:
    """The actor, if it is an employer account (never the command line, never staff)."""
    if actor.role is not Role.EMPLOYER or actor.account_id is None:
        raise Forbidden(EMPLOYER_ONLY)
    return actor


async def employer_of(actor: Actor) -> Employer:
    """The organisation the employer account acts for."""
    require_employer(actor)
    return await Employer.get(account_id=actor.account_id)


def _organisation(name: str, credit_code: str) -> tuple[str, str]:
    problems = []
    clean_name = " ".join(name.split())
    if not clean_name or len(clean_name) > ORGANISATION_NAME_MAX or not is_storable(clean_name):
        problems.append(
            Problem(
                "ORGANISATION_NAME_INVALID",
                f"请填写单位名称（不超过{ORGANISATION_NAME_MAX}个字）",
                "organisationName",
            )
        )
    code = ""
    try:
        code = rules.normalize_credit_code(credit_code)
    except rules.RuleViolation as exc:
        problems.append(Problem(exc.code, exc.message, exc.field))
    if problems:
        raise InvalidInput(problems)
    return clean_name, code


async def create_employer(
    *,
    actor: Actor,
    pii: PiiProtector,
    organisation_name: str,
    credit_code: str,
    name: str,
    id_number: str,
    mobile: str,
    password: str,
    now: datetime,
) -> CreatedEmployer:
    """Create an employer's operator account (administrators and the command line only):
    the account and its organisation in one transaction with the audit record."""
    if actor.role is not Role.ADMIN:
        raise Forbidden("只有系统管理员可以创建用人单位账户")
    clean_name, code = _organisation(organisation_name, credit_code)
    created: list[Employer] = []

    async def attach(account: Account, conn: BaseDBAsyncClient) -> Mapping[str, object]:
        employer = await Employer.create(
            account=account,
            organisation_name=clean_name,
            credit_code=code,
            created_at=now,
            using_db=conn,
        )
        created.append(employer)
        return {"organisation": clean_name, "creditCode": code}

    registered = await accounts.create_account_with(
        actor=actor,
        pii=pii,
        name=name,
        id_number=id_number,
        mobile=mobile,
        password=password,
        role=Role.EMPLOYER,
        action=AuditAction.EMPLOYER_CREATED,
        attach=attach,
        now=now,
    )
    return CreatedEmployer(account=registered.account, employer=created[0])
