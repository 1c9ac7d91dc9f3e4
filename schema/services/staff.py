"""Staff accounts: the TOTP second factor (enrolment, the login check) and administration.

Second factor. A staff account (reviewer, signer, importer, admin) logs in with its password
*and* a TOTP code. Until it has enrolled, the right password opens no session at all: the
login answers ``EnrolmentRequired`` with a short-lived one-time enrolment ticket, which can
only begin enrolment (a new secret, sealed at rest) and confirm it with a code from the
authenticator. Only then can the next login open a session. So no staff session ever exists
without the second factor: the ticket is not a session, and ``authenticate`` refuses any
staff session of an account without a confirmed TOTP (older sessions, a reset).

Employer accounts (role ``EMPLOYER``, ``schema.services.employers``) log in the same way and
are administered with the same operations (deactivation, reactivation, TOTP reset; the list
shows them when asked for ``role: EMPLOYER``): they are not staff, but an administrator must
be able to close one or let its operator enrol a new phone.

Administration (administrators only): the staff list, deactivation (which revokes the
account's sessions; never oneself, never the last active administrator), reactivation,
moving a reviewer to another approval authority, and a TOTP reset. Each change is one
transaction with its audit record.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from schema import rules, totp
from schema.actor import Actor
from schema.enums import STAFF_ROLES, TOTP_ROLES, AuditAction, Role
from schema.errors import Forbidden, InvalidInput, InvalidState, NotFound, Problem
from schema.models import Account, Session
from schema.pii import PiiProtector
from schema.services.audit import write_audit
from schema.services.paging import Page, keyset_page

__all__ = [
    "ADMIN_ONLY",
    "ENROLMENT_TTL",
    "REASON_MAX",
    "Enrolment",
    "EnrolmentRequired",
    "SecondFactorInvalid",
    "begin_enrolment",
    "change_staff_authority",
    "check_second_factor",
    "confirm_enrolment",
    "deactivate_staff",
    "find_staff",
    "has_totp",
    "list_staff",
    "reactivate_staff",
    "require_admin",
    "reset_staff_totp",
    "role_may_act",
    "session_allowed",
]

ENROLMENT_TTL = timedelta(minutes=10)
REASON_MAX = 200
ADMIN_ONLY = "只有系统管理员可以管理工作人员账户"
_STAFF_ROLE_VALUES = [role.value for role in STAFF_ROLES]


class SecondFactorInvalid(InvalidInput):
    """A wrong or already used TOTP code: the login counts it as a failed attempt."""


def _totp_required() -> InvalidInput:
    return InvalidInput.one("TOTP_REQUIRED", "工作人员登录需要输入动态验证码", "totpCode")


_TOTP_INVALID = "动态验证码错误或已使用，请输入验证器中显示的最新验证码"


def _totp_invalid() -> SecondFactorInvalid:
    return SecondFactorInvalid([Problem("TOTP_INVALID", _TOTP_INVALID, "totpCode")])


def _confirmation_invalid() -> SecondFactorInvalid:
    return SecondFactorInvalid([Problem("TOTP_INVALID", _TOTP_INVALID, "code")])


def _ticket_invalid() -> InvalidInput:
    return InvalidInput.one(
        "ENROLMENT_TOKEN_INVALID",
        "动态验证码绑定凭证无效或已过期，请重新登录以获取新的凭证",
        "enrolmentToken",
    )


def _staff_missing() -> NotFound:
    return NotFound("工作人员账户不存在", code="STAFF_NOT_FOUND", field="accountId")


def _is_public_id(text: str) -> bool:
    """Whether ``text`` can be an account's public id (hex): anything else (a NUL byte, a
    long string) is answered as missing without reaching the database."""
    return 0 < len(text) <= 32 and text.isascii() and text.isalnum()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- second factor


@dataclass(frozen=True)
class EnrolmentRequired:
    """The login's answer to a staff account without TOTP: an enrolment ticket, no session."""

    token: str
    expires_at: datetime
    account: Account


@dataclass(frozen=True)
class Enrolment:
    """What the authenticator app needs: the secret (manual entry) and its otpauth:// URI."""

    secret: str
    provisioning_uri: str
    qr_svg: str
    account: Account


def session_allowed(account: Account) -> bool:
    """Whether a session of ``account`` may act: a staff (or employer) account needs a
    confirmed TOTP."""
    return role_may_act(account.role, account.totp_enabled_at is not None)


