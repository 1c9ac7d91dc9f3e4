"""Real-name accounts (实名制注册): registration, staff creation, password change."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema import rules
from schema.actor import Actor
from schema.enums import STAFF_ROLES, AuditAction, Role
from schema.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, Problem
from schema.models import Account, Session
from schema.passwords import hash_password, verify_password
from schema.pii import PiiProtector
from schema.services.account_pii import account_mobile, mobile_columns
from schema.services.audit import write_audit

__all__ = [
    "RegisteredAccount",
    "change_password",
    "create_staff",
    "own_account",
    "register_account",
]

# Chinese names (with the middle dot of minority names) or Latin names with spaces.


@dataclass(frozen=True)
class RegisteredAccount:
    account: Account
    id_number: str


def _problem(violation: rules.RuleViolation) -> Problem:
    return Problem(violation.code, violation.message, violation.field)


def _validate_identity(
    *, name: str, id_number: str, mobile: str, password: str, today
) -> tuple[str, rules.IdNumber, str, list[Problem]]:
    problems: list[Problem] = []
    clean_name = ""
    try:
        clean_name = rules.normalize_person_name(name)
    except rules.RuleViolation as exc:
        problems.append(_problem(exc))
    parsed: rules.IdNumber | None = None
    try:
        parsed = rules.parse_id_number(id_number, today=today)
    except rules.RuleViolation as exc:
        problems.append(_problem(exc))
    clean_mobile = ""
    try:
        clean_mobile = rules.normalize_mobile(mobile)
    except rules.RuleViolation as exc:
        problems.append(_problem(exc))
    try:
        rules.check_password(
            password, id_number=parsed.value if parsed else None, mobile=clean_mobile or None
        )
    except rules.RuleViolation as exc:
        problems.append(_problem(exc))
    if problems or parsed is None:
        raise InvalidInput(problems)
    return clean_name, parsed, clean_mobile, problems


async def _create(
    *,
    pii: PiiProtector,
    name: str,
    id_number: str,
    mobile: str,
    password: str,
    role: Role,
    authority_code: str | None,
    now: datetime,
    actor: Actor | None,
    action: AuditAction,
) -> RegisteredAccount:
    clean_name, parsed, clean_mobile, _ = _validate_identity(
        name=name, id_number=id_number, mobile=mobile, password=password, today=now.date()
    )
    lookup = pii.lookup_hash(parsed.value)
    duplicate = Conflict(
        "该身份证号码已注册账户，请使用该号码直接登录",
        code="ACCOUNT_EXISTS",
        field="idNumber",
    )
    if await Account.exists(id_number_hmac=lookup):
        raise duplicate
    password_hash = await hash_password(password)
    try:
        async with in_transaction() as conn:
            account = await Account.create(
                public_id=secrets.token_hex(16),
                name=clean_name,
                id_number_hmac=lookup,
                id_number_cipher=pii.seal(parsed.value),
                id_number_masked=rules.mask_id_number(parsed.value),
                **mobile_columns(pii, clean_mobile),
                password_hash=password_hash,
                role=role,
                authority_code=authority_code,
                password_changed_at=now,
                created_at=now,
                updated_at=now,
                using_db=conn,
            )
            await write_audit(
                actor=actor,
                action=action,
                entity_type="account",
                entity_id=account.public_id,
                now=now,
                after={
                    "name": clean_name,
                    "idNumber": account.id_number_masked,
                    "role": role.value,
                    "authority": authority_code,
                },
                using_db=conn,
            )
    except IntegrityError:
        # Two registrations raced past the check: the unique index decides.
        raise duplicate from None
    return RegisteredAccount(account=account, id_number=parsed.value)


async def register_account(
    *, pii: PiiProtector, name: str, id_number: str, mobile: str, password: str, now: datetime
) -> RegisteredAccount:
    """Register an applicant under their real name. One account per ID number."""
    return await _create(
        pii=pii,
        name=name,
        id_number=id_number,
        mobile=mobile,
        password=password,
        role=Role.APPLICANT,
        authority_code=None,
        now=now,
        actor=None,
        action=AuditAction.ACCOUNT_REGISTERED,
    )


async def create_staff(
    *,
    actor: Actor,
    pii: PiiProtector,
    name: str,
    id_number: str,
    mobile: str,
    password: str,
    role: Role,
    authority_code: str | None,
    known_authorities: frozenset[str],
    now: datetime,
) -> RegisteredAccount:
    """Create a staff account (reviewer, signer, importer, admin); admins and the CLI only."""
    if actor.role is not Role.ADMIN:
        raise Forbidden("只有系统管理员可以创建工作人员账户")
    if role not in STAFF_ROLES:
        raise InvalidInput.one("STAFF_ROLE", "工作人员角色应为审核、签章、归集或管理员", "role")
    if role is Role.REVIEWER:
        if not authority_code:
            raise InvalidInput.one(
                "AUTHORITY_REQUIRED", "审核人员必须绑定一个审批机关", "authority"
            )
        if authority_code not in known_authorities:
            raise InvalidInput.one("AUTHORITY_UNKNOWN", "审批机关不在名录中", "authority")
    elif authority_code:
        raise InvalidInput.one("AUTHORITY_NOT_ALLOWED", "只有审核人员绑定审批机关", "authority")
    return await _create(
        pii=pii,
        name=name,
        id_number=id_number,
        mobile=mobile,
        password=password,
        role=role,
        authority_code=authority_code,
        now=now,
        actor=actor,
        action=AuditAction.STAFF_CREATED,
    )


async def change_password(
    *, actor: Actor, pii: PiiProtector, old_password: str, new_password: str, now: datetime
) -> int:
    """Change the actor's password and revoke every session. Returns sessions revoked."""
    if actor.account_id is None:
        raise NotAuthenticated()
    account = await Account.get(id=actor.account_id)
    if not await verify_password(account.password_hash, old_password):
        raise InvalidInput.one("WRONG_PASSWORD", "原密码不正确", "oldPassword")
    try:
        rules.check_password(
            new_password,
            id_number=pii.open(account.id_number_cipher),
            mobile=account_mobile(account, pii),
        )
    except rules.RuleViolation as exc:
        raise InvalidInput([Problem(exc.code, exc.message, "newPassword")]) from None
    if await verify_password(account.password_hash, new_password):
        raise InvalidInput.one("PASSWORD_UNCHANGED", "新密码不能与原密码相同", "newPassword")
    async with in_transaction() as conn:
        account = await Account.select_for_update().using_db(conn).get(id=account.id)
        account.password_hash = await hash_password(new_password)
        account.password_changed_at = now
        account.updated_at = now
        await account.save(using_db=conn)
        revoked = (
            await Session.filter(account_id=account.id, revoked_at=None)
            .using_db(conn)
            .update(revoked_at=now)
        )
        await write_audit(
            actor=actor,
            action=AuditAction.PASSWORD_CHANGED,
            entity_type="account",
            entity_id=account.public_id,
            now=now,
            after={"sessionsRevoked": revoked},
            using_db=conn,
        )
    return revoked


async def own_account(*, actor: Actor, pii: PiiProtector) -> tuple[Account, str]:
    """The actor's own account and full ID number (only ever returned to its owner)."""
    if actor.account_id is None:
        raise NotAuthenticated()
    account = await Account.get(id=actor.account_id)
    return account, pii.open(account.id_number_cipher)
