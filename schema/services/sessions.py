"""Login, session tokens and logout, with a progressive delay per account and per address.

Tokens are 256-bit random strings handed to the client once; only their SHA-256 is stored.
A failed login is recorded in its own transaction *before* the refusal is raised, so the
counters survive the error.

There is no account lock: an attacker can slow an account down (``login_backoff``) but never
make the service refuse its owner's correct password plus second factor. Once an account has
had ``SECOND_FACTOR_AFTER`` recent failures, a login needs a second factor
(:func:`second_factor_required`): for an applicant a one-time SMS code (purpose LOGIN) sent to
the account's mobile. Until it is given the password is not even looked at (so guessing it
teaches nothing), and with a valid one the delay no longer applies.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from schema import rules
from schema.actor import Actor
from schema.enums import TOTP_ROLES, AuditAction, Role, SmsPurpose
from schema.errors import InvalidInput, RateLimited
from schema.models import Account, Session
from schema.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from schema.pii import PiiProtector
from schema.services import login_backoff, otp, staff
from schema.services.access_cache import forget_account
from schema.services.accounts import account_mobile
from schema.services.audit import write_audit
from schema.services.login_backoff import ACCOUNT_BACKOFF, ADDRESS_BACKOFF
from schema.services.narrow_rows import fetch_rows, stored_instant
from schema.totp import TotpSealer

__all__ = [
    "MAX_TOKEN_CHARS",
    "SECOND_FACTOR_AFTER",
    "SESSION_COLUMNS",
    "SESSION_FROM",
    "IssuedSession",
    "SessionRow",
    "authenticate",
    "check_second_factor",
    "login",
    "logout",
    "second_factor_required",
    "session_actor",
    "token_digest",
]

MAX_TOKEN_CHARS = 200  # longer is no token of ours: refused without a database read
SECOND_FACTOR_AFTER = 5  # recent failures of an account after which a login needs a code

_BAD_CREDENTIALS = InvalidInput.one("INVALID_CREDENTIALS", "身份证号码或密码错误", "password")
_BAD_WITH_FACTOR = InvalidInput.one(
    "INVALID_CREDENTIALS", "身份证号码、密码或验证码错误", "secondFactor"
)
_FACTOR_NEEDED = InvalidInput.one(
    "SECOND_FACTOR_REQUIRED",
    "该账户近期登录失败次数较多，为保护账户安全，本次登录还需短信验证码：请获取“登录”验证码"
    "（发送到注册手机号），与密码一起提交",
    "secondFactor",
)


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf_token: str
    expires_at: datetime
    account: Account


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def second_factor_required(account: Account, *, now: datetime) -> bool:
    """Whether a login to ``account`` must carry a second factor (the hook for every kind).

    Applicants: after ``SECOND_FACTOR_AFTER`` recent failed logins (an SMS code, purpose
    LOGIN). Staff: out of this part's scope — the staff part makes TOTP mandatory here.
    """
    if account.role in TOTP_ROLES:
        return False
    recent = await login_backoff.recent_failures(ACCOUNT_BACKOFF, account.id, now=now)
    return recent >= SECOND_FACTOR_AFTER


async def check_second_factor(
    account: Account, second_factor: str, *, pii: PiiProtector, now: datetime
) -> bool:
    """Whether ``second_factor`` proves the account's second factor (consumed if it does).

    Applicants: the newest LOGIN code sent to the account's mobile. Staff: the staff part
    checks the TOTP code here."""
    if account.role in TOTP_ROLES:
        return False
    return await otp.consume_code(
        pii=pii,
        mobile=account_mobile(account, pii),
        purpose=SmsPurpose.LOGIN,
        code=second_factor,
        now=now,
    )


def _delayed(seconds: int) -> RateLimited:
    return RateLimited(f"登录尝试过于频繁，请{seconds}秒后再试", code="LOGIN_DELAYED")


async def _record_failure(*, client_ip: str, account: Account | None, now: datetime) -> None:
    async with in_transaction() as conn:
        address_failures = await login_backoff.record_failure(
            ADDRESS_BACKOFF, client_ip[:64], now=now, using_db=conn
        )
        if account is not None:
            failures = await login_backoff.record_failure(
                ACCOUNT_BACKOFF, account.id, now=now, using_db=conn
            )
            await write_audit(
                actor=None,
                action=AuditAction.LOGIN_FAILED,
                entity_type="account",
                entity_id=account.public_id,
                now=now,
                after={"clientIp": client_ip, "failures": failures},
                using_db=conn,
            )
        else:
            # No such account (or none named): the address's counter is what changed.
            await write_audit(
                actor=None,
                action=AuditAction.LOGIN_FAILED,
                entity_type="client",
                entity_id=client_ip[:64],
                now=now,
                after={"failures": address_failures},
                using_db=conn,
            )


async def login(
    *,
    pii: PiiProtector,
    id_number: str,
    password: str,
    client_ip: str,
    user_agent: str | None,
    ttl: timedelta,
    now: datetime,
    second_factor: str | None = None,
    totp_code: str | None = None,
    totp: TotpSealer | None = None,
) -> IssuedSession | staff.EnrolmentRequired:
    """Check the credentials and open a session; refusals never say which part was wrong.

    Order: the second factor when the account needs one (applicants after repeated
    failures: without it, SECOND_FACTOR_REQUIRED before the password is looked at; staff
    under a delay who send their TOTP code), which lifts the account's delay when valid;
    then the delays of the address and the account (LOGIN_DELAYED, not counted); then the
    password; then, for staff, the TOTP code (a staff account without one gets an
    enrolment ticket instead of a session)."""
    # Only a well-formed number can name an account; anything else (empty, too long, other
    # scripts' characters, which the ASCII lookup hash cannot take) is a wrong credential.
    normalised = rules.normalize_id_number(id_number)
    account = (
        await Account.get_or_none(id_number_hmac=pii.lookup_hash(normalised))
        if rules.is_well_formed_id_number(normalised)
        else None
    )
    factor_ok = False
    if account is not None and await second_factor_required(account, now=now):
        if not second_factor:
            raise _FACTOR_NEEDED
        # The address's delay applies before a code is tried, so one address cannot burn the
        # code's few attempts quickly (the account's delay would also slow the owner).
        wait = await login_backoff.seconds_to_wait(ADDRESS_BACKOFF, client_ip[:64], now=now)
        if wait:
            raise _delayed(wait)
        factor_ok = await check_second_factor(account, second_factor, pii=pii, now=now)
        if not factor_ok:
            await _record_failure(client_ip=client_ip, account=account, now=now)
            raise _BAD_WITH_FACTOR
    elif (
        account is not None
        and totp_code
        and staff.has_totp(account)
        and await login_backoff.seconds_to_wait(ACCOUNT_BACKOFF, account.id, now=now)
    ):
        # A staff account someone is guessing at: its owner's valid TOTP code lifts the
        # account's delay (the address's still applies first), as an SMS code does for
        # applicants, so guessing slows the owner but never locks them out.
        wait = await login_backoff.seconds_to_wait(ADDRESS_BACKOFF, client_ip[:64], now=now)
        if wait:
            raise _delayed(wait)
        try:
            await staff.check_second_factor(account, code=totp_code, sealer=totp, now=now)
        except staff.SecondFactorInvalid:
            await _record_failure(client_ip=client_ip, account=account, now=now)
            raise
        factor_ok = True
    if not factor_ok:
        wait = await login_backoff.seconds_to_wait(ADDRESS_BACKOFF, client_ip[:64], now=now)
        if account is not None:
            wait = max(
                wait, await login_backoff.seconds_to_wait(ACCOUNT_BACKOFF, account.id, now=now)
            )
        if wait:
            raise _delayed(wait)
    ok = await verify_password(account.password_hash if account else DUMMY_HASH, password)
    if not ok or account is None or not account.is_active:
        await _record_failure(client_ip=client_ip, account=account, now=now)
        raise _BAD_WITH_FACTOR if factor_ok else _BAD_CREDENTIALS
    if not factor_ok:
        try:
            enrolment = await staff.check_second_factor(
                account, code=totp_code, sealer=totp, now=now
            )
        except staff.SecondFactorInvalid:
            await _record_failure(client_ip=client_ip, account=account, now=now)
            raise
        if enrolment is not None:
            return enrolment
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    async with in_transaction() as conn:
        account = await Account.select_for_update().using_db(conn).get(id=account.id)
        account.last_login_at = now
        if needs_rehash(account.password_hash):
            account.password_hash = await hash_password(password)
        await account.save(using_db=conn)
        await login_backoff.reset(ACCOUNT_BACKOFF, account.id, using_db=conn)
        await login_backoff.reset(ADDRESS_BACKOFF, client_ip[:64], using_db=conn)
        session = await Session.create(
            token_hash=token_digest(token),
            csrf_hash=token_digest(csrf_token),
            account=account,
            created_at=now,
            expires_at=now + ttl,
            client_ip=client_ip[:64],
            user_agent=(user_agent or "")[:255] or None,
            using_db=conn,
        )
        await write_audit(
            actor=None,
            action=AuditAction.LOGIN_SUCCEEDED,
            entity_type="account",
            entity_id=account.public_id,
            now=now,
            after={
                "session": session.id,
                "clientIp": client_ip,
                "secondFactor": factor_ok,
            },
            using_db=conn,
        )
    return IssuedSession(token, csrf_token, session.expires_at, account)


@dataclass(frozen=True)
class SessionRow:
    """What a request needs of its session (the account is in the actor)."""

    id: int
    csrf_hash: str
    expires_at: datetime


# One statement per request: the session and its account's few columns (not the account's
# PII), joined. Nothing is written per request.
# ``SESSION_COLUMNS`` and ``SESSION_FROM`` let a hot route read the session together with
# what it serves, in one statement (``holder_certificates.holder_qr_for_session``); the
# row goes through :func:`session_actor` all the same.
SESSION_COLUMNS = (
    "s.id, s.csrf_hash, s.expires_at, s.revoked_at, a.id AS account_id, a.public_id, "
    "a.name, a.role, a.authority_code, a.is_active, a.totp_enabled_at"
)
SESSION_FROM = 'FROM "session" s JOIN "account" a ON a.id = s.account_id'
_SESSION_LOOKUP = f"SELECT {SESSION_COLUMNS} {SESSION_FROM} WHERE s.token_hash = {{}}"




async def authenticate(token: str, *, now: datetime) -> tuple[Actor, SessionRow] | None:
    """The actor behind a bearer or cookie token, or None if it is unknown/expired/revoked.

    Built from the row's values directly: making the Session and Account model objects cost
    more than the query (issue 10's GraphQL profile)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    rows = await fetch_rows(_SESSION_LOOKUP, (token_digest(token),))
    return session_actor(rows[0], now=now) if rows else None


def session_actor(row: Mapping[str, Any], *, now: datetime) -> tuple[Actor, SessionRow] | None:
    """The actor of a row of ``SESSION_COLUMNS``, or None if the session is expired or
    revoked, the account inactive, or a staff account without its confirmed TOTP."""
    expires_at = stored_instant(row["expires_at"])
    assert expires_at is not None  # NOT NULL column
    if row["revoked_at"] is not None or expires_at <= now:
        return None
    role = Role(row["role"])
    if not row["is_active"] or not staff.role_may_act(role, row["totp_enabled_at"] is not None):
        return None
    actor = Actor(
        account_id=int(row["account_id"]),
        public_id=str(row["public_id"]),
        name=str(row["name"]),
        role=role,
        authority_code=row["authority_code"],
        session_id=int(row["id"]),
    )
    return actor, SessionRow(actor.session_id or 0, str(row["csrf_hash"]), expires_at)


async def logout(*, actor: Actor, now: datetime) -> None:
    """Revoke the actor's current session."""
    if actor.session_id is None:
        return
    async with in_transaction() as conn:
        await (
            Session.filter(id=actor.session_id, revoked_at=None)
            .using_db(conn)
            .update(revoked_at=now)
        )
        await write_audit(
            actor=actor,
            action=AuditAction.LOGGED_OUT,
            entity_type="account",
            entity_id=actor.public_id,
            now=now,
            using_db=conn,
        )
    if actor.account_id is not None:
        forget_account(actor.account_id)  # this process's cache, now; others by notification