def role_may_act(role: Role, totp_confirmed: bool) -> bool:
    """:func:`session_allowed` on the two values it reads (for a row read without a model)."""
    return role not in TOTP_ROLES or totp_confirmed


def has_totp(account: Account) -> bool:
    """Whether ``account`` is staff (or an employer) with a confirmed authenticator (TOTP)."""
    return (
        account.role in TOTP_ROLES
        and account.totp_enabled_at is not None
        and account.totp_secret_cipher is not None
    )


async def check_second_factor(
    account: Account, *, code: str | None, sealer: totp.TotpSealer | None, now: datetime
) -> EnrolmentRequired | None:
    """After the password was checked: None when a session may be opened (an applicant, or a
    staff account whose code is right and newer than the last one accepted);
    ``EnrolmentRequired`` for staff without TOTP. A missing code raises TOTP_REQUIRED, a
    wrong or replayed one ``SecondFactorInvalid`` (TOTP_INVALID). Employer accounts log in
    exactly as staff do (``TOTP_ROLES``)."""
    if account.role not in TOTP_ROLES:
        return None
    if account.totp_enabled_at is None or account.totp_secret_cipher is None:
        return await _issue_ticket(account, now=now)
    if not code or not code.strip():
        raise _totp_required()
    if sealer is None:
        raise RuntimeError("a staff login needs the TOTP sealer")
    step = totp.matching_step(sealer.open(account.totp_secret_cipher), code, now)
    if step is None:
        raise _totp_invalid()
    # One conditional update, atomic on both databases: of two logins with the same code,
    # exactly one moves the last accepted step forward.
    accepted = await Account.filter(id=account.id, totp_last_step__lt=step).update(
        totp_last_step=step
    )
    if not accepted:
        raise _totp_invalid()
    return None


async def _audit_account(
    account: Account,
    action: AuditAction,
    *,
    actor: Actor | None,
    now: datetime,
    conn: BaseDBAsyncClient,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    note: str | None = None,
) -> None:
    """The audit record of a change to ``account``, in the change's transaction."""
    await write_audit(
        actor=actor,
        action=action,
        entity_type="account",
        entity_id=account.public_id,
        now=now,
        before=before,
        after=after,
        note=note,
        using_db=conn,
    )


async def _issue_ticket(account: Account, *, now: datetime) -> EnrolmentRequired:
    token = f"{account.public_id}.{secrets.token_urlsafe(32)}"
    expires_at = now + ENROLMENT_TTL
    async with in_transaction() as conn:
        await (
            Account.filter(id=account.id)
            .using_db(conn)
            .update(totp_enrolment_hash=_digest(token), totp_enrolment_expires_at=expires_at)
        )
        await _audit_account(
            account,
            AuditAction.TOTP_ENROLMENT_REQUIRED,
            actor=None,
            now=now,
            after={"expiresAt": expires_at.isoformat()},
            conn=conn,
        )
    return EnrolmentRequired(token=token, expires_at=expires_at, account=account)


async def _ticket_holder(token: str, *, now: datetime, conn: BaseDBAsyncClient) -> Account:
    """The staff account an unexpired, unused enrolment ticket belongs to (row locked)."""
    public_id, _, _ = token.partition(".")
    account = (
        await Account.select_for_update().using_db(conn).get_or_none(public_id=public_id)
        if _is_public_id(public_id) and len(token) <= 200
        else None
    )
    if (
        account is None
        or account.totp_enrolment_hash is None
        or not hmac.compare_digest(account.totp_enrolment_hash, _digest(token))
        or account.totp_enrolment_expires_at is None
        or account.totp_enrolment_expires_at <= now
        or not account.is_active
        or account.role not in TOTP_ROLES
        or account.totp_enabled_at is not None
    ):
        raise _ticket_invalid()
    return account


def _label(account: Account) -> str:
    return f"{account.name}（{account.id_number_masked}）"


async def begin_enrolment(*, token: str, sealer: totp.TotpSealer, now: datetime) -> Enrolment:
    """A new TOTP secret for the ticket's account (sealed; not trusted until confirmed).
    Beginning again replaces the secret, so a lost QR code is no dead end."""
    secret = totp.new_secret()
    async with in_transaction() as conn:
        account = await _ticket_holder(token, now=now, conn=conn)
        account.totp_secret_cipher = sealer.seal(secret)
        account.updated_at = now
        await account.save(using_db=conn, update_fields=["totp_secret_cipher", "updated_at"])
        await _audit_account(
            account,
            AuditAction.TOTP_ENROLMENT_BEGUN,
            actor=None,
            now=now,
            conn=conn,
        )
    uri = totp.provisioning_uri(secret, account_name=_label(account))
    return Enrolment(secret=secret, provisioning_uri=uri, qr_svg=totp.qr_svg(uri), account=account)


