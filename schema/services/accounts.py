"""Real-name accounts (实名制注册): registration with a one-time SMS code, staff creation,
password change and reset, and the reclaim of an ID number someone else registered.

The mobile number is kept sealed: it is read and written through
``schema.services.account_pii`` (and counted by its lookup digest in
:func:`_accounts_with_mobile`).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema import rules
from schema.actor import Actor
from schema.enums import STAFF_ROLES, AuditAction, RegistrationStatus, Role, SmsPurpose
from schema.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidState,
    NotAuthenticated,
    NotFound,
    Problem,
    RateLimited,
)
from schema.models import Account, Certificate, Registration, RegistrationKey, Session
from schema.passwords import hash_password, verify_password
from schema.pii import PiiProtector
from schema.services import login_backoff, otp
from schema.services.access_cache import forget_account
from schema.services.account_pii import account_mobile, mobile_columns
from schema.services.audit import write_audit
from schema.services.throttle import FixedWindowCounter, minutes_left
from schema.sms import SmsProvider

__all__ = [
    "ACCOUNTS_PER_MOBILE",
    "REGISTER_PER_ADDRESS",
    "REGISTER_PER_MOBILE",
    "RELEASED_PREFIX",
    "RESET_PER_ADDRESS",
    "AttachRows",
    "Reclaimed",
    "RegisteredAccount",
    "account_mobile",
    "change_password",
    "create_account_with",
    "create_staff",
    "own_account",
    "reclaim_identity",
    "register_account",
    "request_sms_code",
    "reset_password",
]

# Registration attempts (successful or not) per client address and per mobile.
REGISTER_PER_ADDRESS = FixedWindowCounter("register-address:", limit=20, window=timedelta(hours=1))
REGISTER_PER_MOBILE = FixedWindowCounter("register-mobile:", limit=10, window=timedelta(days=1))
# Accounts one mobile may be bound to (family members may share a number; a squatter's
# SIM card may not register a crowd).
ACCOUNTS_PER_MOBILE = 3
# Password-reset attempts per client address (each also spends an attempt on the code).
RESET_PER_ADDRESS = FixedWindowCounter("reset-address:", limit=20, window=timedelta(hours=1))

# ``id_number_hmac`` of an account whose ID number was reclaimed by its real owner: the
# unique lookup is released (moved aside) while the sealed ID number stays for the audit.
RELEASED_PREFIX = "released:"

ACCOUNT_EXISTS_MESSAGE = (
    "该身份证号码已注册账户。如是本人注册，请直接登录，忘记密码可用注册时的手机号获取短信验证码"
    "重置密码；如不是本人注册（身份证号码被他人冒用），请本人携带身份证到审批机关窗口申请收回"
)
_RESET_REFUSED = InvalidInput.one(
    "RESET_REFUSED", "身份证号码、手机号码或短信验证码不正确，或验证码已失效", "code"
)


#: Rows written with a new account, in its transaction; what its audit record adds.
AttachRows = Callable[[Account, BaseDBAsyncClient], Awaitable[Mapping[str, object]]]


@dataclass(frozen=True)
class RegisteredAccount:
    account: Account
    id_number: str


def _problem(violation: rules.RuleViolation) -> Problem:
    return Problem(violation.code, violation.message, violation.field)


def _validate_identity(
    *, name: str, id_number: str, mobile: str, password: str | None, today
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
        if password is not None:  # None: no password is set (an account made at the counter)
            rules.check_password(
                password, id_number=parsed.value if parsed else None, mobile=clean_mobile or None
            )
    except rules.RuleViolation as exc:
        problems.append(_problem(exc))
    if problems or parsed is None:
        raise InvalidInput(problems)
    return clean_name, parsed, clean_mobile, problems


async def _insert_account(
    *,
    pii: PiiProtector,
    name: str,
    id_number: rules.IdNumber,
    mobile: str,
    password_hash: str,
    role: Role,
    authority_code: str | None,
    now: datetime,
    conn: BaseDBAsyncClient,
) -> Account:
    """The one place an account row is written (with its protected ID number and mobile)."""
    return await Account.create(
        public_id=secrets.token_hex(16),
        name=name,
        id_number_hmac=pii.lookup_hash(id_number.value),
        id_number_cipher=pii.seal(id_number.value),
        id_number_masked=rules.mask_id_number(id_number.value),
        **mobile_columns(pii, mobile),
        password_hash=password_hash,
        role=role,
        authority_code=authority_code,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
        using_db=conn,
    )


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
    sms_code: str | None = None,
    attach: AttachRows | None = None,
) -> RegisteredAccount:
    """Validate, refuse a second account for the ID number, check the SMS code (when one is
    required) and create the account; one transaction with its audit record. ``attach``
    writes the rows that belong with the account (an employer's organisation) in that
    transaction and returns what the audit record adds about them."""
    clean_name, parsed, clean_mobile, _ = _validate_identity(
        name=name, id_number=id_number, mobile=mobile, password=password, today=now.date()
    )
    lookup = pii.lookup_hash(parsed.value)
    duplicate = Conflict(ACCOUNT_EXISTS_MESSAGE, code="ACCOUNT_EXISTS", field="idNumber")
    if await Account.exists(id_number_hmac=lookup):
        raise duplicate
    if sms_code is not None and not await otp.consume_code(
        pii=pii, mobile=clean_mobile, purpose=SmsPurpose.REGISTER, code=sms_code, now=now
    ):
        raise InvalidInput.one(
            "SMS_CODE_INVALID", "短信验证码不正确或已失效，请重新获取", "smsCode"
        )
    password_hash = await hash_password(password)
    try:
        async with in_transaction() as conn:
            account = await _insert_account(
                pii=pii,
                name=clean_name,
                id_number=parsed,
                mobile=clean_mobile,
                password_hash=password_hash,
                role=role,
                authority_code=authority_code,
                now=now,
                conn=conn,
            )
            attached = await attach(account, conn) if attach is not None else {}
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
                    **attached,
                },
                using_db=conn,
            )
    except IntegrityError:
        # Two registrations raced past the check: the unique index decides.
        raise duplicate from None
    return RegisteredAccount(account=account, id_number=parsed.value)


async def register_account(
    *,
    pii: PiiProtector,
    name: str,
    id_number: str,
    mobile: str,
    password: str,
    sms_code: str,
    client_ip: str,
    now: datetime,
) -> RegisteredAccount:
    """Register an applicant under their real name. One account per ID number; the mobile
    is proved by a one-time code (purpose REGISTER); attempts are limited per client address
    and per mobile."""
    blocked = await _count_attempt(REGISTER_PER_ADDRESS, client_ip[:64], now=now)
    try:
        clean_mobile = rules.normalize_mobile(mobile)
    except rules.RuleViolation:
        clean_mobile = ""
    if clean_mobile and blocked is None:
        lookup = otp.mobile_lookup(pii, clean_mobile)
        blocked = await _count_attempt(REGISTER_PER_MOBILE, lookup, now=now)
    if blocked is not None:
        raise RateLimited(
            f"注册尝试次数过多，请{minutes_left(blocked, now)}分钟后再试",
            code="REGISTER_RATE_LIMITED",
        )
    if clean_mobile and await _accounts_with_mobile(pii, clean_mobile) >= ACCOUNTS_PER_MOBILE:
        raise Conflict(
            f"该手机号码已绑定{ACCOUNTS_PER_MOBILE}个账户，请使用本人的其他手机号码注册",
            code="MOBILE_ACCOUNTS_LIMIT",
            field="mobile",
        )
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
        sms_code=sms_code,
    )


async def _count_attempt(
    counter: FixedWindowCounter, subject: str, *, now: datetime
) -> datetime | None:
    """Count one attempt, committed on its own (whatever happens next, it was an attempt).
    Once the window's limit is reached: when the refusal ends (the attempt is refused)."""
    async with in_transaction() as conn:
        hit = await counter.hit(subject, now=now, using_db=conn)
    return hit.blocked_until if hit.refused else None


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


async def create_account_with(
    *,
    actor: Actor,
    pii: PiiProtector,
    name: str,
    id_number: str,
    mobile: str,
    password: str,
    role: Role,
    action: AuditAction,
    attach: AttachRows,
    now: datetime,
) -> RegisteredAccount:
    """An account made by an administrator together with rows of its own (``attach``, in
    the same transaction): the employer accounts of ``schema.services.employers``. The
    caller checks who may do it."""
    return await _create(
        pii=pii,
        name=name,
        id_number=id_number,
        mobile=mobile,
        password=password,
        role=role,
        authority_code=None,
        now=now,
        actor=actor,
        action=action,
        attach=attach,
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
    forget_account(account.id)  # this process's cache, now; others by notification
    return revoked


async def own_account(*, actor: Actor, pii: PiiProtector) -> tuple[Account, str]:
    """The actor's own account and full ID number (only ever returned to its owner)."""
    if actor.account_id is None:
        raise NotAuthenticated()
    account = await Account.get(id=actor.account_id)
    return account, pii.open(account.id_number_cipher)


# --------------------------------------------------------------------------- the mobile


async def _accounts_with_mobile(pii: PiiProtector, mobile: str) -> int:
    """How many active applicant accounts have this (normalised) mobile."""
    return await Account.filter(
        mobile_hmac=pii.mobile_lookup_hash(mobile), is_active=True, role=Role.APPLICANT
    ).count()


def _normalised_mobile(mobile: str) -> str:
    try:
        return rules.normalize_mobile(mobile)
    except rules.RuleViolation as exc:
        raise InvalidInput([_problem(exc)]) from None


async def request_sms_code(
    *,
    pii: PiiProtector,
    sms: SmsProvider,
    mobile: str,
    purpose: SmsPurpose,
    client_ip: str,
    now: datetime,
) -> None:
    """Send a one-time code for ``purpose`` to ``mobile``.

    The answer is the same whether or not an account has this mobile: a registration code
    is always sent (the number is new by design); a reset or login code only when an active
    applicant account has the mobile, but the request is recorded and limited identically.
    """
    clean = _normalised_mobile(mobile)
    deliver = purpose is SmsPurpose.REGISTER or await _accounts_with_mobile(pii, clean) > 0
    await otp.issue_code(
        pii=pii,
        sms=sms,
        mobile=clean,
        purpose=purpose,
        client_ip=client_ip,
        deliver=deliver,
        now=now,
    )


# --------------------------------------------------------------------------- password reset


async def reset_password(
    *,
    pii: PiiProtector,
    id_number: str,
    mobile: str,
    code: str,
    new_password: str,
    client_ip: str,
    now: datetime,
) -> int:
    """Set a new password with a one-time code (purpose RESET_PASSWORD) sent to the
    account's mobile. Every session is revoked and the login delay forgotten. A wrong ID
    number, a mobile that is not the account's or a wrong code all get the same answer.
    Applicant accounts only (staff passwords are reset by an administrator). Returns the
    number of sessions revoked."""
    blocked = await _count_attempt(RESET_PER_ADDRESS, client_ip[:64], now=now)
    if blocked is not None:
        raise RateLimited(
            f"重置密码尝试次数过多，请{minutes_left(blocked, now)}分钟后再试",
            code="RESET_RATE_LIMITED",
        )
    try:
        normalised = rules.normalize_id_number(id_number)
    except rules.RuleViolation:
        normalised = ""
    clean_mobile = _normalised_mobile(mobile)
    try:
        rules.check_password(new_password, id_number=normalised or None, mobile=clean_mobile)
    except rules.RuleViolation as exc:
        raise InvalidInput([Problem(exc.code, exc.message, "newPassword")]) from None
    # The code is checked (and an attempt spent) before anything about the account is
    # looked at, so every failure costs the same.
    code_ok = await otp.consume_code(
        pii=pii, mobile=clean_mobile, purpose=SmsPurpose.RESET_PASSWORD, code=code, now=now
    )
    account = (
        await Account.get_or_none(id_number_hmac=pii.lookup_hash(normalised))
        if normalised
        else None
    )
    if (
        not code_ok
        or account is None
        or not account.is_active
        or account.role is not Role.APPLICANT
        or not secrets.compare_digest(account_mobile(account, pii), clean_mobile)
    ):
        raise _RESET_REFUSED
    password_hash = await hash_password(new_password)
    async with in_transaction() as conn:
        account = await Account.select_for_update().using_db(conn).get(id=account.id)
        account.password_hash = password_hash
        account.password_changed_at = now
        account.updated_at = now
        await account.save(using_db=conn)
        revoked = (
            await Session.filter(account_id=account.id, revoked_at=None)
            .using_db(conn)
            .update(revoked_at=now)
        )
        await login_backoff.reset(login_backoff.ACCOUNT_BACKOFF, account.id, using_db=conn)
        await write_audit(
            actor=None,
            action=AuditAction.PASSWORD_RESET,
            entity_type="account",
            entity_id=account.public_id,
            now=now,
            after={"sessionsRevoked": revoked, "clientIp": client_ip[:64]},
            using_db=conn,
        )
    forget_account(account.id)  # this process's cache, now; others by notification
    return revoked


# --------------------------------------------------------------------------- reclaim


@dataclass(frozen=True)
class Reclaimed:
    """The outcome of a reclaim: the disabled account and the real person's new one."""

    disabled: Account
    account: Account
    id_number: str
    sessions_revoked: int
    withdrawn_registrations: list[str]
    detached_registrations: list[str]
    detached_certificates: list[str]
    loaded_records_touched: list[str]


_UNDECIDED = (RegistrationStatus.DRAFT, RegistrationStatus.SUBMITTED, RegistrationStatus.RETURNED)


async def reclaim_identity(
    *,
    actor: Actor,
    pii: PiiProtector,
    id_number: str,
    name: str,
    mobile: str,
    note: str,
    now: datetime,
) -> Reclaimed:
    """At the authority's counter: the real holder of ``id_number`` (identity checked by the
    staff member ``actor``, a reviewer or an administrator) takes the ID number back from
    the account that registered it.

    In one transaction: the squatting account is disabled (sessions revoked) and its ID
    binding released (``id_number_hmac`` moved aside; the sealed ID number stays for the
    audit); what it registered is detached from the ID number and stays with it (undecided
    registrations are withdrawn, issued certificates are listed for the authority to examine
    and revoke: nothing transfers silently); the real person's account is created bound to
    the verified ``mobile`` with no usable password — they set one with a reset code sent to
    that mobile. Records loaded by the authorities stay with the ID number.
    """
    if actor.role not in (Role.REVIEWER, Role.ADMIN) or actor.account_id is None:
        raise Forbidden("只有审批机关审核人员或系统管理员可以办理身份证号码收回")
    clean_note = note.strip()
    if not clean_note or len(clean_note) > 500:
        raise InvalidInput.one(
            "RECLAIM_NOTE_REQUIRED", "请填写办理说明（核验的证件等），不超过500字", "note"
        )
    # No password is chosen at the counter: the account gets the hash of a random secret
    # nobody is told (the person sets a password with a reset code sent to the mobile).
    clean_name, parsed, clean_mobile, _ = _validate_identity(
        name=name, id_number=id_number, mobile=mobile, password=None, today=now.date()
    )
    placeholder = secrets.token_urlsafe(32)
    lookup = pii.lookup_hash(parsed.value)
    squatter = await Account.get_or_none(id_number_hmac=lookup)
    if squatter is None:
        raise NotFound(
            "该身份证号码尚未注册账户，本人可直接注册", code="ID_NOT_REGISTERED", field="idNumber"
        )
    if squatter.role is not Role.APPLICANT:
        raise InvalidState(
            "该身份证号码绑定的是工作人员账户，请由系统管理员处理", code="RECLAIM_STAFF_ACCOUNT"
        )
    password_hash = await hash_password(placeholder)
    async with in_transaction() as conn:
        squatter = await Account.select_for_update().using_db(conn).get(id=squatter.id)
        if squatter.id_number_hmac != lookup:  # reclaimed concurrently
            raise Conflict("该身份证号码正在办理收回，请刷新后重试", code="RECLAIM_CONFLICT")
        squatter.is_active = False
        squatter.id_number_hmac = RELEASED_PREFIX + squatter.public_id
        squatter.updated_at = now
        await squatter.save(using_db=conn)
        revoked = (
            await Session.filter(account_id=squatter.id, revoked_at=None)
            .using_db(conn)
            .update(revoked_at=now)
        )
        records = await _detach_records(squatter, lookup, now=now, conn=conn)
        account = await _insert_account(
            pii=pii,
            name=clean_name,
            id_number=parsed,
            mobile=clean_mobile,
            password_hash=password_hash,
            role=Role.APPLICANT,
            authority_code=None,
            now=now,
            conn=conn,
        )
        await write_audit(
            actor=actor,
            action=AuditAction.IDENTITY_RECLAIMED,
            entity_type="account",
            entity_id=squatter.public_id,
            now=now,
            before={"account": squatter.public_id, "name": squatter.name, "active": True},
            after={
                "disabledAccount": squatter.public_id,
                "newAccount": account.public_id,
                "idNumber": account.id_number_masked,
                "sessionsRevoked": revoked,
                **records,
            },
            note=clean_note,
            using_db=conn,
        )
        await write_audit(
            actor=actor,
            action=AuditAction.ACCOUNT_REGISTERED,
            entity_type="account",
            entity_id=account.public_id,
            now=now,
            after={
                "name": clean_name,
                "idNumber": account.id_number_masked,
                "role": Role.APPLICANT.value,
                "reclaimedFrom": squatter.public_id,
            },
            note=clean_note,
            using_db=conn,
        )
    forget_account(squatter.id)  # this process's cache, now; others by notification
    return Reclaimed(
        disabled=squatter,
        account=account,
        id_number=parsed.value,
        sessions_revoked=revoked,
        withdrawn_registrations=records["withdrawnRegistrations"],
        detached_registrations=records["detachedRegistrations"],
        detached_certificates=records["detachedCertificates"],
        loaded_records_touched=records["loadedRecordsTouched"],
    )


async def _detach_records(
    squatter: Account, lookup: str, *, now: datetime, conn: BaseDBAsyncClient
) -> dict[str, list[str]]:
    """Separate what the squatting account registered from the ID number it used.

    Its own registrations (not loaded by an authority) and the certificates issued from
    them move to the released key, so the real person neither sees nor inherits them and
    their identity keys no longer block the real person's own registrations; undecided ones
    are withdrawn (out of the review queues). Certificates are not changed otherwise: signed
    content is never edited, and revoking one is the authority's decision (revokeCertificate).
    Records an authority loaded stay with the ID number; the squatter's link to them is cut.
    """
    released = RELEASED_PREFIX + squatter.public_id
    own = (
        await Registration.filter(applicant_id=squatter.id, holder_id_hmac=lookup)
        .using_db(conn)
        .select_for_update()
        .order_by("id")
    )
    withdrawn, detached, loaded = [], [], []
    for reg in own:
        if reg.import_job_id is not None:
            loaded.append(reg.public_id)
            continue
        detached.append(reg.public_id)
        if reg.status in _UNDECIDED:
            withdrawn.append(reg.public_id)
            reg.status = RegistrationStatus.WITHDRAWN
            await RegistrationKey.filter(registration_id=reg.id).using_db(conn).delete()
        reg.holder_id_hmac = released
        reg.updated_at = now
        await reg.save(using_db=conn)
    if detached:
        ids = [reg.id for reg in own if reg.public_id in detached]
        await (
            RegistrationKey.filter(registration_id__in=ids)
            .using_db(conn)
            .update(holder_id_hmac=released)
        )
        certificates = (
            await Certificate.filter(registration_id__in=ids)
            .using_db(conn)
            .order_by("id")
            .values_list("cert_id", flat=True)
        )
        await (
            Certificate.filter(registration_id__in=ids)
            .using_db(conn)
            .update(holder_id_hmac=released)
        )
    else:
        certificates = []
    if loaded:
        await Registration.filter(public_id__in=loaded).using_db(conn).update(applicant_id=None)
    return {
        "withdrawnRegistrations": withdrawn,
        "detachedRegistrations": detached,
        "detachedCertificates": [str(c) for c in certificates],
        "loadedRecordsTouched": loaded,
    }