async def confirm_enrolment(
    *, token: str, code: str, sealer: totp.TotpSealer, now: datetime
) -> Account:
    """Trust the secret once the authenticator shows a right code; the ticket is used up.
    The code's step counts as accepted, so logging in needs the next code."""
    async with in_transaction() as conn:
        account = await _ticket_holder(token, now=now, conn=conn)
        if account.totp_secret_cipher is None:
            raise InvalidState(
                "请先获取动态验证码密钥并添加到验证器", code="TOTP_ENROLMENT_NOT_BEGUN"
            )
        step = totp.matching_step(sealer.open(account.totp_secret_cipher), code, now)
        if step is None or step <= account.totp_last_step:
            raise _confirmation_invalid()
        account.totp_enabled_at = now
        account.totp_last_step = step
        account.totp_enrolment_hash = None
        account.totp_enrolment_expires_at = None
        account.updated_at = now
        await account.save(using_db=conn)
        await _audit_account(
            account,
            AuditAction.TOTP_ENABLED,
            actor=None,
            now=now,
            conn=conn,
        )
    return account


# --------------------------------------------------------------------------- administration


def require_admin(actor: Actor) -> Actor:
    """The actor, if it is an administrator (or the command line, which acts as one)."""
    if actor.role is not Role.ADMIN:
        raise Forbidden(ADMIN_ONLY)
    return actor


async def list_staff(
    *,
    actor: Actor,
    role: Role | None,
    authority_code: str | None,
    active: bool | None,
    first: int,
    after: str | None,
) -> Page[Account]:
    """Staff accounts in creation order, filtered by role, authority and active flag."""
    require_admin(actor)
    query = Account.filter(role__in=_STAFF_ROLE_VALUES)
    if role is not None:
        if role not in TOTP_ROLES:
            raise InvalidInput.one(
                "STAFF_ROLE", "工作人员角色应为审核、签章、归集、管理员或用人单位", "role"
            )
        query = Account.filter(role=role)
    if authority_code is not None:
        code = authority_code.strip()
        if len(code) > 32 or not code.isprintable():
            return Page([], [], False)  # no authority has such a code
        query = query.filter(authority_code=code)
    if active is not None:
        query = query.filter(is_active=active)
    return await keyset_page(query, kind="staff", first=first, after=after)


async def _locked_staff(account_id: str, conn: BaseDBAsyncClient) -> Account:
    account = (
        await Account.select_for_update().using_db(conn).get_or_none(public_id=account_id)
        if _is_public_id(account_id)
        else None
    )
    if account is None or account.role not in TOTP_ROLES:
        raise _staff_missing()
    return account


async def _revoke_sessions(account: Account, *, now: datetime, conn: BaseDBAsyncClient) -> int:
    return await (
        Session.filter(account_id=account.id, revoked_at=None).using_db(conn).update(revoked_at=now)
    )


def _clean_reason(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise InvalidInput.one("STAFF_REASON_REQUIRED", "请填写停用原因", "reason")
    if len(cleaned) > REASON_MAX:
        raise InvalidInput.one(
            "STAFF_REASON_TOO_LONG", f"停用原因不能超过{REASON_MAX}个字", "reason"
        )
    return cleaned


async def deactivate_staff(
    *, actor: Actor, account_id: str, reason: str, now: datetime
) -> tuple[Account, int]:
    """Deactivate a staff account and revoke its sessions; the account and sessions revoked.
    An administrator cannot deactivate themselves, nor the last active administrator."""
    require_admin(actor)
    cleaned = _clean_reason(reason)
    if actor.public_id == account_id:
        raise InvalidState("不能停用自己的账户", code="STAFF_SELF_DEACTIVATION")
    async with in_transaction() as conn:
        if (
            _is_public_id(account_id)
            and await Account.filter(public_id=account_id, role=Role.ADMIN).using_db(conn).exists()
        ):
            # Lock every active administrator (in id order, as any other deactivation does)
            # before counting: two administrators deactivating each other at the same time
            # cannot both succeed.
            admins = await (
                Account.select_for_update()
                .using_db(conn)
                .filter(role=Role.ADMIN, is_active=True)
                .order_by("id")
            )
            if [a.public_id for a in admins] == [account_id]:
                raise InvalidState("不能停用最后一个启用的系统管理员账户", code="STAFF_LAST_ADMIN")
        account = await _locked_staff(account_id, conn)
        if not account.is_active:
            raise InvalidState("该工作人员账户已停用", code="STAFF_ALREADY_INACTIVE")
        account.is_active = False
        account.updated_at = now
        await account.save(using_db=conn, update_fields=["is_active", "updated_at"])
        revoked = await _revoke_sessions(account, now=now, conn=conn)
        await _audit_account(
            account,
            AuditAction.STAFF_DEACTIVATED,
            actor=actor,
            now=now,
            before={"active": True},
            after={"active": False, "sessionsRevoked": revoked},
            note=cleaned,
            conn=conn,
        )
    return account, revoked


async def reactivate_staff(*, actor: Actor, account_id: str, now: datetime) -> Account:
    """Let a deactivated staff account log in again (its TOTP enrolment is kept)."""
    require_admin(actor)
    async with in_transaction() as conn:
        account = await _locked_staff(account_id, conn)
        if account.is_active:
            raise InvalidState("该工作人员账户已启用", code="STAFF_ALREADY_ACTIVE")
        account.is_active = True
        account.updated_at = now
        await account.save(using_db=conn, update_fields=["is_active", "updated_at"])
        await _audit_account(
            account,
            AuditAction.STAFF_REACTIVATED,
            actor=actor,
            now=now,
            before={"active": False},
            after={"active": True},
            conn=conn,
        )
    return account


async def change_staff_authority(
    *,
    actor: Actor,
    account_id: str,
    authority_code: str,
    known_authorities: frozenset[str],
    now: datetime,
) -> Account:
    """Bind a reviewer to another approval authority of the reference catalog."""
    require_admin(actor)
    code = authority_code.strip()
    if code not in known_authorities:
        raise InvalidInput.one("AUTHORITY_UNKNOWN", "审批机关不在名录中", "authorityCode")
    async with in_transaction() as conn:
        account = await _locked_staff(account_id, conn)
        if account.role is not Role.REVIEWER:
            raise InvalidState("只有审核人员绑定审批机关", code="STAFF_NOT_REVIEWER")
        if account.authority_code == code:
            raise InvalidState("该审核人员已绑定此审批机关", code="AUTHORITY_UNCHANGED")
        before = account.authority_code
        account.authority_code = code
        account.updated_at = now
        await account.save(using_db=conn, update_fields=["authority_code", "updated_at"])
        await _audit_account(
            account,
            AuditAction.STAFF_AUTHORITY_CHANGED,
            actor=actor,
            now=now,
            before={"authority": before},
            after={"authority": code},
            conn=conn,
        )
    return account


async def reset_staff_totp(
    *, actor: Actor, account_id: str, now: datetime, note: str | None = None
) -> tuple[Account, int]:
    """Forget a staff account's TOTP (a lost phone): its sessions are revoked and its next
    login must enrol again. The account and the sessions revoked."""
    require_admin(actor)
    async with in_transaction() as conn:
        account = await _locked_staff(account_id, conn)
        was_enrolled = account.totp_enabled_at is not None
        account.totp_secret_cipher = None
        account.totp_enabled_at = None
        account.totp_enrolment_hash = None
        account.totp_enrolment_expires_at = None
        account.updated_at = now
        # The next secret is a new one: no code of it was ever accepted, so the replay guard
        # starts again (a code of the old secret cannot match the new one).
        account.totp_last_step = 0
        await account.save(using_db=conn)
        revoked = await _revoke_sessions(account, now=now, conn=conn)
        await _audit_account(
            account,
            AuditAction.TOTP_RESET,
            actor=actor,
            now=now,
            before={"totpEnrolled": was_enrolled},
            after={"totpEnrolled": False, "sessionsRevoked": revoked},
            note=note,
            conn=conn,
        )
    return account, revoked


async def find_staff(*, pii: PiiProtector, account: str) -> Account:
    """A staff account named by its id or its ID number (the command line takes either)."""
    found: Account | None = None
    try:
        found = await Account.get_or_none(
            id_number_hmac=pii.lookup_hash(rules.normalize_id_number(account))
        )
    except rules.RuleViolation:
        found = None
    if found is None and _is_public_id(account):
        found = await Account.get_or_none(public_id=account)
    if found is None or found.role not in TOTP_ROLES:
        raise _staff_missing()
    return found
